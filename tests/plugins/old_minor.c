/* Generated from fake_descriptor.h: see the #defines. */
#define FAKE_MAJOR 1
#define FAKE_MINOR 0
#define FAKE_NAME "old"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_VT_SIZE offsetof(lt_module_vtable, forward)
#define FAKE_COUNT 1
#include "fake_descriptor.h"
