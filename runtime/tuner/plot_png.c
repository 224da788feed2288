/*
 * plot_png.c — LRFinder.plot(suggest=True) as a PNG without matplotlib: 640 x 480 RGB,
 * white, a black frame for the axes, the loss against the learning rate (log scale in
 * exponential mode) as a blue line through the finite points, the suggestion as a red
 * dot. No text (ltrun draws no fonts): the CSV beside it has the numbers.
 */
#include "tuner/tuner.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef LTR_WITH_PNG
#include <png.h>
#endif

enum { W = 640, H = 480, LEFT = 60, RIGHT = 20, TOP = 20, BOTTOM = 50 };

typedef struct canvas { unsigned char px[H][W][3]; } canvas;

static void dot(canvas *c, int x, int y, const unsigned char rgb[3]) {
    if (x >= 0 && x < W && y >= 0 && y < H) memcpy(c->px[y][x], rgb, 3);
}

static void line(canvas *c, int x0, int y0, int x1, int y1, const unsigned char rgb[3]) {
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int e = dx + dy;
    for (;;) {
        dot(c, x0, y0, rgb);
        dot(c, x0, y0 + 1, rgb); /* two pixels thick */
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * e;
        if (e2 >= dy) { e += dy; x0 += sx; }
        if (e2 <= dx) { e += dx; y0 += sy; }
    }
}

lt_status ltr_plot_png(const char *path, const double *x, const double *y, int64_t n, bool log_x,
                       int64_t mark, char *err, size_t cap) {
#ifndef LTR_WITH_PNG
    (void)x; (void)y; (void)n; (void)log_x; (void)mark;
    snprintf(err, cap, "--tuner.plot %s: this build has no libpng (install libpng-dev and reconfigure)", path);
    return LT_ERROR;
#else
    canvas *c = malloc(sizeof *c);
    png_bytep rows[H];
    if (!c) {
        snprintf(err, cap, "--tuner.plot: out of memory");
        return LT_ERROR;
    }
    memset(c, 255, sizeof *c);
    static const unsigned char black[3] = {0, 0, 0}, blue[3] = {31, 119, 180}, red[3] = {214, 39, 40};
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        double xv = log_x ? log10(x[i]) : x[i];
        if (!isfinite(xv) || !isfinite(y[i])) continue;
        if (xv < x0) x0 = xv;
        if (xv > x1) x1 = xv;
        if (y[i] < y0) y0 = y[i];
        if (y[i] > y1) y1 = y[i];
    }
    if (x1 <= x0) { x0 -= 0.5; x1 += 0.5; }
    if (y1 <= y0) { y0 -= 0.5; y1 += 0.5; }
    int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
    line(c, LEFT, TOP, LEFT, TOP + ph, black);
    line(c, LEFT, TOP + ph, LEFT + pw, TOP + ph, black);
    int px = -1, py = -1;
    for (int64_t i = 0; i < n; i++) {
        double xv = log_x ? log10(x[i]) : x[i];
        if (!isfinite(xv) || !isfinite(y[i])) continue;
        int cx = LEFT + (int)lround((xv - x0) / (x1 - x0) * pw);
        int cy = TOP + ph - (int)lround((y[i] - y0) / (y1 - y0) * ph);
        if (px >= 0) line(c, px, py, cx, cy, blue);
        else dot(c, cx, cy, blue);
        px = cx;
        py = cy;
        if (i == mark)
            for (int dy = -5; dy <= 5; dy++)
                for (int dx = -5; dx <= 5; dx++)
                    if (dx * dx + dy * dy <= 25) dot(c, cx + dx, cy + dy, red);
    }
    if (mark >= 0 && mark < n) { /* the dot on top of the line */
        double xv = log_x ? log10(x[mark]) : x[mark];
        if (isfinite(xv) && isfinite(y[mark])) {
            int cx = LEFT + (int)lround((xv - x0) / (x1 - x0) * pw);
            int cy = TOP + ph - (int)lround((y[mark] - y0) / (y1 - y0) * ph);
            for (int dy = -5; dy <= 5; dy++)
                for (int dx = -5; dx <= 5; dx++)
                    if (dx * dx + dy * dy <= 25) dot(c, cx + dx, cy + dy, red);
        }
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = ltr_tuner_mkparent(path) ? NULL : fopen(tmp, "wb");
    if (!f) {
        snprintf(err, cap, "--tuner.plot: cannot write %s: %s", path, strerror(errno));
        free(c);
        return LT_ERROR;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        remove(tmp);
        free(c);
        snprintf(err, cap, "--tuner.plot: libpng failed writing %s", path);
        return LT_ERROR;
    }
    for (int r = 0; r < H; r++) rows[r] = c->px[r][0];
    png_init_io(png, f);
    png_set_IHDR(png, info, W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(c);
    if (fclose(f) || rename(tmp, path)) {
        snprintf(err, cap, "--tuner.plot: writing %s failed: %s", path, strerror(errno));
        remove(tmp);
        return LT_ERROR;
    }
    return LT_OK;
#endif
}
