/* Hand-written descriptors (no SDK macro) to fake versions, names and sizes.
 * Define FAKE_MAJOR, FAKE_MINOR, FAKE_NAME, FAKE_KIND, FAKE_VT_SIZE, FAKE_COUNT. */
#include <ltrun.h>
static const lt_module_vtable vt = {.size = FAKE_VT_SIZE};
static const lt_descriptor d = {FAKE_MAJOR, FAKE_MINOR, sizeof(lt_descriptor), FAKE_KIND,
                                FAKE_NAME, "1.0", "test", &vt};
static const lt_descriptor *const list[] = {&d, &d};
LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *h, uint32_t *count);
LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *h, uint32_t *count) {
    (void)h;
    *count = FAKE_COUNT;
    return list;
}
