/*
 * metrics.h — torchmetrics-style metrics (metrics.c): functional forms and the
 * lt_metric objects. Objects are lt_alloc memory of the context that made them.
 */
#ifndef LTR_METRICS_H
#define LTR_METRICS_H

#include "tensor/tensor.h"

lt_tensor *ltr_accuracy_topk(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target, int64_t k);
lt_tensor *ltr_precision(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target, int64_t num_classes);
lt_tensor *ltr_recall(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target, int64_t num_classes);
lt_tensor *ltr_f1_score(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target, int64_t num_classes);
lt_tensor *ltr_confusion_matrix(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target, int64_t num_classes);
lt_tensor *ltr_mean_absolute_error(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target);
lt_tensor *ltr_mean_squared_error(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target);

lt_metric *ltr_metric_new(lt_ctx *ctx, lt_metric_kind kind, const lt_metric_options *opt);
lt_status ltr_metric_update(lt_ctx *ctx, lt_metric *m, const lt_tensor *preds, const lt_tensor *target);
lt_tensor *ltr_metric_compute(lt_ctx *ctx, lt_metric *m);
void ltr_metric_reset(lt_ctx *ctx, lt_metric *m);

/* for the trainer's logging: not a confusion matrix; values over the epoch state and the
 * last update (NaN before any update); reset both states */
bool ltr_metric_scalar(const lt_metric *m);
double ltr_metric_epoch_value(const lt_metric *m);
double ltr_metric_batch_value(const lt_metric *m);
void ltr_metric_reset_state(lt_metric *m);

#endif
