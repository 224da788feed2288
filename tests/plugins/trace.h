/* trace.h — append one line per hook call to the file named by the "trace" hparam. */
#include <ltrun.h>

#include <stdarg.h>
#include <stdio.h>

static const char *trace_path;

__attribute__((format(printf, 1, 2))) static void trace(const char *fmt, ...) {
    FILE *f = trace_path ? fopen(trace_path, "a") : NULL;
    if (!f) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

static const char *stage_name(lt_stage s) {
    return s == LT_STAGE_FIT ? "fit" : s == LT_STAGE_VALIDATE ? "validate" : s == LT_STAGE_TEST ? "test" : "predict";
}
