/*
 * charlm.c — a LightningModule in C: a tiny causal transformer language model over
 * bytes (minGPT's architecture), trained on examples/textchars.so's windows.
 *
 *   ltrun fit --module examples/charlm.so --data examples/textchars.so \
 *       --trainer.max_epochs 1 --trainer.limit_train_batches 300 --seed 1
 *
 * Token embedding [256, C] + learned position embedding [T, C]; n_layer pre-LN blocks
 * x += attn(ln1(x)), x += mlp(ln2(x)) with causal multi-head self-attention and a GELU
 * MLP (4C); final LayerNorm; a bias-free head to 256 logits. Loss: cross entropy over
 * every position. Init as minGPT: Linear/Embedding weights N(0, 0.02), biases 0,
 * LayerNorm (1, 0). After fitting, on_fit_end prints a sample of sample_len bytes
 * continuing --model.prompt (multinomial sampling at --model.temperature, from the run's
 * generator: repeatable under --seed).
 *
 * Hyperparameters: --model.n_layer (2), --model.n_head (4), --model.n_embd (64),
 * --model.block_size (64, must equal --data.block_size), --model.lr (3e-3),
 * --model.sample_len (200), --model.temperature (0.8), --model.prompt ("The ").
 */
#define LT_PLUGIN_DESCRIPTION "tiny causal transformer byte-level language model (minGPT)"
#include <ltrun.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#define VOCAB 256
#define MAX_LAYERS 16

typedef struct block {
    lt_layernorm_layer ln1, ln2;
    lt_linear_layer attn, proj, fc, fc_proj;
} block;

typedef struct charlm {
    int64_t n_layer, n_head, n_embd, block_size, sample_len;
    double lr, temperature;
    const char *prompt;
    lt_tensor *wte, *wpe; /* [VOCAB, C], [T, C] */
    block blocks[MAX_LAYERS];
    lt_layernorm_layer ln_f;
    lt_linear_layer head; /* no bias */
} charlm;

/* minGPT's _init_weights: N(0, 0.02) weights, zero biases */
static lt_status linear(lt_ctx *ctx, lt_linear_layer *l, const char *name, int64_t in,
                        int64_t out, bool bias) {
    if (ctx->api->linear_init(ctx, l, name, in, out, bias)) return LT_ERROR;
    lt_init_normal(ctx, l->weight, 0.0, 0.02);
    if (l->bias) lt_init_constant(ctx, l->bias, 0.0);
    return LT_OK;
}

static void *charlm_create(lt_ctx *ctx, const lt_hparams *hp) {
    charlm *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    m->n_layer = lt_hp_int(ctx, hp, "n_layer", 2);
    m->n_head = lt_hp_int(ctx, hp, "n_head", 4);
    m->n_embd = lt_hp_int(ctx, hp, "n_embd", 64);
    m->block_size = lt_hp_int(ctx, hp, "block_size", 64);
    m->lr = lt_hp_float(ctx, hp, "lr", 3e-3);
    m->sample_len = lt_hp_int(ctx, hp, "sample_len", 200);
    m->temperature = lt_hp_float(ctx, hp, "temperature", 0.8);
    m->prompt = lt_hp_str(ctx, hp, "prompt", "The ");
    int64_t C = m->n_embd, T = m->block_size;
    if (m->n_layer < 1 || m->n_layer > MAX_LAYERS || m->n_head < 1 || C % m->n_head || T < 1) {
        lt_fail(ctx, "charlm: need 1 <= n_layer <= %d, n_embd divisible by n_head, block_size >= 1",
                MAX_LAYERS);
        return NULL;
    }
    m->wte = lt_param(ctx, "wte.weight", LT_FLOAT32, 2, (int64_t[]){VOCAB, C});
    m->wpe = lt_param(ctx, "wpe.weight", LT_FLOAT32, 2, (int64_t[]){T, C});
    if (!m->wte || !m->wpe) return NULL;
    lt_init_normal(ctx, m->wte, 0.0, 0.02);
    lt_init_normal(ctx, m->wpe, 0.0, 0.02);
    char name[64];
    for (int64_t l = 0; l < m->n_layer; l++) {
        block *b = &m->blocks[l];
#define NAME(s) (snprintf(name, sizeof name, "h.%lld.%s", (long long)l, s), name)
        if (lt_layernorm_init(ctx, &b->ln1, NAME("ln_1"), 1, &C) ||
            linear(ctx, &b->attn, NAME("attn.c_attn"), C, 3 * C, true) ||
            linear(ctx, &b->proj, NAME("attn.c_proj"), C, C, true) ||
            lt_layernorm_init(ctx, &b->ln2, NAME("ln_2"), 1, &C) ||
            linear(ctx, &b->fc, NAME("mlp.c_fc"), C, 4 * C, true) ||
            linear(ctx, &b->fc_proj, NAME("mlp.c_proj"), 4 * C, C, true))
            return NULL;
#undef NAME
    }
    if (lt_layernorm_init(ctx, &m->ln_f, "ln_f", 1, &C) || linear(ctx, &m->head, "lm_head", C, VOCAB, false))
        return NULL;
    return m;
}

