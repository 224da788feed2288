/*
 * logger_connector.c — logger plugins (contract in
 * loggers.h). Reproduces Lightning 2.6's trainer/connectors/logger_connector: 
 * log_metrics(metrics, step=None) returns at once without loggers or metrics, else
 * sets metrics.setdefault("epoch", trainer.current_epoch), uses
 * step = fit_loop.epoch_loop._batches_that_stepped, and calls
 * logger.agg_and_log_metrics(...) then logger.save() for every logger; and
 * trainer._log_hyperparams (hparams_initial of the module merged with the data
 * module's, log_hyperparams then save) and call._call_teardown_hook's
 * logger.finalize("success") (call._interrupt: "failed").
 */
#include "trainer/trainer.h"
#include "trainer/fault.h"
#include "util/mkdirs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lt_status logger_done(ltr_trainer *t, const ltr_logger *lg, const char *hook,
                             lt_status rc) {
    char msg[1024] = "";
    bool had = ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
    t->ctx.hook_name = NULL;
    ltr_fault_pop(hook);
    if (rc == LT_OK && !had) return LT_OK;
    ltr_trainer_error(t, LTR_EXIT_TRAINING, "logger '%s' (%s), %s: %s", lg->label,
                      lg->plugin.path, hook,
                      msg[0] ? msg : "the hook returned an error without a message (call lt_fail)");
    return LT_ERROR;
}

static void begin(ltr_trainer *t, const ltr_logger *lg, const char *hook) {
    t->ctx.plugin_name = lg->label;
    t->ctx.hook_name = hook;
    ltr_fault_push(LTR_FAULT_LOGGER, lg->label, lg->plugin.path, hook, t->ctx.pub.current_epoch,
                   t->ctx.pub.batch_idx); /* for a crash report (fault.h) */
}

lt_status ltr_loggers_load(ltr_trainer *t) {
    const ltr_options *o = t->opts;
    static const cJSON empty = {.type = cJSON_Object};
    ltr_callback_spec dflt = {.path = "csv", .init_args = &empty};
    const ltr_callback_spec *specs = o->loggers;
    int n = o->nloggers;
    bool implicit = false;
    if (o->logger_disabled) return LT_OK;
    /* _init_debugging_flags: trainer.loggers = [DummyLogger()] if trainer.loggers else []
     * under fast_dev_run, so no metrics.csv, hparams.yaml or version folder is written */
    if (o->trainer.fast_dev_run > 0) {
        t->lgs.dummy = true;
        return LT_OK;
    }
    /* loggers write under default_root_dir: it exists before any logger's create, so
     * a logger need not make it and a folder that cannot be made is named here */
    const char *root = o->trainer.default_root_dir[0] ? o->trainer.default_root_dir : ".";
    if (ltr_mkdirs(root) != 0) {
        ltr_trainer_error(t, LTR_EXIT_USAGE,
                          "--trainer.default_root_dir %s: cannot create the folder (%s); "
                          "give a folder you can write", root, strerror(errno));
        return LT_ERROR;
    }
    if (n == 0) { /* logger=True: the default logger */
        specs = &dflt;
        n = 1;
        implicit = true;
    }
    t->lgs.items = calloc((size_t)n, sizeof *t->lgs.items);
    if (!t->lgs.items) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "out of memory loading loggers");
        return LT_ERROR;
    }
    char err[1024], path[4096];
    for (int i = 0; i < n; i++) {
        const char *spec = specs[i].path;
        ltr_logger *lg = &t->lgs.items[t->lgs.n];
        if (ltr_plugin_resolve(spec, LT_KIND_LOGGER, path, sizeof path, err, sizeof err)) {
            if (implicit) return LT_OK; /* the default CSV logger is not installed: none */
            ltr_trainer_error(t, LTR_EXIT_PLUGIN, "--logger: %s", err);
            return LT_ERROR;
        }
        if (ltr_plugin_load(path, LT_KIND_LOGGER, &lg->plugin, err, sizeof err)) {
            ltr_trainer_error(t, LTR_EXIT_PLUGIN, "--logger: %s", err);
            return LT_ERROR;
        }
        t->lgs.n++;
        lg->vt = lg->plugin.desc->vtable;
        int twins = 0;
        for (int j = 0; j < t->lgs.n - 1; j++)
            twins += !strcmp(t->lgs.items[j].plugin.desc->name, lg->plugin.desc->name);
        ltr_plugin_label(lg->label, sizeof lg->label, lg->plugin.desc->name, twins);
        lg->hp = calloc(1, sizeof *lg->hp);
        if (!lg->hp) {
            ltr_trainer_error(t, LTR_EXIT_TRAINING, "out of memory loading loggers");
            return LT_ERROR;
        }
        ltr_hparams_init(lg->hp, specs[i].init_args, "--logger init arg ");
        ltr_hparams_set_origin(lg->hp, t->opts->origins, specs[i].origin);
        void *(*create)(lt_ctx *, const lt_hparams *) = LTR_HOOK(lg->vt, lt_logger_vtable, create);
        if (create) {
            begin(t, lg, "create");
            lg->self = create(&t->ctx.pub, lg->hp);
            if (logger_done(t, lg, "create", lg->self ? LT_OK : LT_ERROR)) return LT_ERROR;
        }
        lg->created = true;
        if (ltr_hparams_check_unread(lg->hp, lg->label, err, sizeof err)) {
            ltr_trainer_error(t, LTR_EXIT_USAGE, "%s", err);
            return LT_ERROR;
        }
    }
    return LT_OK;
}

