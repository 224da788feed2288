/* An entry that returns no descriptors (count 0). */
#define FAKE_MAJOR 1
#define FAKE_MINOR 0
#define FAKE_NAME "none"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_VT_SIZE sizeof(lt_module_vtable)
#define FAKE_COUNT 0
#include "fake_descriptor.h"
