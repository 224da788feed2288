/* root_dir_logger.c — a logger that writes nothing and fails its create unless the
 * host has made default_root_dir already (the host creates it before any logger's
 * create, so a logger may open files there at once). */
#define LT_PLUGIN_DESCRIPTION "test logger: default_root_dir exists at create"
#include <ltrun.h>

#include <sys/stat.h>

static int token;

static void *rd_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)hp;
    const char *root = lt_default_root_dir(ctx);
    struct stat st;
    if (!root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        lt_fail(ctx, "default_root_dir '%s' does not exist at create", root ? root : "(null)");
        return NULL;
    }
    return &token;
}

LT_LOGGER(root_dir, .create = rd_create)
