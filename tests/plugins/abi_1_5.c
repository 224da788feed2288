/* Built for ABI 1.5, the minor before lt_tmp_create (1.6): it still loads. */
#define FAKE_MAJOR 1
#define FAKE_MINOR 5
#define FAKE_NAME "minor5"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_VT_SIZE sizeof(lt_module_vtable)
#define FAKE_COUNT 1
#include "fake_descriptor.h"
