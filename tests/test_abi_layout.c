/*
 * test_abi_layout.c — the SDK's structs are frozen where plugins already compiled against
 * them read: the last member each ABI minor added to the host table, the context head,
 * the descriptor, the vtables and lt_dataset keeps its offset (x86-64 / LP64 figures).
 * A member inserted or reordered in the middle, or a type changed, moves these and
 * breaks every plugin built before; new members go at the end, under a new minor.
 *
 * Growing a struct at the end is allowed: then update its size below and add the new
 * minor's last member to its table.
 */
#include "check_run.h"
#include "ltrun.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct frozen {
    const char *where; /* struct.member (minor that added it) */
    size_t offset, want;
} frozen;

#define AT(type, member, minor, off) {#type "." #member " (ABI " minor ")", offsetof(type, member), off}

static const frozen members[] = {
    AT(lt_host_api, randperm, "1.0", 352),
    AT(lt_host_api, conv2d_init, "1.1", 376),
    AT(lt_host_api, tanh, "1.2", 432),
    AT(lt_host_api, scaled_dot_product_attention, "1.3", 1288),
    AT(lt_host_api, lr_scheduler_config_remove, "1.4", 1864),
    AT(lt_host_api, worker_info, "1.5", 1976),
    AT(lt_host_api, tmp_create, "1.6", 1984),
    AT(lt_host_api, get_extension, "1.7", 1992),
    AT(lt_host_api, tensor_to_host, "1.7", 2016),
    AT(lt_host_api, batchnorm_init_nd, "1.8", 2040),
    AT(lt_host_api, ckpt_put_state_dict, "1.8", 2072),
    AT(lt_host_api, log_text, "1.8", 2096),
    AT(lt_host_api, step_output, "1.8", 2104),
    AT(lt_host_api, dist_all_gather, "1.9", 2152),
    AT(lt_host_api, move_data_to_device, "1.9", 2168),
    AT(lt_host_api, autocast, "1.9", 2176),
    AT(lt_host_api, sample_field, "1.9", 2184),
    AT(lt_host_api, default_collate, "1.9", 2200),
    AT(lt_host_api, batch_nfields, "1.9", 2208),
    AT(lt_ctx, api, "1.0", 0),
    AT(lt_ctx, current_epoch, "1.0", 24),
    AT(lt_ctx, sanity_checking, "1.0", 48),
    AT(lt_ctx, dataloader_idx, "1.9", 56),
    AT(lt_descriptor, size, "1.0", 8),
    AT(lt_descriptor, vtable, "1.0", 40),
    AT(lt_module_vtable, on_fit_end, "1.0", 136),
    AT(lt_module_vtable, on_load_checkpoint, "1.4", 432),
    AT(lt_module_vtable, backward, "1.5", 448),
    AT(lt_module_vtable, transfer_batch_to_device, "1.9", 472),
    AT(lt_datamodule_vtable, get_item, "1.0", 56),
    AT(lt_datamodule_vtable, load_state_dict, "1.4", 96),
    AT(lt_datamodule_vtable, worker_init, "1.5", 112),
    AT(lt_datamodule_vtable, transfer_batch_to_device, "1.9", 120),
    AT(lt_datamodule_vtable, num_dataloaders, "1.9", 128),
    AT(lt_datamodule_vtable, iter_begin, "1.9", 136),
    AT(lt_datamodule_vtable, iter_end, "1.9", 152),
    AT(lt_datamodule_vtable, collate, "1.9", 160),
    AT(lt_callback_vtable, on_exception, "1.4", 296),
    AT(lt_callback_vtable, on_load_checkpoint, "1.4", 328),
    AT(lt_logger_vtable, finalize, "1.4", 48),
    AT(lt_logger_vtable, version_dir, "1.5", 56),
    AT(lt_logger_vtable, log_text, "1.8", 80),
    AT(lt_dataset, drop_last, "1.0", 673),
    AT(lt_dataset, shuffle_blocks, "1.5", 800),
    AT(lt_dataset, iterable, "1.9", 804),
    AT(lt_dataset, timeout, "1.9", 808),
    AT(lt_samples, padding_value, "1.9", 56),
    AT(lt_strategy_vtable, create, "1.7", 8),
    AT(lt_strategy_vtable, save_checkpoint, "1.7", 112),
    AT(lt_strategy_env, world_size, "1.7", 32),
    AT(lt_gradients_v1, on_grad_ready, "1.7", 40),
    AT(lt_strategy_base_v1, optimizer_step, "1.7", 24),
    AT(lt_strategy_vtable, on_exception, "1.9", 120),
    AT(lt_strategy_env, argv, "1.9", 72),
    AT(lt_gradients_v1, should_accumulate, "1.9", 48),
    AT(lt_strategy_base_v1, setup, "1.9", 32),
};

#define SZ(type, n) {#type " (size at ABI 1.9)", sizeof(type), n}
static const frozen sizes[] = {
    SZ(lt_host_api, 2216),     SZ(lt_ctx, 64),         SZ(lt_descriptor, 48),
    SZ(lt_module_vtable, 480), SZ(lt_datamodule_vtable, 168), SZ(lt_callback_vtable, 336),
    SZ(lt_logger_vtable, 88),  SZ(lt_dataset, 816),      SZ(lt_samples, 64),
    SZ(lt_strategy_vtable, 128), SZ(lt_strategy_env, 80), SZ(lt_gradients_v1, 56),
    SZ(lt_strategy_base_v1, 40),
};

static int check_table(const frozen *t, size_t n) {
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].offset != t[i].want) {
            fprintf(stderr, "%s: at %zu, frozen at %zu\n", t[i].where, t[i].offset, t[i].want);
            bad++;
        }
    return bad;
}

START_TEST(members_stay_where_old_plugins_read_them) {
    if (sizeof(void *) != 8 || sizeof(long) != 8) return; /* the figures are LP64's */
    ck_assert_int_eq(LT_ABI_MAJOR, 1);
    int bad = check_table(members, sizeof members / sizeof members[0]);
    ck_assert_msg(bad == 0, "%d member(s) moved (see stderr): add new members at the end, under a new minor", bad);
}
END_TEST

START_TEST(struct_sizes_match_this_minor) {
    if (sizeof(void *) != 8 || sizeof(long) != 8) return;
    ck_assert_msg(LT_ABI_MINOR == 9, "LT_ABI_MINOR is %d: add its last members and sizes here", LT_ABI_MINOR);
    int bad = check_table(sizes, sizeof sizes / sizeof sizes[0]);
    ck_assert_msg(bad == 0, "%d struct size(s) changed without a new minor (see stderr)", bad);
}
END_TEST

int main(void) {
    Suite *s = suite_create("abi_layout");
    TCase *tc = tcase_create("lp64");
    tcase_add_test(tc, members_stay_where_old_plugins_read_them);
    tcase_add_test(tc, struct_sizes_match_this_minor);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