static lt_status call_save(ltr_trainer *t, ltr_logger *lg) {
    lt_status (*save)(lt_ctx *, void *) = LTR_HOOK(lg->vt, lt_logger_vtable, save);
    if (!save) return LT_OK;
    begin(t, lg, "save");
    return logger_done(t, lg, "save", save(&t->ctx.pub, lg->self));
}

/* loggers/utilities.py::_log_hyperparams: a key in both the module's and the data
 * module's hparams must have one value (the same type and value in Python; the same JSON
 * value here), else Lightning raises before merging them. */
static lt_status check_consistent_hparams(ltr_trainer *t) {
    const cJSON *lm = t->model_hp.used, *dm = t->data_hp.used, *it;
    if (!lm || !dm) return LT_OK;
    char keys[768] = "";
    size_t len = 0;
    int n = 0;
    cJSON_ArrayForEach(it, lm) {
        const cJSON *other = cJSON_GetObjectItemCaseSensitive(dm, it->string);
        if (!other || !strcmp(it->string, "_class_path") || cJSON_Compare(it, other, true)) continue;
        int w = snprintf(keys + len, sizeof keys - len, "%s'%s'", n++ ? ", " : "", it->string);
        if (w > 0 && (size_t)w < sizeof keys - len) len += (size_t)w;
    }
    if (!n) return LT_OK;
    ltr_trainer_error(t, LTR_EXIT_TRAINING,
                      "Error while merging hparams: the keys [%s] are present in both the "
                      "LightningModule's and LightningDataModule's hparams but have different "
                      "values. (module '%s' --model.KEY, data module '%s' --data.KEY: give "
                      "both the same value)", keys,
                      t->module_plugin.desc ? t->module_plugin.desc->name : "?",
                      t->data_plugin.desc ? t->data_plugin.desc->name : "?");
    return LT_ERROR;
}

