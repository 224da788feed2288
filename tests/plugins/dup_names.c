/* Two module descriptors with the same name in one file. */
#define FAKE_MAJOR 1
#define FAKE_MINOR 0
#define FAKE_NAME "twin"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_VT_SIZE sizeof(lt_module_vtable)
#define FAKE_COUNT 2
#include "fake_descriptor.h"
