/* print_config.h — --print-config: the run config as LightningCLI prints it (print_config.c). */
#ifndef LTR_PRINT_CONFIG_H
#define LTR_PRINT_CONFIG_H

#include "cli/options.h"

#include <stdio.h>

/* Print o's config (o->print_format) to out, YAML after `header` as comment lines.
 * Returns an exit status: 0, or the trainer's when a plugin's create hook failed. */
int ltr_print_config(const ltr_options *o, FILE *out, const char *header);

#endif
