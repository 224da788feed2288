#!/bin/sh
# test_gan.sh — the GAN example (examples/gan.c, manual optimization) on a small
# generated MNIST-format set: per-epoch PNG sample grids (valid, 242x242 8-bit grey, in
# default_root_dir/gan_samples or --model.sample_dir, renamed into place), finite losses,
# the grid also in TensorBoard's Images (lt_log_image), and global_step counting the two
# optimizer steps of every batch.
. "${top_srcdir:-.}/tests/lib.sh"

D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 200 64 gzip || { echo "make_idx failed"; exit 1; }
T="$TMP/trace.txt"
RUN="$LTRUN fit --module $EX/gan.so --data $EX/mnist.so --data.data_dir $D --data.val_size 64
     --data.batch_size 16 --data.mean 0.5 --data.std 0.5 --trainer.enable_progress_bar false --seed 1"

# one epoch of 3 batches; samples under default_root_dir/gan_samples
expect "the GAN trains an epoch" 0 "" -- $RUN --trainer.max_epochs 1 --trainer.limit_train_batches 3 \
    --trainer.default_root_dir "$TMP/root" --results "$TMP/r.json"
PNG="$TMP/root/gan_samples/epoch_000.png"
if [ -f "$PNG" ]; then pass "epoch 0 samples in default_root_dir/gan_samples"
else fail "epoch 0 samples in default_root_dir/gan_samples"; fi
# the header: PNG signature, IHDR of 242 x 242 (0xf2), bit depth 8, colour type 0 (grey)
hdr=$(od -A n -t x1 -N 26 "$PNG" 2>/dev/null | tr -d ' \n')
if [ "$hdr" = "89504e470d0a1a0a0000000d49484452000000f2000000f20800" ]; then
    pass "PNG signature and IHDR: 242x242, 8-bit grey"
else fail "PNG signature and IHDR: 242x242, 8-bit grey (got $hdr)"; fi
info=$("$top_builddir/tests/png_check" "$PNG")
case "$info" in
"242x242 gray 8 "*) pass "libpng decodes the grid ($info)" ;;
*) fail "libpng decodes the grid (got '$info')" ;;
esac
# make_grid's 2-pixel black padding frames 64 images that are not all black
mean=${info##* }
if awk -v m="$mean" 'BEGIN { exit !(m > 5 && m < 250) }'; then pass "the grid holds images (mean $mean)"
else fail "the grid holds images (mean '$mean')"; fi
# the same grid in TensorBoard (lt_log_image "generated_images", the tutorial's add_image):
# one Summary.Image of 242 x 242 x 3 at global_step 6 (3 batches, 2 optimizer steps each)
expect "the GAN with the tensorboard logger" 0 "" -- $RUN --trainer.max_epochs 1 \
    --trainer.limit_train_batches 3 --trainer.default_root_dir "$TMP/tb" \
    --logger "$top_builddir/plugins/loggers/tensorboard.so"
EV=$(ls "$TMP"/tb/lightning_logs/version_0/events.out.tfevents.* 2>/dev/null | head -n 1)
if [ -n "$EV" ] && "$top_builddir/tests/tb_decode" "$EV" | grep -q '^image 6 generated_images 242 242 3 89504E47'; then
    pass "the sample grid in TensorBoard: generated_images, 242x242 PNG at step 6"
else fail "the sample grid in TensorBoard ($EV)"; fi
for k in g_loss d_loss; do
    v=$(json_num "$TMP/r.json" "$k")
    if [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v + 0 == v + 0 && v > 0 && v < 1e6) }'; then
        pass "$k is finite ($v)"
    else fail "$k is finite (got '$v')"; fi
done

# global_step counts optimizer steps: 2 a batch, so max_steps 6 runs 3 of the 5 batches;
# the epoch still ends with its samples, here in --model.sample_dir (made with parents)
expect "max_steps 6 with the GAN" 0 "" -- $RUN --trainer.max_epochs 3 --trainer.limit_train_batches 5 \
    --trainer.max_steps 6 --model.sample_dir "$TMP/s/a/b" \
    --callback "$top_builddir/tests/plugins/trace_callback.so:{\"trace\": \"$T\"}"
n=$(grep -c "^callback.on_train_batch_end" "$T")
if [ "$n" = 3 ]; then pass "2 optimizer steps per batch: max_steps 6 = 3 batches"
else fail "2 optimizer steps per batch: max_steps 6 = 3 batches (ran $n)"; fi
if [ "$(grep -c '^callback.on_before_optimizer_step' "$T")" = 6 ] &&
   [ "$(grep -c '^callback.on_before_backward' "$T")" = 6 ]; then
    pass "each batch: 2 manual_backward and 2 optimizer steps through the callback hooks"
else fail "each batch: 2 manual_backward and 2 optimizer steps through the callback hooks"; fi
if [ -f "$TMP/s/a/b/epoch_000.png" ] && [ ! -e "$TMP/s/a/b/epoch_001.png" ] &&
   [ -z "$(ls "$TMP/s/a/b" | grep -v '^epoch_000.png$')" ]; then
    pass "--model.sample_dir: epoch_000.png only, no temporary file left"
else fail "--model.sample_dir: epoch_000.png only, no temporary file left ($(ls "$TMP/s/a/b"))"; fi

# two epochs: one grid each, and the generator moved between them
expect "two epochs" 0 "" -- $RUN --trainer.max_epochs 2 --trainer.limit_train_batches 2 \
    --model.sample_dir "$TMP/two"
if [ -f "$TMP/two/epoch_000.png" ] && [ -f "$TMP/two/epoch_001.png" ] &&
   ! cmp -s "$TMP/two/epoch_000.png" "$TMP/two/epoch_001.png"; then
    pass "epoch_000.png and epoch_001.png differ"
else fail "epoch_000.png and epoch_001.png differ"; fi

mkdir -p "$TMP/ro" && touch "$TMP/ro/file"
expect "an unusable sample_dir is a clear error" 1 "cannot create --model.sample_dir $TMP/ro/file/x" -- \
    $RUN --trainer.max_epochs 1 --trainer.limit_train_batches 1 --model.sample_dir "$TMP/ro/file/x"
expect "gradient_clip_val is refused for the GAN" 2 "Automatic gradient clipping is not supported for manual optimization" -- \
    $RUN --trainer.max_epochs 1 --trainer.gradient_clip_val 1.0
finish
