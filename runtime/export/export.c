/*
 * export.c — `ltrun export --ckpt-path F --module M --data D --format onnx --output PATH
 * [flags]`: a `predict` run limited to one batch (the module restored from F, in eval
 * mode) in which the exporter's in-process callback traces forward on that batch's
 * input (export.h) and writes the ONNX model; the run's predictions are discarded.
 */
#include "export/export.h"

#include "cli/options.h"
#include "core/context.h"
#include "tensor/tensor.h"
#include "trainer/trainer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct exporter {
    const char *output;
    bool done;
} exporter;

static exporter *active; /* the export now running (one per process, main thread) */

static void *ex_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)ctx; (void)hp;
    return active;
}

static lt_status ex_on_predict_batch_start(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    exporter *e = self;
    (void)i;
    if (e->done) return LT_OK;
    ltr_trainer *t = ltr_ctx_of(ctx)->trainer;
    lt_tensor *(*forward)(lt_ctx *, void *, lt_tensor *) = LTR_HOOK(t->mvt, lt_module_vtable, forward);
    if (!forward)
        return lt_fail(ctx, "export: module '%s' has no forward hook: to_onnx exports forward "
                            "(add .forward to its LT_MODULE)", t->module_plugin.desc->name);
    lt_tensor *x = lt_batch_at(ctx, batch, 0);
    if (!x) return lt_fail(ctx, "export: the batch has no field 0 (forward's input)");
    /* a traced copy of the input: every op from it on is recorded (grad enabled) */
    lt_tensor *xin = ltr_empty_like(ctx, x);
    if (!xin || ltr_copy_(ctx, xin, x)) return LT_ERROR;
    xin->flags |= LTR_T_REQUIRES_GRAD;
    ltr_ctx *c = ltr_ctx_of(ctx);
    /* the predict loop runs under inference_mode, which records nothing: the trace leaves
     * it, as torch.onnx.export traces outside any inference_mode */
    bool was = c->grad_enabled, was_inference = c->inference_mode;
    c->grad_enabled = true;
    c->inference_mode = false;
    lt_tensor *y = forward(ctx, t->module, xin);
    c->grad_enabled = was;
    c->inference_mode = was_inference;
    if (!y) return c->failed ? LT_ERROR : lt_fail(ctx, "export: forward returned NULL");
    char err[4600];
    if (ltr_onnx_write(ctx, xin, y, e->output, err, sizeof err))
        return lt_fail(ctx, "export --format onnx: %s", err);
    char s1[96], s2[96];
    printf("export: %s (ONNX, opset 17): input %s -> output %s, batch dimension free\n", e->output,
           ltr_shape_str(xin, s1, sizeof s1), ltr_shape_str(y, s2, sizeof s2));
    fflush(stdout);
    e->done = true;
    return LT_OK;
}

static const lt_callback_vtable ex_vtable = {.size = sizeof(lt_callback_vtable), .create = ex_create,
                                             .on_predict_batch_start = ex_on_predict_batch_start};
static const lt_descriptor ex_descriptor = {LT_ABI_MAJOR, LT_ABI_MINOR, sizeof(lt_descriptor),
                                            LT_KIND_CALLBACK, "onnx_export", "builtin",
                                            "LightningModule.to_onnx", &ex_vtable};

int ltr_export_main(int argc, char **argv) {
    const char *format = "onnx", *output = NULL;
    char **rest = calloc((size_t)argc + 8, sizeof *rest);
    if (!rest) {
        fputs("ltrun: error: out of memory\n", stderr);
        return LTR_EXIT_TRAINING;
    }
    int n = 0;
    bool has_ckpt = false;
    rest[n++] = argv[0];
    rest[n++] = "predict";
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--format") || !strcmp(argv[i], "--output")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ltrun: error: %s needs a value\n", argv[i]);
                free(rest);
                return LTR_EXIT_USAGE;
            }
            if (argv[i][2] == 'f') format = argv[++i];
            else output = argv[++i];
            continue;
        }
        has_ckpt |= !strcmp(argv[i], "--ckpt-path") || !strncmp(argv[i], "--ckpt-path=", 12);
        rest[n++] = argv[i];
    }
    int code = LTR_EXIT_OK;
    if (strcmp(format, "onnx")) {
        fprintf(stderr, "ltrun: error: --format %s: ltrun exports onnx only (--format onnx)\n", format);
        code = LTR_EXIT_USAGE;
    } else if (!output) {
        fprintf(stderr, "ltrun: error: export needs --output FILE (e.g. --output model.onnx)\n");
        code = LTR_EXIT_USAGE;
    } else if (!has_ckpt) {
        fprintf(stderr, "ltrun: error: export needs --ckpt-path F: the trained weights to export\n");
        code = LTR_EXIT_USAGE;
    }
    if (code == LTR_EXIT_OK) {
        /* one predict batch; max_epochs given so the fit-limit warning stays out of it */
        rest[n++] = "--trainer.max_epochs";
        rest[n++] = "1";
        rest[n++] = "--trainer.limit_predict_batches";
        rest[n++] = "1";
        rest[n++] = "--trainer.enable_progress_bar";
        rest[n++] = "false";
        ltr_options o;
        char err[1024];
        if (ltr_options_parse(n, rest, &o, err, sizeof err)) {
            fprintf(stderr, "ltrun: error: %s\n", err);
            code = LTR_EXIT_USAGE;
        } else {
            exporter e = {.output = output};
            active = &e;
            o.builtin_callback = &ex_descriptor;
            o.logger_disabled = true;
            o.nloggers = 0;
            o.results_path = NULL;
            o.predictions_discard = true; /* the run's predictions are not wanted */
            code = ltr_trainer_run(&o);
            active = NULL;
            if (code == LTR_EXIT_OK && !e.done) {
                fprintf(stderr, "ltrun: error: export: the data module gave no predict (or test) "
                                "batch to trace forward on\n");
                code = LTR_EXIT_TRAINING;
            }
        }
        ltr_options_free(&o);
    }
    free(rest);
    return code;
}
