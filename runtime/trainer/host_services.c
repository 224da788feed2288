/* host_services.c — the lt_host_api members the trainer serves: hook and loop control,
 * optimization (automatic and manual), checkpoints and their folders, callbacks' and
 * SWA's services, module hooks, update_bn. Registered with api/ before the first hook
 * runs, so the host table (api/host_api.c) does not call up into the trainer. */
#include "api/host_api.h"
#include "checkpoint/checkpoint.h"
#include "trainer/hooks.h"
#include "trainer/trainer.h"

static void fill(lt_host_api *api) {
    api->estimated_stepping_batches = ltr_api_estimated_stepping_batches;
    api->should_stop = ltr_api_should_stop;
    api->set_should_stop = ltr_api_set_should_stop;
    api->optimizer_step = ltr_api_optimizer_step;
    api->optimizer_zero_grad = ltr_api_optimizer_zero_grad;
    api->closure_run = ltr_api_closure_run;
    api->clip_gradients = ltr_api_clip_gradients;
    api->train_mode = ltr_api_train_mode;
    api->batch_set = ltr_api_batch_set;
    api->should_update_logs = ltr_api_should_update_logs;
    api->set_automatic_optimization = ltr_api_set_automatic_optimization;
    api->automatic_optimization = ltr_api_automatic_optimization;
    api->manual_backward = ltr_api_manual_backward;
    api->toggle_optimizer = ltr_api_toggle_optimizer;
    api->untoggle_optimizer = ltr_api_untoggle_optimizer;
    api->requires_grad = ltr_api_requires_grad;
    api->set_requires_grad = ltr_api_set_requires_grad;
    api->default_root_dir = ltr_api_default_root_dir;
    api->save_checkpoint = ltr_api_save_checkpoint;
    api->hp_json = ltr_api_hp_json;
    api->trainer_flag = ltr_api_trainer_flag;
    api->optimizer_name = ltr_api_optimizer_name;
    api->lr_scheduler_config = ltr_api_lr_scheduler_config;
    api->logger_log_metrics = ltr_api_logger_log_metrics;
    api->callback_metric_set = ltr_api_callback_metric_set;
    api->set_accumulate_grad_batches = ltr_api_set_accumulate_grad_batches;
    api->checkpoint_paths_set = ltr_api_checkpoint_paths_set;
    api->model_summary = ltr_api_model_summary;
    api->param_count = ltr_api_param_count;
    api->param_at = ltr_api_param_at;
    api->buffer_count = ltr_api_buffer_count;
    api->buffer_at = ltr_api_buffer_at;
    api->lr_scheduler_config_remove = ltr_api_lr_scheduler_config_remove;
    api->add_callback = ltr_api_add_callback;
    api->tensor_backward = ltr_api_tensor_backward;
    api->checkpoint_dir = ltr_api_checkpoint_dir;
    api->checkpoint_dirpath_add = ltr_api_checkpoint_dirpath_add;
    api->update_bn = ltr_api_update_bn;
    api->grad = ltr_api_grad;
    api->grad_norm = ltr_api_grad_norm;
    api->logger_log_metrics_step = ltr_api_logger_log_metrics_step;
    api->log_image = ltr_api_log_image;
    api->log_histogram = ltr_api_log_histogram;
    api->log_text = ltr_api_log_text;
    api->step_output = ltr_api_step_output;
    api->dist_topology = ltr_api_dist_topology;
    api->dist_barrier = ltr_api_dist_barrier;
    api->dist_broadcast = ltr_api_dist_broadcast;
    api->dist_reduce = ltr_api_dist_reduce;
    api->dist_reduce_bool = ltr_api_dist_reduce_bool;
    api->dist_all_gather = ltr_api_dist_all_gather;
    api->set_prepare_data_per_node = ltr_api_set_prepare_data_per_node;
    api->move_data_to_device = ltr_api_move_data_to_device;
}

void ltr_trainer_serve_host_api(void) { ltr_host_api_serve(fill); }