/* causal self-attention on x [B, T, C]: softmax(q k^T / sqrt(D) + causal mask) v per head */
static lt_tensor *attention(lt_ctx *ctx, const charlm *m, const block *b, lt_tensor *x) {
    int64_t B = lt_size(ctx, x, 0), T = lt_size(ctx, x, 1), C = m->n_embd, H = m->n_head, D = C / H;
    lt_tensor *qkv = lt_linear(ctx, &b->attn, x); /* [B, T, 3C] */
    lt_tensor *heads[3];
    for (int i = 0; i < 3; i++) /* [B, T, C] -> [B, H, T, D] */
        heads[i] = lt_transpose(ctx, lt_reshape(ctx, lt_contiguous(ctx, lt_narrow(ctx, qkv, 2, i * C, C)),
                                                4, (int64_t[]){B, T, H, D}), 1, 2);
    lt_tensor *y = lt_scaled_dot_product_attention(ctx, heads[0], heads[1], heads[2], NULL, true, 0);
    y = lt_reshape(ctx, lt_contiguous(ctx, lt_transpose(ctx, y, 1, 2)), 3, (int64_t[]){B, T, C});
    return lt_linear(ctx, &b->proj, y);
}

/* forward(idx [B, T] int64) -> logits [B, T, VOCAB] */
static lt_tensor *charlm_forward(lt_ctx *ctx, void *self, lt_tensor *idx) {
    charlm *m = self;
    int64_t T = lt_size(ctx, idx, 1);
    if (T > m->block_size) {
        lt_fail(ctx, "charlm: sequence of %lld is longer than block_size %lld", (long long)T,
                (long long)m->block_size);
        return NULL;
    }
    lt_tensor *pos = lt_arange(ctx, 0, (double)T, 1, LT_INT64);
    lt_tensor *x = lt_add(ctx, lt_embedding(ctx, m->wte, idx, -1), lt_embedding(ctx, m->wpe, pos, -1));
    for (int64_t l = 0; l < m->n_layer; l++) {
        const block *b = &m->blocks[l];
        x = lt_add(ctx, x, attention(ctx, m, b, lt_layernorm(ctx, &b->ln1, x)));
        lt_tensor *h = lt_gelu(ctx, lt_linear(ctx, &b->fc, lt_layernorm(ctx, &b->ln2, x)), LT_GELU_NONE);
        x = lt_add(ctx, x, lt_linear(ctx, &b->fc_proj, h));
    }
    return lt_linear(ctx, &m->head, lt_layernorm(ctx, &m->ln_f, x));
}

static lt_tensor *loss_of(lt_ctx *ctx, void *self, lt_batch *batch) {
    lt_tensor *logits = charlm_forward(ctx, self, lt_batch_at(ctx, batch, 0));
    lt_tensor *y = lt_batch_at(ctx, batch, 1);
    int64_t n = lt_numel(ctx, y);
    return lt_cross_entropy(ctx, lt_reshape(ctx, logits, 2, (int64_t[]){n, VOCAB}),
                            lt_reshape(ctx, y, 1, &n));
}

