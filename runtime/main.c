/* main.c — ltrun's entry: parse the command line, then hand over to the trainer. */
#include "cli/new_project.h"
#include "cli/options.h"
#include "cli/print_config.h"
#include "plugin/loader.h"
#include "trainer/trainer.h"
#include "tuner/tuner.h"
#include "export/export.h"

#include "checkpoint/checkpoint.h"

#include <stdio.h>
#include <string.h>

#ifndef LTR_VERSION
#define LTR_VERSION "0.0.0"
#endif

int main(int argc, char **argv) {
    /* `ltrun plugins` lists what the plugin search path holds */
    if (argc >= 2 && !strcmp(argv[1], "plugins")) return ltr_plugins_list(stdout);
    /* `ltrun inspect FILE [--json]` reads a checkpoint; no plugins, no trainer */
    if (argc > 1 && !strcmp(argv[1], "inspect")) return ltr_ckpt_inspect_main(argc, argv);
    /* `ltrun new KIND NAME [DIR]` starts a plugin project from a template */
    if (argc >= 2 && !strcmp(argv[1], "new")) return ltr_new_project(argc - 2, argv + 2, stdout, stderr);
    /* `ltrun tune ...`: Lightning's Tuner (lr_find, scale_batch_size) over fit trials */
    if (argc >= 2 && !strcmp(argv[1], "tune")) return ltr_tune_main(argc, argv);
    /* `ltrun export --format onnx ...`: LightningModule.to_onnx of a checkpoint */
    if (argc >= 2 && !strcmp(argv[1], "export")) return ltr_export_main(argc, argv);
    ltr_options o;
    char err[1024];
    if (ltr_options_parse(argc, argv, &o, err, sizeof err)) {
        fprintf(stderr, "ltrun: error: %s\n", err);
        ltr_options_free(&o);
        return LTR_EXIT_USAGE;
    }
    o.argc = argc;
    o.argv = argv;
    int code = LTR_EXIT_OK;
    if (o.command == LTR_CMD_HELP) {
        ltr_options_print_help(stdout);
    } else if (o.command == LTR_CMD_VERSION) {
        printf("ltrun %s (plugin ABI %d.%d)\n", LTR_VERSION, LT_ABI_MAJOR, LT_ABI_MINOR);
    } else if (o.print_config) {
        /* LightningCLI's dump header, "# lightning.pytorch==2.6.0" */
        code = ltr_print_config(&o, stdout, "ltrun==" LTR_VERSION);
    } else {
        code = ltr_trainer_run(&o);
    }
    ltr_options_free(&o);
    return code;
}
