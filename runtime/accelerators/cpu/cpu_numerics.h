/* cpu_numerics.h — the CPU side of the kernel table's numerics entries (accelerator.h's
 * last block): optimizer updates, conv, losses and metrics, bf16, norms, finiteness */
#ifndef LTR_CPU_NUMERICS_H
#define LTR_CPU_NUMERICS_H

#include "accelerators/cpu/cpu_optim.h"
#include "util/rng.h"

#include <stddef.h>

void ltr_cpu_sq_norm_accum(const lt_tensor *g, lt_tensor *acc);
void ltr_cpu_grad_scale(lt_tensor *g, double coef);
void ltr_cpu_grad_clamp(lt_tensor *g, double clip_value);
void ltr_cpu_all_finite(const lt_tensor *x, lt_tensor *flag);

void ltr_cpu_swap_batch_channels(const void *src, void *dst, int64_t a, int64_t b, size_t block);
void ltr_cpu_add_channel_bias(lt_tensor *y, const lt_tensor *b, int64_t n, int64_t c, int64_t hw);
size_t ltr_cpu_conv2d_workspace(int pass, const lt_tensor *x, const lt_tensor *w,
                                const ltr_conv_geo *g, bool need_w, bool need_b);
void ltr_cpu_conv2d_forward(const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                            ltr_conv_geo *g, void *ws, lt_tensor *y);
void ltr_cpu_conv2d_backward_data(const lt_tensor *gy, const lt_tensor *w, const ltr_conv_geo *g,
                                  void *ws, lt_tensor *gx);
void ltr_cpu_conv2d_backward_weight(const lt_tensor *x, const lt_tensor *gy, const ltr_conv_geo *g,
                                    void *ws, lt_tensor *gw, bool accumulate, lt_tensor *gb);
/* bfloat16 conv2d on float32 copies in the workspace (cpu_conv2d_bf16.c), for the calls
 * no bfloat16 kernel serves; the workspace size covers the copies and float32's own */
size_t ltr_cpu_conv2d_bf16_workspace(int pass, const lt_tensor *x, const lt_tensor *w,
                                     const ltr_conv_geo *g, bool need_w, bool need_b);
void ltr_cpu_conv2d_forward_bf16_widened(const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                                         ltr_conv_geo *g, void *ws, lt_tensor *y);
void ltr_cpu_conv2d_backward_data_bf16_widened(const lt_tensor *gy, const lt_tensor *w,
                                               const ltr_conv_geo *g, void *ws, lt_tensor *gx);
void ltr_cpu_conv2d_backward_weight_bf16_widened(const lt_tensor *x, const lt_tensor *gy,
                                                 const ltr_conv_geo *g, void *ws, lt_tensor *gw,
                                                 bool accumulate, lt_tensor *gb);

/* the normalisation kernels of cpu_nn.c with their statistics as float64 tensors */
void ltr_cpu_norm_stats_t(const lt_tensor *x, int64_t outer, int64_t c, int64_t inner,
                          lt_tensor *mean, lt_tensor *var);
void ltr_cpu_norm_apply_t(const lt_tensor *x, int64_t outer, int64_t c, int64_t inner,
                          const lt_tensor *mean, const lt_tensor *invstd, lt_tensor *y);
void ltr_cpu_norm_backward_t(const lt_tensor *y, const lt_tensor *gy, int64_t outer, int64_t c,
                             int64_t inner, const lt_tensor *invstd, bool batch_stats, lt_tensor *gx);
void ltr_cpu_norm_invstd(lt_tensor *var, double eps);
void ltr_cpu_norm_backward_reduce_t(const lt_tensor *y, const lt_tensor *gy, int64_t outer,
                                    int64_t c, int64_t inner, lt_tensor *sums);
void ltr_cpu_norm_backward_elemt_t(const lt_tensor *y, const lt_tensor *gy, int64_t outer,
                                   int64_t c, int64_t inner, const lt_tensor *invstd,
                                   const lt_tensor *sums, double count, lt_tensor *gx);
void ltr_cpu_norm_running_update(lt_tensor *running_mean, lt_tensor *running_var,
                                 const lt_tensor *mean, const lt_tensor *var, double momentum,
                                 int64_t m);

/* losses (cpu_losses.c) */
void ltr_cpu_pointwise_loss(int kind, const lt_tensor *x, const lt_tensor *y, const lt_tensor *w,
                            const lt_tensor *pw, double param, int red, lt_tensor *out,
                            lt_tensor *d);
void ltr_cpu_pointwise_loss_backward(int red, const lt_tensor *d, int k, const lt_tensor *gout,
                                     double div, lt_tensor *g);
void ltr_cpu_ce_loss(const lt_tensor *x, const lt_tensor *y, const lt_tensor *w, int64_t ignore,
                     int red, double eps, bool softmax, lt_tensor *sv, lt_tensor *out,
                     lt_tensor *scale);
void ltr_cpu_ce_loss_backward(const lt_tensor *x, const lt_tensor *sv, int red, bool softmax,
                              const lt_tensor *gout, const lt_tensor *scale, lt_tensor *gx,
                              lt_tensor *gy);
void ltr_cpu_first_out_of_range(const lt_tensor *x, double lo, double hi, bool has_skip,
                                double skip, lt_tensor *idx);
void ltr_cpu_match_fraction(const lt_tensor *a, const lt_tensor *b, lt_tensor *out);
void ltr_cpu_metric_update(int kind, int64_t C, int64_t k, const lt_tensor *preds,
                           const lt_tensor *target, lt_tensor *cnt, lt_tensor *sums);
void ltr_cpu_metric_merge(lt_tensor *cnt, const lt_tensor *bcnt, lt_tensor *sums,
                          const lt_tensor *bsums);
void ltr_cpu_metric_value(int kind, int64_t C, const lt_tensor *cnt, const lt_tensor *sums,
                          lt_tensor *out);

/* random fills and counters (cpu_random.c) */
void ltr_cpu_rng_fill(int kind, lt_tensor *t, const double *arg, ltr_rng *rng);
void ltr_cpu_count_add(lt_tensor *t, int64_t delta);

#endif
