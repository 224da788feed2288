/*
 * test_sched.c — torch.optim.lr_scheduler's values at every step, recorded from real
 * torch (torch 1.13.1, /usr/bin/python3) and hard-coded below; plus the options' checks.
 *
 * Every sequence ran on an optimizer with two param groups (lr 0.1 and 0.05):
 *   SGD([{'params': [p1]}, {'params': [p2], 'lr': 0.05}], lr=0.1)   (Adam likewise)
 * row 0 is the lrs after the constructor, row k after the k-th scheduler.step()
 * (or step(metric) / step(epoch)). The generating calls are named at each table.
 */
#include "check_run.h"
#include "core/context.h"
#include "optim/lr_scheduler.h"
#include "optim/optimizer.h"
#include "tensor/tensor.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* torch: StepLR(o, step_size=3, gamma=0.5), 12 steps */
static const double step_lr[13][2] = {{0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.05, 0.025}, {0.05, 0.025}, {0.05, 0.025}, {0.025, 0.0125}, {0.025, 0.0125}, {0.025, 0.0125}, {0.0125, 0.00625}, {0.0125, 0.00625}, {0.0125, 0.00625}, {0.00625, 0.003125}};
/* torch: MultiStepLR(o, milestones=[5, 2, 5, 9], gamma=0.3), 12 steps */
static const double multistep_lr[13][2] = {{0.1, 0.05}, {0.1, 0.05}, {0.03, 0.015}, {0.03, 0.015}, {0.03, 0.015}, {0.0026999999999999997, 0.0013499999999999999}, {0.0026999999999999997, 0.0013499999999999999}, {0.0026999999999999997, 0.0013499999999999999}, {0.0026999999999999997, 0.0013499999999999999}, {0.0008099999999999998, 0.0004049999999999999}, {0.0008099999999999998, 0.0004049999999999999}, {0.0008099999999999998, 0.0004049999999999999}, {0.0008099999999999998, 0.0004049999999999999}};
/* torch: ExponentialLR(o, gamma=0.9), 10 steps */
static const double exponential_lr[11][2] = {{0.1, 0.05}, {0.09000000000000001, 0.045000000000000005}, {0.08100000000000002, 0.04050000000000001}, {0.07290000000000002, 0.03645000000000001}, {0.06561000000000002, 0.03280500000000001}, {0.05904900000000002, 0.02952450000000001}, {0.05314410000000002, 0.02657205000000001}, {0.04782969000000002, 0.02391484500000001}, {0.043046721000000024, 0.021523360500000012}, {0.03874204890000002, 0.01937102445000001}, {0.03486784401000002, 0.01743392200500001}};
/* torch: CosineAnnealingLR(o, T_max=5, eta_min=0.001), 22 steps (past T_max: the recursive form) */
static const double cosine_lr[23][2] = {{0.1, 0.05}, {0.0905463412215599, 0.045320916362186214}, {0.06579634122155989, 0.03307091636218621}, {0.035203658778440096, 0.017929083637813786}, {0.010453658778440105, 0.005679083637813789}, {0.001, 0.001}, {0.010453658778440102, 0.005679083637813788}, {0.03520365877844012, 0.017929083637813797}, {0.06579634122155993, 0.03307091636218623}, {0.09054634122155995, 0.04532091636218624}, {0.10000000000000005, 0.05000000000000003}, {0.09054634122155998, 0.045320916362186256}, {0.06579634122155995, 0.03307091636218624}, {0.03520365877844014, 0.017929083637813807}, {0.010453658778440116, 0.005679083637813795}, {0.001, 0.001}, {0.010453658778440102, 0.005679083637813788}, {0.03520365877844012, 0.017929083637813797}, {0.06579634122155995, 0.03307091636218624}, {0.09054634122155997, 0.045320916362186256}, {0.1000000000000001, 0.050000000000000065}, {0.09054634122156001, 0.04532091636218628}, {0.06579634122156008, 0.033070916362186314}};
/* torch: CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01), 20 steps */
static const double warm_restarts[21][2] = {{0.1, 0.05}, {0.0775, 0.04}, {0.032500000000000015, 0.020000000000000004}, {0.1, 0.05}, {0.09397114317029975, 0.04732050807568878}, {0.0775, 0.04}, {0.05500000000000001, 0.03}, {0.032500000000000015, 0.020000000000000004}, {0.01602885682970026, 0.012679491924311226}, {0.1, 0.05}, {0.09846666218300808, 0.04931851652578137}, {0.09397114317029975, 0.04732050807568878}, {0.08681980515339464, 0.044142135623730955}, {0.0775, 0.04}, {0.06664685702961344, 0.035176380902050414}, {0.05500000000000001, 0.03}, {0.04335314297038658, 0.024823619097949588}, {0.032500000000000015, 0.020000000000000004}, {0.023180194846605363, 0.01585786437626905}, {0.01602885682970026, 0.012679491924311226}, {0.011533337816991932, 0.010681483474218637}};
/* torch: CosineAnnealingWarmRestarts(o, T_0=4, T_mult=1), step(e) for e in [0.5, 1.25, 4.5, 9.0, 3.0, 11.75] */
static const double warm_restarts_epochs[7][2] = {{0.1, 0.05}, {0.09619397662556434, 0.04809698831278217}, {0.07777851165098011, 0.038889255825490056}, {0.09619397662556434, 0.04809698831278217}, {0.08535533905932738, 0.04267766952966369}, {0.014644660940672627, 0.0073223304703363135}, {0.0009607359798384785, 0.00048036798991923924}};
/* torch: CosineAnnealingWarmRestarts(o, T_0=2, T_mult=3, eta_min=0.001), step(e) for e in [1.5, 2.0, 7.9, 10.3, 30.0] */
static const double warm_restarts_epochs_mult[6][2] = {{0.1, 0.05}, {0.0154982143312659, 0.008175883860929586}, {0.1, 0.05}, {0.0010678380296485952, 0.0010335763985129412}, {0.09606499024589579, 0.04805236890958479}, {0.09866572109370128, 0.04933959932920569}};
/* torch: OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=20) on SGD(momentum=0.9), 20 steps; momentum too */
static const double one_cycle_cos[21][2] = {{0.040000000000000036, 0.020000000000000018}, {0.1316718427000253, 0.06583592135001265}, {0.3716718427000253, 0.18583592135001265}, {0.6683281572999747, 0.3341640786499874}, {0.9083281572999747, 0.45416407864998737}, {1.0, 0.5}, {0.9874640062350873, 0.49373200311754367}, {0.9504846320134737, 0.47524231600673683}, {0.89091617757105, 0.445458088785525}, {0.8117456539497631, 0.40587282697488153}, {0.7169430017913008, 0.3584715008956504}, {0.6112620219362893, 0.30563101096814466}, {0.500002, 0.250001}, {0.38874197806371075, 0.19437098903185537}, {0.28306099820869923, 0.14153049910434962}, {0.18825834605023697, 0.09412917302511849}, {0.10908782242895004, 0.05454391121447502}, {0.049519367986526286, 0.024759683993263143}, {0.012539993764912554, 0.006269996882456277}, {4e-06, 2e-06}, {0.012539993764912554, 0.006269996882456277}};
static const double one_cycle_cos_momentum[21][2] = {{0.95, 0.95}, {0.9404508497187474, 0.9404508497187474}, {0.9154508497187474, 0.9154508497187474}, {0.8845491502812526, 0.8845491502812526}, {0.8595491502812526, 0.8595491502812526}, {0.85, 0.85}, {0.8512536043909088, 0.8512536043909088}, {0.854951556604879, 0.854951556604879}, {0.8609084258765984, 0.8609084258765984}, {0.8688255099070633, 0.8688255099070633}, {0.878305813044122, 0.878305813044122}, {0.8888739533021842, 0.8888739533021842}, {0.8999999999999999, 0.8999999999999999}, {0.9111260466978157, 0.9111260466978157}, {0.9216941869558779, 0.9216941869558779}, {0.9311744900929366, 0.9311744900929366}, {0.9390915741234015, 0.9390915741234015}, {0.945048443395121, 0.945048443395121}, {0.9487463956090911, 0.9487463956090911}, {0.95, 0.95}, {0.9487463956090911, 0.9487463956090911}};
/* torch: OneCycleLR(o, max_lr=0.3, epochs=4, steps_per_epoch=5, pct_start=0.25, anneal_strategy='linear', three_phase=True, div_factor=10., final_div_factor=100.) on Adam, 20 steps; beta1 too */
static const double one_cycle_linear3[21][2] = {{0.03, 0.03}, {0.0975, 0.0975}, {0.165, 0.165}, {0.2325, 0.2325}, {0.30000000000000004, 0.30000000000000004}, {0.23249999999999998, 0.23249999999999998}, {0.16499999999999998, 0.16499999999999998}, {0.09749999999999998, 0.09749999999999998}, {0.02999999999999997, 0.02999999999999997}, {0.027299999999999998, 0.027299999999999998}, {0.0246, 0.0246}, {0.021900000000000003, 0.021900000000000003}, {0.019200000000000002, 0.019200000000000002}, {0.0165, 0.0165}, {0.013800000000000003, 0.013800000000000003}, {0.011100000000000002, 0.011100000000000002}, {0.008400000000000001, 0.008400000000000001}, {0.0057, 0.0057}, {0.0030000000000000027, 0.0030000000000000027}, {0.00030000000000000165, 0.00030000000000000165}, {-0.0023999999999999924, -0.0023999999999999924}};
static const double one_cycle_linear3_momentum[21][2] = {{0.95, 0.95}, {0.9249999999999999, 0.9249999999999999}, {0.8999999999999999, 0.8999999999999999}, {0.875, 0.875}, {0.85, 0.85}, {0.875, 0.875}, {0.8999999999999999, 0.8999999999999999}, {0.9249999999999999, 0.9249999999999999}, {0.95, 0.95}, {0.95, 0.95}, {0.95, 0.95}, {0.95, 0.95}, {0.95, 0.95}, {0.95, 0.95}, {0.95, 0.95}, {0.95, 0.95}, {0.95, 0.95}, {0.95, 0.95}, {0.95, 0.95}, {0.95, 0.95}, {0.95, 0.95}};
/* torch: LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 8 steps */
static const double linear_lr[9][2] = {{0.025, 0.0125}, {0.043750000000000004, 0.021875000000000002}, {0.06250000000000001, 0.03125000000000001}, {0.08125000000000002, 0.04062500000000001}, {0.10000000000000002, 0.05000000000000001}, {0.10000000000000002, 0.05000000000000001}, {0.10000000000000002, 0.05000000000000001}, {0.10000000000000002, 0.05000000000000001}, {0.10000000000000002, 0.05000000000000001}};
/* torch: LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=5), 8 steps */
static const double linear_lr_down[9][2] = {{0.1, 0.05}, {0.08200000000000002, 0.04100000000000001}, {0.06400000000000002, 0.03200000000000001}, {0.04600000000000001, 0.023000000000000007}, {0.02800000000000001, 0.014000000000000005}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}};
/* torch: ConstantLR(o, factor=0.5, total_iters=3), 6 steps */
static const double constant_lr[7][2] = {{0.05, 0.025}, {0.05, 0.025}, {0.05, 0.025}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}};
/* torch: LambdaLR(o, lambda e: 1.0 / (e + 1) + 0.01 * e), 8 steps */
static const double lambda_lr[9][2] = {{0.1, 0.05}, {0.051000000000000004, 0.025500000000000002}, {0.035333333333333335, 0.017666666666666667}, {0.028000000000000004, 0.014000000000000002}, {0.024000000000000004, 0.012000000000000002}, {0.021666666666666667, 0.010833333333333334}, {0.020285714285714285, 0.010142857142857143}, {0.019500000000000003, 0.009750000000000002}, {0.019111111111111113, 0.009555555555555557}};
/* torch: SequentialLR(o, [LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=3), CosineAnnealingLR(o, T_max=6)], milestones=[3]), 12 steps */
static const double sequential_lr[13][2] = {{0.010000000000000002, 0.005000000000000001}, {0.04, 0.02}, {0.07, 0.035}, {0.1, 0.05}, {0.09330127018922195, 0.046650635094610975}, {0.07500000000000001, 0.037500000000000006}, {0.05, 0.025}, {0.025000000000000012, 0.012500000000000006}, {0.006698729810778065, 0.0033493649053890325}, {0.0, 0.0}, {0.006698729810778065, 0.0033493649053890325}, {0.025, 0.0125}, {0.05000000000000004, 0.02500000000000002}};
/* torch: SequentialLR(o, [ConstantLR(o, factor=0.1, total_iters=2), ExponentialLR(o, gamma=0.9), StepLR(o, step_size=2, gamma=0.5)], milestones=[2, 5]), 10 steps */
static const double sequential_lr3[11][2] = {{0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.1, 0.05}, {0.09000000000000001, 0.045000000000000005}, {0.08100000000000002, 0.04050000000000001}, {0.1, 0.05}, {0.1, 0.05}, {0.05, 0.025}, {0.05, 0.025}, {0.025, 0.0125}, {0.025, 0.0125}};
/* torch: a = StepLR(o, step_size=2, gamma=0.5); b = ExponentialLR(o, gamma=0.9); 8 x (a.step(); b.step()) */
static const double chained_step_exp[9][2] = {{0.1, 0.05}, {0.09000000000000001, 0.045000000000000005}, {0.04050000000000001, 0.020250000000000004}, {0.03645000000000001, 0.018225000000000005}, {0.016402500000000004, 0.008201250000000002}, {0.014762250000000005, 0.007381125000000002}, {0.0066430125000000026, 0.0033215062500000013}, {0.005978711250000003, 0.0029893556250000014}, {0.0026904200625000015, 0.0013452100312500007}};
/* torch: ReduceLROnPlateau(o, mode='min', factor=0.5, patience=2, threshold=0.05, threshold_mode='rel', cooldown=1, min_lr=0.01), step(m) for m in PLATEAU_MIN_METRICS */
static const double plateau_min_rel[16][2] = {{0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.05, 0.025}, {0.05, 0.025}, {0.05, 0.025}, {0.05, 0.025}, {0.05, 0.025}, {0.05, 0.025}, {0.025, 0.0125}, {0.025, 0.0125}, {0.025, 0.0125}, {0.025, 0.0125}, {0.0125, 0.01}};
/* torch: ReduceLROnPlateau(o, mode='max', factor=0.1, patience=1, threshold=0.02, threshold_mode='abs', min_lr=0.0005, eps=1e-4), step(m) for m in PLATEAU_MAX_METRICS */
static const double plateau_max_abs[13][2] = {{0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.0010000000000000002, 0.0005000000000000001}, {0.0010000000000000002, 0.0005000000000000001}, {0.0005, 0.0005000000000000001}, {0.0005, 0.0005000000000000001}};
/* torch: ReduceLROnPlateau(o), 25 x step(1.0) */
static const double plateau_defaults[26][2] = {{0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.1, 0.05}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.010000000000000002, 0.005000000000000001}, {0.0010000000000000002, 0.0005000000000000001}, {0.0010000000000000002, 0.0005000000000000001}, {0.0010000000000000002, 0.0005000000000000001}};
static const double PLATEAU_MIN_METRICS[] = {1.0, 0.9, 0.95, 0.89, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6};
static const double PLATEAU_MAX_METRICS[] = {0.1, 0.2, 0.25, 0.3, 0.3, 0.31, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};

