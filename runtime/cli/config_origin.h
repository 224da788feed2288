/*
 * config_origin.h — where each value of the merged config came from, so that an error
 * about a key names the --config file and line that set it (jsonargparse names the
 * file and key; ltrun adds the line, which YAML's parser knows).
 *
 * The record is a cJSON object owned by ltr_options (origins): dotted path
 * ("trainer.max_epochs", "model.lr", "trainer.callbacks.0.init_args.patience") ->
 * {"file": PATH, "line": N} (line 0: unknown, a JSON file libyaml could not read).
 * A value set later (another --config, a command-line option) replaces the entry of
 * its path and every entry below it; a path without an entry has no config origin
 * (the command line, an environment default, or a built-in default).
 */
#ifndef LTR_CONFIG_ORIGIN_H
#define LTR_CONFIG_ORIGIN_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Forget path and everything below it (a command-line option replaced it). */
void ltr_origin_forget(cJSON *origins, const char *path);
/* path (and what is below it) now comes from file: its lines from `lines` (the
 * loader's path -> line numbers, may be NULL), replacing any earlier entries. */
void ltr_origin_take(cJSON *origins, const char *path, const char *file, const cJSON *lines);
/* "--config FILE, line N" (or "--config FILE") for path or its nearest recorded
 * ancestor, into buf; NULL when the value came from no config file. */
const char *ltr_origin_describe(const cJSON *origins, const char *path, char *buf, size_t cap);
/* An error message about "SECTION.KEY: ..." (optionally after "--"), rewritten to start
 * with where a config set that key: "--config cfg.yaml, line 3: trainer.max_epoch: ...".
 * Messages about values from the command line are left as they are. */
void ltr_origin_annotate(const cJSON *origins, char *err, size_t cap);

#endif
