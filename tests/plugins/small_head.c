/* A descriptor whose size does not even cover the frozen head. */
#define FAKE_MAJOR 1
#define FAKE_MINOR 0
#define FAKE_NAME "small"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_VT_SIZE sizeof(lt_module_vtable)
#define FAKE_COUNT 1
#define FAKE_DESC_SIZE 8
#include "fake_descriptor.h"