static ltr_ctx X;
static ltr_param_store PS;
#define C (&X.pub)

static void setup(void) {
    ltr_ctx_init(&X, NULL);
    ltr_param_store_init(&PS);
    X.params = &PS;
}

static void teardown(void) {
    ltr_param_store_free(&PS);
    ltr_ctx_free_allocs(&X);
}

/* SGD or Adam over params "a" and "b", "b" in a second group with lr 0.05 */
static lt_optimizer *two_groups(bool adam, double momentum) {
    ltr_param_store_free(&PS);
    ltr_param_store_init(&PS);
    int64_t n = 1;
    ck_assert_ptr_nonnull(ltr_param(C, "a", LT_FLOAT32, 1, &n));
    ck_assert_ptr_nonnull(ltr_param(C, "b", LT_FLOAT32, 1, &n));
    lt_optimizer *o;
    if (adam) {
        lt_adam_options a = LT_ADAM_DEFAULTS;
        a.lr = 0.1;
        o = ltr_adam(C, &a);
    } else {
        o = ltr_sgd(C, &(lt_sgd_options){.lr = 0.1, .momentum = momentum});
    }
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(ltr_param_group_add(C, o, "b"), 1);
    ck_assert_int_eq(ltr_group_set(C, o, 1, "lr", 0.05), LT_OK);
    return o;
}

