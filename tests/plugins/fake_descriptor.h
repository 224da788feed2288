/*
 * fake_descriptor.h — hand-written descriptors (no SDK macro) to fake versions, names
 * and sizes, so the loader's refusals can be tested without a second ltrun.h.
 *
 * Define FAKE_MAJOR, FAKE_MINOR, FAKE_NAME, FAKE_KIND, FAKE_VT_SIZE, FAKE_COUNT; optionally
 * FAKE_DESC_SIZE (descriptor's size field), FAKE_VTABLE (what the descriptor points at),
 * FAKE_LIST (what the entry returns) and FAKE_SHORT_VTABLE (use a vtable struct that
 * really ends early, as one compiled against an older ltrun.h would).
 */
#include <ltrun.h>

#ifndef FAKE_DESC_SIZE
#define FAKE_DESC_SIZE sizeof(lt_descriptor)
#endif
#ifndef FAKE_VTABLE
#define FAKE_VTABLE &vt
#endif
#ifndef FAKE_LIST
#define FAKE_LIST list
#endif

#ifdef FAKE_SHORT_VTABLE
/* The first members of lt_module_vtable, and nothing after them. */
typedef struct fake_short_vtable {
    uint32_t size;
    void *(*create)(lt_ctx *ctx, const lt_hparams *hp);
    void (*destroy)(lt_ctx *ctx, void *self);
} fake_short_vtable;
static void *fake_create(lt_ctx *ctx, const lt_hparams *hp) { return NULL; }
static const fake_short_vtable vt = {.size = FAKE_VT_SIZE, .create = fake_create};
#else
static const lt_module_vtable vt = {.size = FAKE_VT_SIZE};
#endif

static const lt_descriptor d = {FAKE_MAJOR, FAKE_MINOR, FAKE_DESC_SIZE, FAKE_KIND,
                                FAKE_NAME, "1.0", "test", FAKE_VTABLE};
static const lt_descriptor *const list[] = {&d, &d};
LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *h, uint32_t *count);
LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *h, uint32_t *count) {
    (void)h;
    (void)list;
    *count = FAKE_COUNT;
    return FAKE_LIST;
}