lt_status ltr_loggers_log_hyperparams(ltr_trainer *t) {
    if (t->lgs.n == 0 && !t->lgs.dummy) return LT_OK; /* `if not trainer.loggers: return` */
    if (check_consistent_hparams(t)) return LT_ERROR;
    /* the loggers' writes are rank zero's (Lightning's @rank_zero_only on Logger methods) */
    if (t->lgs.n == 0 || !ltr_trainer_is_global_zero(t)) return LT_OK;
    /* hparams_initial: the module's, updated with the data module's */
    cJSON *all = cJSON_CreateObject();
    const cJSON *src[2] = {t->model_hp.used, t->data_hp.used}, *it;
    for (int s = 0; s < 2; s++)
        if (src[s]) cJSON_ArrayForEach(it, src[s]) {
                cJSON_DeleteItemFromObjectCaseSensitive(all, it->string);
                cJSON_AddItemToObject(all, it->string, cJSON_Duplicate(it, true));
            }
    char *text = cJSON_PrintUnformatted(all);
    cJSON_Delete(all);
    lt_status rc = LT_OK;
    for (int i = 0; i < t->lgs.n && rc == LT_OK; i++) {
        ltr_logger *lg = &t->lgs.items[i];
        lt_status (*fn)(lt_ctx *, void *, const char *) =
            LTR_HOOK(lg->vt, lt_logger_vtable, log_hyperparams);
        if (fn) {
            begin(t, lg, "log_hyperparams");
            rc = logger_done(t, lg, "log_hyperparams", fn(&t->ctx.pub, lg->self, text ? text : "{}"));
        }
        if (rc == LT_OK) rc = call_save(t, lg);
    }
    cJSON_free(text);
    return rc;
}

/* metrics to every logger at `step` (< 0: _batches_that_stepped); add_epoch: the logger
 * connector's scalar_metrics.setdefault("epoch", current_epoch) */
static lt_status log_metrics(ltr_trainer *t, const ltr_metric_dict *m, bool add_epoch,
                             int64_t step);

lt_status ltr_loggers_log_metrics(ltr_trainer *t, const ltr_metric_dict *m) {
    return log_metrics(t, m, true, -1);
}

lt_status ltr_loggers_log_metrics_at(ltr_trainer *t, const ltr_metric_dict *m, int64_t step) {
    return log_metrics(t, m, step < 0, step);
}

lt_status ltr_loggers_log_metrics_direct(ltr_trainer *t, const ltr_metric_dict *m) {
    return log_metrics(t, m, false, -1);
}

static lt_status log_metrics(ltr_trainer *t, const ltr_metric_dict *m, bool add_epoch,
                             int64_t step) {
    if (t->lgs.n == 0 || !m || m->n == 0 || !ltr_trainer_is_global_zero(t)) return LT_OK;
    int n = m->n;
    const char **names = malloc(((size_t)n + 1) * sizeof *names);
    double *values = malloc(((size_t)n + 1) * sizeof *values);
    if (!names || !values) {
        free(names);
        free(values);
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "out of memory logging metrics");
        return LT_ERROR;
    }
    bool has_epoch = false;
    for (int i = 0; i < n; i++) {
        names[i] = m->names[i];
        values[i] = m->values[i];
        has_epoch |= !strcmp(names[i], "epoch");
    }
    if (add_epoch && !has_epoch) { /* scalar_metrics.setdefault("epoch", self.trainer.current_epoch) */
        names[n] = "epoch";
        values[n++] = (double)t->ctx.pub.current_epoch;
    }
    if (step < 0) step = t->loop.batches_that_stepped;
    lt_status rc = LT_OK;
    for (int i = 0; i < t->lgs.n && rc == LT_OK; i++) {
        ltr_logger *lg = &t->lgs.items[i];
        lt_status (*fn)(lt_ctx *, void *, const char *const *, const double *, int, int64_t) =
            LTR_HOOK(lg->vt, lt_logger_vtable, log_metrics);
        if (fn) {
            begin(t, lg, "log_metrics");
            rc = logger_done(t, lg, "log_metrics", fn(&t->ctx.pub, lg->self, names, values, n, step));
        }
        if (rc == LT_OK) rc = call_save(t, lg);
    }
    free(names);
    free(values);
    return rc;
}

static const void *media_hook(const ltr_logger *lg, ltr_media_kind kind) {
    switch (kind) {
    case LTR_MEDIA_IMAGE: return (const void *)LTR_HOOK(lg->vt, lt_logger_vtable, log_image);
    case LTR_MEDIA_HISTOGRAM: return (const void *)LTR_HOOK(lg->vt, lt_logger_vtable, log_histogram);
    case LTR_MEDIA_TEXT: return (const void *)LTR_HOOK(lg->vt, lt_logger_vtable, log_text);
    }
    return NULL;
}