/* "identical to torch": equal up to the last bit or two of cos() across libms */
static void expect_lr(const char *what, int row, int g, double got, double want) {
    ck_assert_msg(got == want || fabs(got - want) <= 4e-16 * fabs(want),
                  "%s row %d group %d: lr %.17g, torch %.17g", what, row, g, got, want);
}

static void expect_row(const char *what, lt_optimizer *o, lt_lr_scheduler *s, int row,
                       const double want[2]) {
    for (int g = 0; g < 2; g++) {
        expect_lr(what, row, g, *ltr_group_lr(o, g), want[g]);
        if (s) expect_lr(what, row, g, ltr_lr_scheduler_last_lr(s, g), want[g]);
    }
}

/* Construct (row 0), then step() through the rows. */
static void check_steps(const char *what, lt_optimizer *o, lt_lr_scheduler *s, const double (*want)[2],
                        int rows) {
    ck_assert_msg(s != NULL, "%s: %s", what, X.error);
    expect_row(what, o, s, 0, want[0]);
    for (int r = 1; r < rows; r++) {
        ck_assert_msg(ltr_lr_scheduler_step(C, s) == LT_OK, "%s step %d: %s", what, r, X.error);
        expect_row(what, o, s, r, want[r]);
    }
    ltr_lr_scheduler_free(s);
    ltr_optimizer_free(o);
}
#define ROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(step_multistep_exponential) {
    lt_optimizer *o = two_groups(false, 0);
    check_steps("StepLR", o, ltr_step_lr(C, o, 3, 0.5), step_lr, ROWS(step_lr));
    o = two_groups(false, 0);
    const int64_t ms[4] = {5, 2, 5, 9};
    check_steps("MultiStepLR", o, ltr_multistep_lr(C, o, ms, 4, 0.3), multistep_lr, ROWS(multistep_lr));
    o = two_groups(false, 0);
    check_steps("ExponentialLR", o, ltr_exponential_lr(C, o, 0.9), exponential_lr, ROWS(exponential_lr));
}
END_TEST

