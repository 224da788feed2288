/* host_api_log.h — ABI 1.4 logging / metric-dict / predict-output host services
 * (host_api_log.c; entries of the lt_host_api table). */
#ifndef LTR_HOST_API_LOG_H
#define LTR_HOST_API_LOG_H

#include "ltrun.h"

void ltr_api_log_ex(lt_ctx *c, const char *name, const lt_tensor *value, const lt_log_options *o);
void ltr_api_log_value_ex(lt_ctx *c, const char *name, double value, const lt_log_options *o);
/* the two steps every lt_log form shares: a one-element tensor's value (else an error in c),
 * and handing a number with its LT_* flags and batch size to the running trainer */
bool ltr_log_item(lt_ctx *c, const char *name, const lt_tensor *value, double *out);
void ltr_log_number(lt_ctx *c, const char *name, double value, unsigned flags, double bs);
void ltr_api_log_dict(lt_ctx *c, int n, const char *const *names, const lt_tensor *const *values,
                      const lt_log_options *o);
bool ltr_api_metric_get(lt_ctx *c, lt_metrics_dict which, const char *name, double *value);
int64_t ltr_api_metrics_count(lt_ctx *c, lt_metrics_dict which);
const char *ltr_api_metrics_name(lt_ctx *c, lt_metrics_dict which, int64_t i);
lt_status ltr_api_predict_output(lt_ctx *c, const char *name, const lt_tensor *value);

#endif
