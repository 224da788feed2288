#!/bin/sh
# test_backend_ops with tests/fake_device.c's backend registered: every op x dtype runs on
# "fake" too (its kernels refuse memory that is not from its own pool), against the CPU.
LTR_TEST_DEVICE=fake exec "${top_builddir:-.}/tests/test_backend_ops" "$@"