START_TEST(cosine_annealing) {
    lt_optimizer *o = two_groups(false, 0);
    check_steps("CosineAnnealingLR", o, ltr_cosine_annealing_lr(C, o, 5, 0.001), cosine_lr, ROWS(cosine_lr));
    o = two_groups(false, 0);
    check_steps("CosineAnnealingWarmRestarts", o, ltr_cosine_annealing_warm_restarts(C, o, 3, 2, 0.01),
                warm_restarts, ROWS(warm_restarts));
}
END_TEST

START_TEST(warm_restarts_fractional_epochs) {
    const double e1[6] = {0.5, 1.25, 4.5, 9.0, 3.0, 11.75}, e2[5] = {1.5, 2.0, 7.9, 10.3, 30.0};
    lt_optimizer *o = two_groups(false, 0);
    lt_lr_scheduler *s = ltr_cosine_annealing_warm_restarts(C, o, 4, 1, 0);
    expect_row("warm_restarts_epochs", o, s, 0, warm_restarts_epochs[0]);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(ltr_lr_scheduler_step_epoch(C, s, e1[i]), LT_OK);
        expect_row("warm_restarts_epochs", o, s, i + 1, warm_restarts_epochs[i + 1]);
    }
    ltr_lr_scheduler_free(s);
    ltr_optimizer_free(o);
    o = two_groups(false, 0);
    s = ltr_cosine_annealing_warm_restarts(C, o, 2, 3, 0.001);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(ltr_lr_scheduler_step_epoch(C, s, e2[i]), LT_OK);
        expect_row("warm_restarts_epochs_mult", o, s, i + 1, warm_restarts_epochs_mult[i + 1]);
    }
    ltr_lr_scheduler_free(s);
    ltr_optimizer_free(o);
}
END_TEST

