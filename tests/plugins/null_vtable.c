/* A descriptor without a vtable. */
#define FAKE_MAJOR 1
#define FAKE_MINOR 0
#define FAKE_NAME "nullvt"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_VT_SIZE sizeof(lt_module_vtable)
#define FAKE_COUNT 1
#define FAKE_VTABLE NULL
#include "fake_descriptor.h"
