/* ltrun/descriptor.h — the descriptor and the entry symbol every plugin exports */
#ifndef LTRUN_DESCRIPTOR_H
#define LTRUN_DESCRIPTOR_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------- descriptor */

/* Frozen head: abi_major, abi_minor, size, kind, name, version. */
typedef struct lt_descriptor {
    uint32_t abi_major, abi_minor; /* what the plugin was compiled against */
    uint32_t size;                 /* sizeof(lt_descriptor) in the plugin */
    uint32_t kind;                 /* lt_plugin_kind */
    const char *name;              /* unique per kind, [A-Za-z0-9_-] */
    const char *version;           /* the plugin's own version */
    const char *description;       /* one line */
    const void *vtable;            /* lt_module_vtable*, ...: its first field is its size */
} lt_descriptor;

/* The entry symbol: returns `*count` descriptors (static data), does nothing else. */
typedef const lt_descriptor *const *(*lt_entry_fn)(const lt_host_api *host, uint32_t *count);
#define LT_ENTRY_SYMBOL "ltrun_plugin_entry"

#if defined(__GNUC__)
#define LT_EXPORT __attribute__((visibility("default")))
#else
#define LT_EXPORT
#endif

#define LT__DESCRIPTOR(id, kind_, vt_type, ...)                                          \
    static const vt_type id##_vtable_ = {.size = sizeof(vt_type), __VA_ARGS__};         \
    static const lt_descriptor id##_descriptor_ = {                                     \
        LT_ABI_MAJOR, LT_ABI_MINOR, sizeof(lt_descriptor), kind_, #id,                  \
        LT_PLUGIN_VERSION, LT_PLUGIN_DESCRIPTION, &id##_vtable_};                       \
    static const lt_descriptor *const id##_list_[] = {&id##_descriptor_};               \
    LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *host,   \
                                                             uint32_t *count);          \
    LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *host,   \
                                                             uint32_t *count) {         \
        (void)host;                                                                     \
        *count = 1;                                                                     \
        return id##_list_;                                                              \
    }                                                                                   \
    /* name-derived alias, so a static binary can reach several plugins by name */     \
    LT_EXPORT const lt_descriptor *const *ltrun_plugin_##id##_entry(                    \
        const lt_host_api *host, uint32_t *count);                                      \
    LT_EXPORT const lt_descriptor *const *ltrun_plugin_##id##_entry(                    \
        const lt_host_api *host, uint32_t *count) {                                     \
        (void)host;                                                                     \
        *count = 1;                                                                     \
        return id##_list_;                                                              \
    }

#ifndef LT_PLUGIN_VERSION
#define LT_PLUGIN_VERSION "0.1.0"
#endif
#ifndef LT_PLUGIN_DESCRIPTION
#define LT_PLUGIN_DESCRIPTION ""
#endif

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_DESCRIPTOR_H */
