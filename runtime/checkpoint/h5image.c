/*
 * h5image.c — HDF5 files built in memory and written atomically (h5image.h).
 */
#include "checkpoint/h5image.h"
#include "util/tmpfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* These callbacks let the core driver's buffer outlive H5Fclose, so the image is not
 * copied once more (peak memory: one file size). udata is the ltr_h5_image. */
static void *img_malloc(size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op, (void)udata;
    return malloc(size);
}

static void *img_memcpy(void *dst, const void *src, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op, (void)udata;
    return memcpy(dst, src, size);
}

static void *img_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op, (void)udata;
    return realloc(ptr, size);
}

static herr_t img_free(void *ptr, H5FD_file_image_op_t op, void *udata) {
    ltr_h5_image *im = udata;
    if (op == H5FD_FILE_IMAGE_OP_FILE_CLOSE) im->mem = ptr;
    else free(ptr);
    return 0;
}

static void *img_udata_copy(void *udata) { return udata; }
static herr_t img_udata_free(void *udata) {
    (void)udata;
    return 0;
}

static hid_t memory_fapl(ltr_h5_image *im) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5FD_file_image_callbacks_t cb = {img_malloc, img_memcpy, img_realloc, img_free,
                                      img_udata_copy, img_udata_free, im};
    if (fapl < 0 || H5Pset_fapl_core(fapl, (size_t)16 << 20, 0) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 || H5Pset_file_image_callbacks(fapl, &cb) < 0) {
        if (fapl >= 0) H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

/* Close f and every object still open in it (an error path may leave some); the fclose
 * degree is STRONG as well. */
static herr_t close_file(hid_t f) {
    ssize_t n = H5Fget_obj_count(f, H5F_OBJ_ALL & ~H5F_OBJ_FILE);
    if (n > 0) {
        hid_t *ids = malloc((size_t)n * sizeof *ids);
        if (ids) {
            n = H5Fget_obj_ids(f, H5F_OBJ_ALL & ~H5F_OBJ_FILE, (size_t)n, ids);
            for (ssize_t i = 0; i < n; i++)
                while (H5Iis_valid(ids[i]) > 0 && H5Idec_ref(ids[i]) > 0) {}
            free(ids);
        }
    }
    return H5Fclose(f);
}

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n > ((size_t)1 << 30) ? (size_t)1 << 30 : n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            return -1;
        }
        p += w, n -= (size_t)w;
    }
    return 0;
}

static void fsync_dir_of(const char *path) {
    char *copy = strdup(path);
    if (!copy) return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

lt_status ltr_h5_image_begin(ltr_h5_image *im, const char *target, char *msg, size_t cap) {
    im->file = -1;
    im->mem = NULL;
    /* what killed writers left here before (kill -9 during a save) */
    im->fd = ltr_tmp_create(target, im->tmp, sizeof im->tmp);
    if (im->fd < 0) {
        snprintf(msg, cap, "cannot create a temporary file beside it (%s): check the folder exists "
                           "and is writable", strerror(errno));
        return LT_ERROR;
    }
    hid_t fapl = memory_fapl(im);
    /* the in-memory file is named after the temporary one: HDF5's tentative open of an
     * existing name then only finds our own empty file */
    im->file = fapl < 0 ? -1 : H5Fcreate(im->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    if (im->file < 0) {
        close(im->fd);
        unlink(im->tmp);
        im->fd = -1;
        snprintf(msg, cap, "HDF5 cannot create the file in memory (out of memory?)");
        return LT_ERROR;
    }
    return LT_OK;
}

lt_status ltr_h5_image_end(ltr_h5_image *im, const char *target, bool commit, char *msg, size_t cap) {
    hid_t f = im->file;
    im->file = -1;
    lt_status rc = commit ? LT_OK : LT_ERROR;
    if (rc == LT_OK && H5Fflush(f, H5F_SCOPE_GLOBAL) < 0) {
        rc = LT_ERROR;
        snprintf(msg, cap, "HDF5 could not finish the file (out of memory?)");
    }
    ssize_t size = rc == LT_OK ? H5Fget_file_image(f, NULL, 0) : -1;
    if (rc == LT_OK && size <= 0) {
        rc = LT_ERROR;
        snprintf(msg, cap, "HDF5 could not finish the file (out of memory?)");
    }
    if (f >= 0 && close_file(f) < 0 && rc == LT_OK) {
        rc = LT_ERROR;
        snprintf(msg, cap, "closing the file failed");
    }
    if (rc == LT_OK && !im->mem) {
        rc = LT_ERROR;
        snprintf(msg, cap, "HDF5 kept no file image");
    }
    if (rc == LT_OK && (write_all(im->fd, im->mem, (size_t)size) || fsync(im->fd))) {
        rc = LT_ERROR;
        snprintf(msg, cap, "%s", strerror(errno));
    }
    free(im->mem);
    im->mem = NULL;
    if (close(im->fd) != 0 && rc == LT_OK) { /* NFS reports a full disk at close */
        rc = LT_ERROR;
        snprintf(msg, cap, "%s", strerror(errno));
    }
    im->fd = -1;
    /* rename replaces the name: a symlink at target is replaced, never followed */
    if (rc == LT_OK && rename(im->tmp, target) != 0) {
        rc = LT_ERROR;
        snprintf(msg, cap, "renaming the temporary file failed (%s)", strerror(errno));
    }
    if (rc) {
        unlink(im->tmp);
        return LT_ERROR;
    }
    fsync_dir_of(target);
    return LT_OK;
}
