/*
 * export.h — `ltrun export`: Lightning's LightningModule.to_onnx for the command line.
 * The module is built from --ckpt-path (its hparams and weights, load_from_checkpoint),
 * put in eval mode and traced: forward runs once on the first predict (else test, val)
 * batch of the data module with autograd recording, and the recorded graph from that
 * input to forward's output is written as an ONNX model (onnx.c). The batch dimension is
 * left free ("batch"); the other dimensions are those of the traced input.
 */
#ifndef LTR_EXPORT_H
#define LTR_EXPORT_H

#include "ltrun.h"

#include <stddef.h>

/* `ltrun export ...` (argv[1] == "export"); the exit status */
int ltr_export_main(int argc, char **argv);

/* Write the graph that produced `out` from `in` (forward's input, traced) as an ONNX
 * model at path (temporary file + rename). LT_OK, or LT_ERROR with the reason in err:
 * an op without an ONNX form is named there. */
lt_status ltr_onnx_write(lt_ctx *ctx, const lt_tensor *in, const lt_tensor *out, const char *path,
                         char *err, size_t cap);

#endif