/* OneCycleLR's lrs and the momentum (SGD) / beta1 (Adam) it cycles */
static void check_one_cycle(const char *what, bool adam, const lt_one_cycle_options *oc,
                            const double (*want)[2], const double (*mom)[2], int rows) {
    lt_optimizer *o = two_groups(adam, adam ? 0 : 0.9);
    lt_lr_scheduler *s = ltr_one_cycle_lr(C, o, oc);
    ck_assert_msg(s != NULL, "%s: %s", what, X.error);
    for (int r = 0; r < rows; r++) {
        if (r > 0) ck_assert_msg(ltr_lr_scheduler_step(C, s) == LT_OK, "%s step %d: %s", what, r, X.error);
        expect_row(what, o, s, r, want[r]);
        for (int g = 0; g < 2; g++)
            expect_lr(what, r, g, ltr_group_get(o, g, adam ? "beta1" : "momentum"), mom[r][g]);
    }
    /* one step past total_steps: torch's ValueError */
    ck_assert_int_eq(ltr_lr_scheduler_step(C, s), LT_ERROR);
    char msg[256];
    ck_assert(ltr_ctx_take_error(&X, msg, sizeof msg));
    ck_assert_str_eq(msg, "OneCycleLR: Tried to step 21 times. The specified number of total steps is 20");
    ltr_lr_scheduler_free(s);
    ltr_optimizer_free(o);
}

