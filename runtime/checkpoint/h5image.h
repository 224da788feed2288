/*
 * h5image.h — an HDF5 file written atomically and without HDF5 disk I/O: the file is built
 * in memory (HDF5's core driver, no backing store), then written through our own fd to a
 * new temporary file beside the target (util/tmpfile.h: O_EXCL|O_NOFOLLOW, a name nobody
 * can predict), fsync'd, renamed over the target, and the folder fsync'd. A full disk is
 * then a write() error and never a failed H5Fclose (which, in HDF5 1.10, leaves a
 * half-closed file that H5_term_library crashes on at exit). Peak memory: one file size.
 * Used by checkpoint saves and --predictions.
 */
#ifndef LTR_CHECKPOINT_H5IMAGE_H
#define LTR_CHECKPOINT_H5IMAGE_H

#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>

#include "ltrun.h"

typedef struct ltr_h5_image {
    hid_t file;     /* the in-memory file: write into it between begin and end */
    int fd;         /* the temporary file's */
    char tmp[4200]; /* its path */
    void *mem;      /* the image HDF5 leaves at close (internal) */
} ltr_h5_image;

/* Remove stale temporary files of dead writers beside `target`, create the temporary file
 * and the in-memory HDF5 file (im->file). The struct must not move until ltr_h5_image_end.
 * On failure: nothing is left behind, the reason in msg (e.g. "cannot create a temporary
 * file beside it (...): ..."). */
lt_status ltr_h5_image_begin(ltr_h5_image *im, const char *target, char *msg, size_t cap);

/* commit: flush, close the file (and every object an error path left open in it), write the
 * image to the temporary file, fsync, rename it to `target`. !commit, or any failure: every
 * HDF5 id of the file is closed, the temporary file removed and `target` left as it was
 * (LT_ERROR; on a failed commit the reason in msg, e.g. strerror of the write). */
lt_status ltr_h5_image_end(ltr_h5_image *im, const char *target, bool commit, char *msg, size_t cap);

#endif
