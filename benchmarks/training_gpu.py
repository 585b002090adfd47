"""Training throughput and model-FLOPs utilization (MFU) of a BERT-base-sized 🤗 TF model,
with and without XLA (`jit_compile`) and mixed precision, as the Trainer configures them.

MFU = 6 × non-embedding parameters × tokens/s ÷ the device's peak FLOP/s (`--peak-tflops`;
defaults: H100 989 (bf16/fp16 dense) and 67 (fp32) TFLOP/s; unknown devices report no MFU).
Meant for a GPU; it also runs on CPU (a smaller model by default, so it finishes).
Final line: JSON with one entry per configuration and `xla_mixed_speed_ratio`
(XLA + mixed precision tokens/s ÷ plain float32 tokens/s).

    .venv/bin/python benchmarks/training_gpu.py [--steps 20] [--batch-size 32] [--size base]
"""
import argparse
import json
import time

import tensorflow as tf

from tfx_hf.components.trainer import distribution

H100_PEAK_TFLOPS = {"mixed": 989.0, "float32": 67.0}
SIZES = {  # hidden, layers, heads, intermediate
    "base": (768, 12, 12, 3072),
    "small": (256, 4, 4, 1024),
}


def _model(size: str, seq_len: int):
    from transformers import BertConfig, TFBertForSequenceClassification

    hidden, layers, heads, intermediate = SIZES[size]
    config = BertConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                        intermediate_size=intermediate, max_position_embeddings=max(512, seq_len),
                        num_labels=2)
    model = TFBertForSequenceClassification(config)
    model(model.dummy_inputs)
    embedding = sum(int(tf.size(w)) for w in model.bert.embeddings.weights)
    return model, sum(int(tf.size(w)) for w in model.trainable_weights) - embedding


def _run(size, seq_len, batch_size, steps, jit_compile, precision):
    distribution.set_precision(precision)
    tf.keras.utils.set_random_seed(0)
    model, non_embedding = _model(size, seq_len)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-5), jit_compile=jit_compile)
    ids = tf.random.uniform([batch_size, seq_len], 1000, 20000, tf.int32)
    x = {"input_ids": ids, "attention_mask": tf.ones_like(ids),
         "token_type_ids": tf.zeros_like(ids)}
    y = tf.zeros([batch_size], tf.int64)
    for _ in range(3):  # trace and compile
        model.train_on_batch(x, y)
    started = time.perf_counter()
    for _ in range(steps):
        loss = model.train_on_batch(x, y)
    float(loss)  # wait for the device
    seconds = time.perf_counter() - started
    distribution.set_precision("float32")
    return non_embedding, steps * batch_size * seq_len / seconds


def main():
    parser = argparse.ArgumentParser()
    gpus = tf.config.list_physical_devices("GPU")
    parser.add_argument("--size", choices=SIZES, default="base" if gpus else "small")
    parser.add_argument("--steps", type=int, default=20 if gpus else 3)
    parser.add_argument("--batch-size", type=int, default=32 if gpus else 4)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--peak-tflops", type=float, default=None,
                        help="the device's peak for mixed precision (fp32 peak is scaled)")
    args = parser.parse_args()

    device = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU") \
        if gpus else "CPU"
    mixed = distribution.choose_precision("auto", tf.distribute.get_strategy())
    if mixed == "float32":
        mixed = "mixed_bfloat16"  # the CPU has no float16 units; bfloat16 runs (slowly)
    peaks = None
    if args.peak_tflops:
        peaks = {"mixed": args.peak_tflops, "float32": args.peak_tflops * 67 / 989}
    elif "H100" in device:
        peaks = H100_PEAK_TFLOPS
    results = {}
    for jit in (False, True):
        for precision in ("float32", mixed):
            non_embedding, tokens_per_s = _run(args.size, args.seq_len, args.batch_size,
                                               args.steps, jit, precision)
            flops = 6 * non_embedding * tokens_per_s
            peak = peaks and peaks["float32" if precision == "float32" else "mixed"]
            results[f"{'xla' if jit else 'no_xla'}_{precision}"] = {
                "tokens_per_s": round(tokens_per_s, 1),
                "model_tflops": round(flops / 1e12, 3),
                "mfu": round(flops / (peak * 1e12), 4) if peak else None}
    print(json.dumps({
        "device": device, "size": args.size, "non_embedding_params": non_embedding,
        "batch_size": args.batch_size, "seq_len": args.seq_len, "steps": args.steps,
        **results,
        "xla_mixed_speed_ratio": round(results[f"xla_{mixed}"]["tokens_per_s"]
                                       / results["no_xla_float32"]["tokens_per_s"], 2),
    }))


if __name__ == "__main__":
    main()