START_TEST(one_cycle) {
    lt_one_cycle_options a = LT_ONE_CYCLE_DEFAULTS;
    const double max_lrs[2] = {1.0, 0.5};
    a.max_lrs = max_lrs;
    a.total_steps = 20;
    check_one_cycle("OneCycleLR cos", false, &a, one_cycle_cos, one_cycle_cos_momentum, ROWS(one_cycle_cos));
    lt_one_cycle_options b = LT_ONE_CYCLE_DEFAULTS;
    b.max_lr = 0.3, b.epochs = 4, b.steps_per_epoch = 5, b.pct_start = 0.25;
    b.anneal_strategy = "linear", b.three_phase = true, b.div_factor = 10, b.final_div_factor = 100;
    check_one_cycle("OneCycleLR linear three_phase", true, &b, one_cycle_linear3, one_cycle_linear3_momentum,
                    ROWS(one_cycle_linear3));
}
END_TEST

START_TEST(linear_constant_lambda) {
    lt_optimizer *o = two_groups(false, 0);
    check_steps("LinearLR", o, ltr_linear_lr(C, o, 0.25, 1.0, 4), linear_lr, ROWS(linear_lr));
    o = two_groups(false, 0);
    check_steps("LinearLR down", o, ltr_linear_lr(C, o, 1.0, 0.1, 5), linear_lr_down, ROWS(linear_lr_down));
    o = two_groups(false, 0);
    check_steps("ConstantLR", o, ltr_constant_lr(C, o, 0.5, 3), constant_lr, ROWS(constant_lr));
}
END_TEST

static double user_lambda(int64_t e, void *user) {
    int *calls = user;
    ++*calls;
    return 1.0 / (double)(e + 1) + 0.01 * (double)e;
}

START_TEST(lambda_scheduler) {
    int calls = 0;
    lt_optimizer *o = two_groups(false, 0);
    check_steps("LambdaLR", o, ltr_lambda_lr(C, o, user_lambda, &calls), lambda_lr, ROWS(lambda_lr));
    ck_assert_int_eq(calls, 2 * ROWS(lambda_lr)); /* once per group per step, user pointer passed */
}
END_TEST

START_TEST(sequential) {
    lt_optimizer *o = two_groups(false, 0);
    lt_lr_scheduler *k[3] = {ltr_linear_lr(C, o, 0.1, 1.0, 3), ltr_cosine_annealing_lr(C, o, 6, 0)};
    check_steps("SequentialLR", o, ltr_sequential_lr(C, o, k, 2, (const int64_t[]){3}), sequential_lr,
                ROWS(sequential_lr));
    ltr_lr_scheduler_free(k[0]);
    ltr_lr_scheduler_free(k[1]);
    o = two_groups(false, 0);
    k[0] = ltr_constant_lr(C, o, 0.1, 2);
    k[1] = ltr_exponential_lr(C, o, 0.9);
    k[2] = ltr_step_lr(C, o, 2, 0.5);
    check_steps("SequentialLR x3", o, ltr_sequential_lr(C, o, k, 3, (const int64_t[]){2, 5}), sequential_lr3,
                ROWS(sequential_lr3));
    for (int i = 0; i < 3; i++) ltr_lr_scheduler_free(k[i]);
}
END_TEST

