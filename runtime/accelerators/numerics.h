/*
 * numerics.h — the argument types of the kernel table's numerics entries (conv geometry,
 * optimizer scalars), kept beside accelerator.h so the table itself stays a list of entries.
 *
 * The optimizer scalars are Python floats, computed in double by runtime/optim/ exactly
 * as torch.optim computes them (bias corrections, step sizes, 1 - beta); a kernel casts
 * them to the parameter's dtype where ATen's kernels take them.
 */
#ifndef LTR_NUMERICS_H
#define LTR_NUMERICS_H

#include "ltrun.h"

#include <stdbool.h>
#include <stdint.h>

/* torch.optim.SGD: buf = first ? g : buf * momentum + g * damp1 (damp1 = 1 - dampening),
 * g = nesterov ? g + buf * momentum : buf, p += g * neg_lr (neg_lr = -lr) */
typedef struct ltr_sgd_scalars {
    bool maximize, nesterov, first; /* first: the momentum buffer's first update */
    double weight_decay, momentum, damp1, neg_lr;
} ltr_sgd_scalars;

/* torch.optim.Adam / AdamW. decay: 0 none, 1 L2 (Adam), 2 decoupled (AdamW: p *= wmul,
 * wmul = 1 - lr * weight_decay); w1 = 1 - beta1 (lerp's weight); one_minus_b2 = 1 - beta2;
 * bc2_sqrt = bias_correction2 ** 0.5; neg_step_size = -lr / bias_correction1 */
typedef struct ltr_adam_scalars {
    bool maximize;
    int decay;
    double weight_decay, wmul, w1, beta2, one_minus_b2, bc2_sqrt, eps, neg_step_size;
} ltr_adam_scalars;

/* torch.optim.RMSprop: one_minus_alpha = 1 - alpha (also grad_avg's lerp weight) */
typedef struct ltr_rmsprop_scalars {
    bool maximize;
    double weight_decay, alpha, one_minus_alpha, eps, momentum, neg_lr;
} ltr_rmsprop_scalars;

/* torch.optim.Adagrad: neg_clr = -lr / (1 + (step - 1) * lr_decay) */
typedef struct ltr_adagrad_scalars {
    bool maximize;
    double weight_decay, eps, neg_clr;
} ltr_adagrad_scalars;

/* A conv2d problem as the conv entries see it: the options, the kernel size (kh, kw) and
 * the output size. algo is written by conv2d_forward (the path it took) and read by the
 * two backward entries, which take the same one (cuDNN's algorithm choice). */
typedef enum ltr_conv_algo { LTR_CONV_ALGO_ANY, LTR_CONV_ALGO_IM2COL, LTR_CONV_ALGO_DNNL } ltr_conv_algo;
typedef struct ltr_conv_geo {
    lt_conv2d_options opt;
    int64_t k[2], ho, wo;
    int algo; /* ltr_conv_algo */
} ltr_conv_geo;
/* the `pass` of conv2d_workspace */
enum { LTR_CONV_FORWARD, LTR_CONV_BACKWARD_DATA, LTR_CONV_BACKWARD_WEIGHT };

/* the pointwise losses of the pointwise_loss entries */
typedef enum ltr_loss_kind {
    LTR_LOSS_MSE, LTR_LOSS_L1, LTR_LOSS_SMOOTH_L1, LTR_LOSS_HUBER, LTR_LOSS_BCE,
    LTR_LOSS_BCE_LOGITS, LTR_LOSS_KL, LTR_LOSS_KL_LOG
} ltr_loss_kind;

#endif
