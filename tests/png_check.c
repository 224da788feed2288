/* png_check.c — decode a PNG with libpng (every chunk's CRC and the zlib stream are
 * checked while reading) and print "WIDTHxHEIGHT COLOR_TYPE BIT_DEPTH MEAN" for
 * tests/test_gan.sh; exit 1 with a message when the file is not a valid PNG. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: png_check FILE.png\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) return 1;
    if (setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "%s: not a valid PNG\n", argv[1]);
        return 1;
    }
    png_init_io(png, f);
    png_read_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int ct = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    png_bytepp rows = png_get_rows(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    double sum = 0;
    for (png_uint_32 y = 0; y < h; y++)
        for (size_t x = 0; x < rowbytes; x++) sum += rows[y][x];
    printf("%ux%u %s %d %.3f\n", (unsigned)w, (unsigned)h, ct == PNG_COLOR_TYPE_GRAY ? "gray" : "other",
           depth, h && rowbytes ? sum / ((double)h * (double)rowbytes) : 0.0);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return 0;
}