/* Two schedulers on one optimizer compose (the chainable get_lr forms). */
START_TEST(chained) {
    lt_optimizer *o = two_groups(false, 0);
    lt_lr_scheduler *a = ltr_step_lr(C, o, 2, 0.5), *b = ltr_exponential_lr(C, o, 0.9);
    expect_row("chained", o, NULL, 0, chained_step_exp[0]);
    for (int r = 1; r < ROWS(chained_step_exp); r++) {
        ck_assert_int_eq(ltr_lr_scheduler_step(C, a), LT_OK);
        ck_assert_int_eq(ltr_lr_scheduler_step(C, b), LT_OK);
        expect_row("chained", o, b, r, chained_step_exp[r]);
    }
    ck_assert_double_eq(ltr_group_get(o, 0, "initial_lr"), 0.1); /* set once, by the first */
    ltr_lr_scheduler_free(a);
    ltr_lr_scheduler_free(b);
    ltr_optimizer_free(o);
}
END_TEST

static void check_plateau(const char *what, const lt_plateau_options *po, const double *metrics,
                          const double (*want)[2], int rows) {
    lt_optimizer *o = two_groups(false, 0);
    lt_lr_scheduler *s = ltr_reduce_lr_on_plateau(C, o, po);
    ck_assert_msg(s != NULL, "%s: %s", what, X.error);
    expect_row(what, o, s, 0, want[0]);
    for (int r = 1; r < rows; r++) {
        ck_assert_int_eq(ltr_lr_scheduler_step_metric(C, s, metrics ? metrics[r - 1] : 1.0), LT_OK);
        expect_row(what, o, s, r, want[r]);
    }
    /* step() without the metric is refused */
    ck_assert_int_eq(ltr_lr_scheduler_step(C, s), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&X, NULL, 0));
    ltr_lr_scheduler_free(s);
    ltr_optimizer_free(o);
}

START_TEST(reduce_on_plateau) {
    lt_plateau_options a = LT_PLATEAU_DEFAULTS;
    a.factor = 0.5, a.patience = 2, a.threshold = 0.05, a.cooldown = 1, a.min_lr = 0.01;
    check_plateau("plateau min rel", &a, PLATEAU_MIN_METRICS, plateau_min_rel, ROWS(plateau_min_rel));
    lt_plateau_options b = LT_PLATEAU_DEFAULTS;
    b.mode = "max", b.factor = 0.1, b.patience = 1, b.threshold = 0.02, b.threshold_mode = "abs";
    b.min_lr = 0.0005, b.eps = 1e-4;
    check_plateau("plateau max abs", &b, PLATEAU_MAX_METRICS, plateau_max_abs, ROWS(plateau_max_abs));
    check_plateau("plateau defaults", NULL, NULL, plateau_defaults, ROWS(plateau_defaults));
}
END_TEST

static void expect_error(const void *made, const char *want) {
    char msg[1024];
    ck_assert_ptr_null(made);
    ck_assert_msg(ltr_ctx_take_error(&X, msg, sizeof msg), "no error recorded, wanted '%s'", want);
    ck_assert_msg(strcmp(msg, want) == 0, "error '%s', wanted '%s'", msg, want);
}

