/* png_encode.h — an HWC uint8 image as PNG bytes in memory, for the loggers that store
 * images (tensorboard's Summary.Image.encoded_image_string, mlflow's artifacts): what
 * PIL's Image.fromarray(hwc).save(f, "PNG") makes of torch's summary.image pixels (8-bit
 * RGB for 3 channels, RGBA for 4; no interlace). Header-only, one copy per plugin.
 *
 * Built with libpng when the build found it (LTR_WITH_PNG); without it png_encode fails
 * and says so, the rest of the logger works. */
#ifndef LTR_LOGGERS_PNG_ENCODE_H
#define LTR_LOGGERS_PNG_ENCODE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef LTR_WITH_PNG
#include <png.h>
#endif

typedef struct png_bytes {
    unsigned char *p; /* malloc'd; the caller frees */
    size_t n, cap;
    int oom;
} png_bytes;

#ifdef LTR_WITH_PNG
static void png_bytes_write(png_structp png, png_bytep data, png_size_t n) {
    png_bytes *b = png_get_io_ptr(png);
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + n) cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) { b->oom = 1; return; }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}
static void png_bytes_flush(png_structp png) { (void)png; }
#endif

/* 0 with out filled (free out->p), else -1 with a reason in why */
static int png_encode(const uint8_t *hwc, int64_t h, int64_t w, int64_t c, png_bytes *out,
                      const char **why) {
    memset(out, 0, sizeof *out);
#ifndef LTR_WITH_PNG
    (void)hwc; (void)h; (void)w; (void)c;
    *why = "this build has no libpng (install libpng-dev and reconfigure)";
    return -1;
#else
    if (h < 1 || w < 1 || h > 0x7fffffff || w > 0x7fffffff || (c != 3 && c != 4)) {
        *why = "the image must be H x W x 3 or 4 with H, W >= 1";
        return -1;
    }
    png_bytep *rows = malloc((size_t)h * sizeof *rows);
    png_structp png = rows ? png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        *why = "out of memory";
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) { /* libpng's error path */
        png_destroy_write_struct(&png, &info);
        free(rows);
        free(out->p);
        memset(out, 0, sizeof *out);
        *why = "libpng failed to encode the image";
        return -1;
    }
    for (int64_t y = 0; y < h; y++) rows[y] = (png_bytep)(hwc + (size_t)y * (size_t)w * (size_t)c);
    png_set_write_fn(png, out, png_bytes_write, png_bytes_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
                 c == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    if (out->oom) {
        free(out->p);
        memset(out, 0, sizeof *out);
        *why = "out of memory";
        return -1;
    }
    return 0;
#endif
}

#endif
