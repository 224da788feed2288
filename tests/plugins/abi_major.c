/* Built for ABI 2.0: a major this ltrun does not speak. */
#define FAKE_MAJOR 2
#define FAKE_MINOR 0
#define FAKE_NAME "major2"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_VT_SIZE sizeof(lt_module_vtable)
#define FAKE_COUNT 1
#include "fake_descriptor.h"