/* torch's constructor checks, with its messages */
START_TEST(bad_options_are_refused) {
    lt_optimizer *o = two_groups(false, 0);
    expect_error(ltr_linear_lr(C, o, 0, 1, 5),
                 "LinearLR: Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
    expect_error(ltr_linear_lr(C, o, 0.5, 1.5, 5),
                 "LinearLR: Ending multiplicative factor expected to be between 0 and 1.");
    expect_error(ltr_constant_lr(C, o, 1.5, 5),
                 "ConstantLR: Constant multiplicative factor expected to be between 0 and 1.");
    expect_error(ltr_cosine_annealing_warm_restarts(C, o, 0, 1, 0),
                 "CosineAnnealingWarmRestarts: Expected positive integer T_0, but got 0");
    expect_error(ltr_cosine_annealing_warm_restarts(C, o, 2, 0, 0),
                 "CosineAnnealingWarmRestarts: Expected integer T_mult >= 1, but got 0");
    lt_plateau_options p = LT_PLATEAU_DEFAULTS;
    p.factor = 1.0;
    expect_error(ltr_reduce_lr_on_plateau(C, o, &p), "ReduceLROnPlateau: Factor should be < 1.0.");
    p = LT_PLATEAU_DEFAULTS;
    p.mode = "up";
    expect_error(ltr_reduce_lr_on_plateau(C, o, &p), "ReduceLROnPlateau: mode up is unknown!");
    p = LT_PLATEAU_DEFAULTS;
    p.threshold_mode = "pct";
    expect_error(ltr_reduce_lr_on_plateau(C, o, &p), "ReduceLROnPlateau: threshold mode pct is unknown!");
    lt_one_cycle_options oc = LT_ONE_CYCLE_DEFAULTS;
    expect_error(ltr_one_cycle_lr(C, o, &oc),
                 "OneCycleLR: You must define either total_steps OR (epochs AND steps_per_epoch)");
    oc.total_steps = 10, oc.anneal_strategy = "exp";
    expect_error(ltr_one_cycle_lr(C, o, &oc),
                 "OneCycleLR: anneal_strategy must by one of 'cos' or 'linear', instead got exp");
    oc.anneal_strategy = "cos", oc.pct_start = 1.5;
    expect_error(ltr_one_cycle_lr(C, o, &oc), "OneCycleLR: Expected float between 0 and 1 pct_start, but got 1.5");
    ltr_optimizer_free(o);
    /* Adagrad has neither momentum nor betas: cycle_momentum must be off */
    o = ltr_adagrad(C, NULL);
    ck_assert_ptr_nonnull(o);
    oc = LT_ONE_CYCLE_DEFAULTS;
    oc.total_steps = 10;
    expect_error(ltr_one_cycle_lr(C, o, &oc),
                 "OneCycleLR: optimizer must support momentum with `cycle_momentum` option enabled "
                 "(Adagrad has neither momentum nor betas)");
    oc.cycle_momentum = false;
    lt_lr_scheduler *s = ltr_one_cycle_lr(C, o, &oc);
    ck_assert_ptr_nonnull(s);
    ltr_lr_scheduler_free(s);
    expect_error(ltr_step_lr(C, NULL, 1, 0.1), "StepLR: no optimizer (NULL); pass the optimizer lt_sgd/lt_adam/... returned");
    ltr_optimizer_free(o);
}
END_TEST

/* A param group made after a scheduler is refused at its next step, not overrun. */
START_TEST(groups_changed_after_scheduler) {
    ltr_param_store_free(&PS);
    ltr_param_store_init(&PS);
    int64_t n = 1;
    ltr_param(C, "a", LT_FLOAT32, 1, &n);
    ltr_param(C, "b", LT_FLOAT32, 1, &n);
    lt_optimizer *o = ltr_sgd(C, &(lt_sgd_options){.lr = 0.1});
    lt_lr_scheduler *s = ltr_step_lr(C, o, 1, 0.5);
    ck_assert_int_eq(ltr_param_group_add(C, o, "b"), 1);
    ck_assert_int_eq(ltr_lr_scheduler_step(C, s), LT_ERROR);
    char msg[256];
    ck_assert(ltr_ctx_take_error(&X, msg, sizeof msg));
    ck_assert_str_eq(msg, "StepLR: the optimizer has 2 param groups, the scheduler was made over 1 "
                          "(make param groups before schedulers)");
    ltr_lr_scheduler_free(s);
    ltr_optimizer_free(o);
}
END_TEST

int main(void) {
    Suite *s = suite_create("sched");
    TCase *tc = tcase_create("sched");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, step_multistep_exponential);
    tcase_add_test(tc, cosine_annealing);
    tcase_add_test(tc, warm_restarts_fractional_epochs);
    tcase_add_test(tc, one_cycle);
    tcase_add_test(tc, linear_constant_lambda);
    tcase_add_test(tc, lambda_scheduler);
    tcase_add_test(tc, sequential);
    tcase_add_test(tc, chained);
    tcase_add_test(tc, reduce_on_plateau);
    tcase_add_test(tc, bad_options_are_refused);
    tcase_add_test(tc, groups_changed_after_scheduler);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