static lt_tensor *charlm_training_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    lt_tensor *loss = loss_of(ctx, self, batch);
    lt_log(ctx, "train/loss", loss, LT_ON_STEP | LT_ON_EPOCH | LT_PROG_BAR);
    return loss;
}

static lt_status charlm_validation_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    lt_log(ctx, "val/loss", loss_of(ctx, self, batch), LT_PROG_BAR);
    return LT_OK;
}

static lt_status charlm_test_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    lt_log(ctx, "test/loss", loss_of(ctx, self, batch), LT_PROG_BAR);
    return LT_OK;
}

static lt_optimizer *charlm_configure_optimizers(lt_ctx *ctx, void *self) {
    lt_adam_options opt = LT_ADAM_DEFAULTS;
    opt.lr = ((charlm *)self)->lr;
    return lt_adam(ctx, &opt);
}

/* After training: sample sample_len bytes after the prompt, one forward per byte, each
 * inside a scope (its tensors freed at once) and without autograd. */
static lt_status charlm_on_fit_end(lt_ctx *ctx, void *self) {
    charlm *m = self;
    int64_t plen = (int64_t)strlen(m->prompt), total = plen + m->sample_len;
    int64_t *seq = lt_scratch(ctx, (size_t)(total > 0 ? total : 1) * sizeof *seq);
    if (!seq) return LT_ERROR;
    for (int64_t i = 0; i < plen; i++) seq[i] = (unsigned char)m->prompt[i];
    if (plen == 0) seq[plen++] = '\n';
    bool was = lt_set_grad_enabled(ctx, false);
    fputs("--- sample ---\n", stdout);
    fwrite(m->prompt, 1, (size_t)plen, stdout);
    for (int64_t n = plen; n < total; n++) {
        void *scope = lt_scope_begin(ctx);
        int64_t T = n < m->block_size ? n : m->block_size;
        lt_tensor *ctxt = lt_tensor_from(ctx, LT_INT64, 2, (int64_t[]){1, T}, seq + n - T);
        lt_tensor *logits = charlm_forward(ctx, m, ctxt); /* [1, T, VOCAB] */
        lt_tensor *last = lt_contiguous(ctx, lt_select(ctx, lt_select(ctx, logits, 0, 0), 0, T - 1));
        const void *raw = last ? lt_data(ctx, last) : NULL;
        if (!raw) {
            lt_scope_end(ctx, scope);
            lt_set_grad_enabled(ctx, was);
            return LT_ERROR;
        }
        double p[VOCAB], mx = -INFINITY, z = 0;
        for (int v = 0; v < VOCAB; v++) {
            p[v] = (lt_dtype_of(ctx, last) == LT_FLOAT64 ? ((const double *)raw)[v]
                                                         : ((const float *)raw)[v]) / m->temperature;
            if (p[v] > mx) mx = p[v];
        }
        for (int v = 0; v < VOCAB; v++) z += p[v] = exp(p[v] - mx);
        /* torch.multinomial's draw, from the run's seeded generator */
        double u = lt_item(ctx, lt_rand(ctx, LT_FLOAT64, 0, NULL)) * z;
        int v = 0;
        while (v < VOCAB - 1 && (u -= p[v]) > 0) v++;
        seq[n] = v;
        putchar(v);
        if (lt_scope_end(ctx, scope)) break;
    }
    fputs("\n--- end of sample ---\n", stdout);
    fflush(stdout);
    lt_set_grad_enabled(ctx, was);
    return LT_OK;
}

LT_MODULE(charlm, .create = charlm_create, .forward = charlm_forward,
          .training_step = charlm_training_step, .validation_step = charlm_validation_step,
          .test_step = charlm_test_step, .configure_optimizers = charlm_configure_optimizers,
          .on_fit_end = charlm_on_fit_end)
