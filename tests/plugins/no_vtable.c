/* A descriptor whose vtable has size 0. */
#define FAKE_MAJOR 1
#define FAKE_MINOR 0
#define FAKE_NAME "novt"
#define FAKE_KIND LT_KIND_MODULE
#define FAKE_VT_SIZE 0
#define FAKE_COUNT 1
#include "fake_descriptor.h"
