/*
 * yaml_config.h — YAML config files and --print-config's YAML, as LightningCLI (through
 * jsonargparse and PyYAML) reads and writes them.
 *
 * Reading follows jsonargparse's loader: PyYAML's SafeLoader (YAML 1.1: yes/no/on/off
 * are booleans, 0x10 and 010 are ints, ~ is null), without timestamps, with a float
 * resolver that also takes 1e-3. The result is the same cJSON tree the JSON config
 * gives, with two conventions of options.h kept: an integer beyond 2^53 is a raw node
 * with every digit (ltr_json_int), and a float literal with an integral value ("1.0",
 * "1e3") is a raw node with its canonical text ("1.0", "1000.0"), so that a limit of
 * 1.0 (a fraction) stays apart from 1 (one batch), as Python's float and int are.
 * Writing is PyYAML's safe_dump with jsonargparse's settings (block style, keys in
 * order, unicode as is), through libyaml's emitter.
 */
#ifndef LTR_YAML_CONFIG_H
#define LTR_YAML_CONFIG_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Parse YAML text (len bytes) into a tree; NULL with err set ("--config PATH: ...", a
 * syntax error with its line and column) when it is not one valid YAML document.
 * lines (may be NULL): set to an owned object, dotted path of each mapping key and list
 * item ("trainer.max_epochs", "trainer.callbacks.0") -> its line (config_origin.h);
 * NULL on failure. */
cJSON *ltr_yaml_load(const char *text, size_t len, const char *path, char *err, size_t cap,
                     cJSON **lines);
/* A plain (unquoted) scalar as the loader resolves it: null, bool, int, float or string. */
cJSON *ltr_yaml_plain_scalar(const char *s);
/* The tree as YAML text (malloc'd, NUL-terminated), after `header` lines written as
 * comments; NULL on failure. */
char *ltr_yaml_dump(const cJSON *root, const char *header);

#endif
