/* An entry that returns NULL (with a count, to check the loader trusts neither). */
#define FAKE_MAJOR 1
#define FAKE_MINOR 0
#define FAKE_NAME "nulllist"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_VT_SIZE sizeof(lt_module_vtable)
#define FAKE_COUNT 1
#define FAKE_LIST NULL
#include "fake_descriptor.h"
