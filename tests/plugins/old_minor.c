/* A module built against an older minor: its vtable ends after `destroy`. */
#define FAKE_MAJOR 1
#define FAKE_MINOR 0
#define FAKE_NAME "old"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_SHORT_VTABLE 1
#define FAKE_VT_SIZE sizeof(fake_short_vtable)
#define FAKE_COUNT 1
#include "fake_descriptor.h"
