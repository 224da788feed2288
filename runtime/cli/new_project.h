/*
 * new_project.h — `ltrun new KIND NAME [DIR]` (SDK templates): start a plugin
 * project from an installed template.
 */
#ifndef LTR_NEW_PROJECT_H
#define LTR_NEW_PROJECT_H

#include <stdio.h>

/* argv: the arguments after "new". Returns the process exit code (0, or 2 for usage
 * errors and refusals, 1 for I/O failures); messages go to `err`, the summary to `out`. */
int ltr_new_project(int argc, char **argv, FILE *out, FILE *err);

#endif