bool ltr_loggers_want(ltr_trainer *t, ltr_media_kind kind) {
    if (!ltr_trainer_is_global_zero(t)) return false;
    for (int i = 0; i < t->lgs.n; i++)
        if (t->lgs.items[i].created && media_hook(&t->lgs.items[i], kind)) return true;
    return false;
}

/* one media call on every logger that has the hook, the calling hook's names kept */
typedef struct media_call {
    ltr_media_kind kind;
    const char *name, *text;
    const uint8_t *hwc;
    const double *values;
    int64_t h, w, c, n;
} media_call;

static lt_status media_send(ltr_trainer *t, const media_call *m) {
    if (!ltr_loggers_want(t, m->kind)) return LT_OK;
    static const char *const hook_names[] = {"log_image", "log_histogram", "log_text"};
    const char *hook = hook_names[m->kind];
    const char *plugin_name = t->ctx.plugin_name, *hook_name = t->ctx.hook_name;
    int64_t step = t->ctx.pub.global_step;
    lt_status rc = LT_OK;
    for (int i = 0; i < t->lgs.n && rc == LT_OK; i++) {
        ltr_logger *lg = &t->lgs.items[i];
        if (!lg->created || !media_hook(lg, m->kind)) continue;
        begin(t, lg, hook);
        lt_status r = LT_OK;
        if (m->kind == LTR_MEDIA_IMAGE)
            r = lg->vt->log_image(&t->ctx.pub, lg->self, m->name, m->hwc, m->h, m->w, m->c, step);
        else if (m->kind == LTR_MEDIA_HISTOGRAM)
            r = lg->vt->log_histogram(&t->ctx.pub, lg->self, m->name, m->values, m->n, step);
        else r = lg->vt->log_text(&t->ctx.pub, lg->self, m->name, m->text, step);
        rc = logger_done(t, lg, hook, r);
    }
    t->ctx.plugin_name = plugin_name;
    t->ctx.hook_name = hook_name;
    return rc;
}

lt_status ltr_loggers_log_image(ltr_trainer *t, const char *name, const uint8_t *hwc, int64_t h,
                                int64_t w, int64_t c) {
    media_call m = {.kind = LTR_MEDIA_IMAGE, .name = name, .hwc = hwc, .h = h, .w = w, .c = c};
    return media_send(t, &m);
}

lt_status ltr_loggers_log_histogram(ltr_trainer *t, const char *name, const double *values,
                                    int64_t n) {
    media_call m = {.kind = LTR_MEDIA_HISTOGRAM, .name = name, .values = values, .n = n};
    return media_send(t, &m);
}

lt_status ltr_loggers_log_text(ltr_trainer *t, const char *name, const char *text) {
    media_call m = {.kind = LTR_MEDIA_TEXT, .name = name, .text = text};
    return media_send(t, &m);
}

void ltr_loggers_finalize(ltr_trainer *t, const char *status) {
    if (!ltr_trainer_is_global_zero(t)) return;
    for (int i = 0; i < t->lgs.n; i++) {
        ltr_logger *lg = &t->lgs.items[i];
        lt_status (*fn)(lt_ctx *, void *, const char *) = LTR_HOOK(lg->vt, lt_logger_vtable, finalize);
        if (!fn || !lg->created) continue;
        begin(t, lg, "finalize");
        logger_done(t, lg, "finalize", fn(&t->ctx.pub, lg->self, status));
    }
}

void ltr_loggers_free(ltr_trainer *t) {
    for (int i = 0; i < t->lgs.n; i++) {
        ltr_logger *lg = &t->lgs.items[i];
        void (*destroy)(lt_ctx *, void *) = LTR_HOOK(lg->vt, lt_logger_vtable, destroy);
        if (lg->created && destroy) {
            begin(t, lg, "destroy");
            destroy(&t->ctx.pub, lg->self);
            ltr_ctx_take_error(&t->ctx, NULL, 0);
            ltr_fault_pop("destroy");
        }
        if (lg->hp) {
            ltr_hparams_free(lg->hp);
            free(lg->hp);
        }
    }
    for (int i = 0; i < t->lgs.n; i++) ltr_plugin_unload(&t->lgs.items[i].plugin);
    free(t->lgs.items);
    t->lgs.items = NULL;
    t->lgs.n = 0;
}
