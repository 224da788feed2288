/* Built for the next ABI minor: newer than this ltrun. */
#define FAKE_MAJOR 1
#define FAKE_MINOR (LT_ABI_MINOR + 1)
#define FAKE_NAME "newer_minor"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_VT_SIZE sizeof(lt_module_vtable)
#define FAKE_COUNT 1
#include "fake_descriptor.h"
