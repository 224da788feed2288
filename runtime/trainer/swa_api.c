/*
 * swa_api.c — host services for weight-averaging callbacks (ABI 1.4: swa):
 * the module's parameters and buffers in registration order (torch's named_parameters /
 * named_buffers) and removal of a configured LR scheduler, which Lightning's
 * StochasticWeightAveraging needs to average the weights and to swap in SWALR.
 *
 */
#include "trainer/trainer.h"

#include "optim/configure.h"

#include <stdlib.h>
#include <string.h>

static ltr_param_store *store(lt_ctx *c) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    return t ? &t->params : NULL;
}

int64_t ltr_api_param_count(lt_ctx *c) {
    ltr_param_store *s = store(c);
    return s ? s->count : 0;
}

lt_tensor *ltr_api_param_at(lt_ctx *c, int64_t i, const char **name) {
    ltr_param_store *s = store(c);
    if (!s || i < 0 || i >= s->count) return NULL;
    if (name) *name = s->params[i]->name;
    return s->params[i];
}

int64_t ltr_api_buffer_count(lt_ctx *c) {
    ltr_param_store *s = store(c);
    return s ? s->nbuffers : 0;
}

lt_tensor *ltr_api_buffer_at(lt_ctx *c, int64_t i, const char **name) {
    ltr_param_store *s = store(c);
    if (!s || i < 0 || i >= s->nbuffers) return NULL;
    if (name) *name = s->buffers[i]->name;
    return s->buffers[i];
}

lt_status ltr_api_lr_scheduler_config_remove(lt_ctx *c, int i) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (!t || i < 0 || i >= t->optim_setup.nconfigs)
        return ltr_fail(c, "lt_lr_scheduler_config_remove: no lr scheduler config %d", i);
    ltr_optim_setup *s = &t->optim_setup;
    free(s->configs[i].name);
    free(s->configs[i].monitor);
    memmove(s->configs + i, s->configs + i + 1, (size_t)(s->nconfigs - i - 1) * sizeof *s->configs);
    s->nconfigs--;
    return LT_OK;
}
