/* h5_data_offset.c — print where a dataset's raw data lies in an HDF5 file, "OFFSET SIZE"
 * in bytes (the first chunk of a chunked dataset, as stored: after its filters), so a test
 * can flip a byte inside a tensor and nowhere else (tests/test_ckpt_save.sh).
 *   h5_data_offset FILE DATASET */
#include <hdf5.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE DATASET\n", argv[0]);
        return 2;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f < 0 ? -1 : H5Dopen2(f, argv[2], H5P_DEFAULT);
    if (d < 0) {
        fprintf(stderr, "%s: cannot open %s in %s\n", argv[0], argv[2], argv[1]);
        return 1;
    }
    hid_t pl = H5Dget_create_plist(d);
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    if (H5Pget_layout(pl) == H5D_CHUNKED) {
        hid_t sp = H5Dget_space(d);
        hsize_t off[H5S_MAX_RANK];
        unsigned mask;
        if (H5Dget_chunk_info(d, sp, 0, off, &mask, &addr, &size) < 0) addr = HADDR_UNDEF;
        H5Sclose(sp);
    } else {
        addr = H5Dget_offset(d);
        size = H5Dget_storage_size(d);
    }
    H5Pclose(pl);
    H5Dclose(d);
    H5Fclose(f);
    if (addr == HADDR_UNDEF) {
        fprintf(stderr, "%s: %s has no stored data\n", argv[0], argv[2]);
        return 1;
    }
    printf("%llu %llu\n", (unsigned long long)addr, (unsigned long long)size);
    return 0;
}
