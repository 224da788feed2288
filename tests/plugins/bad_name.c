/* A name with characters outside [A-Za-z0-9_-]. */
#define FAKE_MAJOR 1
#define FAKE_MINOR 0
#define FAKE_NAME "bad name!"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_VT_SIZE sizeof(lt_module_vtable)
#define FAKE_COUNT 1
#include "fake_descriptor.h"
