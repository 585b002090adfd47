"""Claim: bucketed padding (what the Trainer does by default) trains on short texts much faster
than padding every batch to `max_length`, in real (non-padding) tokens per second.

Same checkpoint (MiniLM), batches drawn from the same rows, same batch size and steps, in
one process. Short texts: median under 32 tokens, max_length 128. The batches of both sides
come from the Trainer's own input code (`bucketing.bucketed_batches` vs batching rows padded
to max_length). Warm-up steps (tracing, one per bucket shape) are not timed.
Final line: JSON with tokens/s, the fraction of compute spent on padding for each side, and
`bucketing_speed_ratio` (bucketed tokens/s / max_length tokens/s).

    .venv/bin/python benchmarks/training.py [--steps 30] [--batch-size 16]
"""
import argparse
import json
import random
import time

import numpy as np
import tensorflow as tf

from tfx_hf.components.export.serving_model import model_inputs
from tfx_hf.components.tokenization import InGraphTokenizer
from tfx_hf.components.task import get_task
from tfx_hf.components.trainer import bucketing
from tfx_hf.components.trainer.checkpoint import load_model
from tfx_hf.pipelines.demo_data import minilm_checkpoint

WORDS = ("the market rose as investors bought shares in the bank after profits grew while "
         "the team won the cup final and the coach praised the striker for the goal").split()


def short_texts(n: int, seed: int = 0):
    """Mostly short sentences (4–25 words), a few long ones (60–110 words)."""
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(60, 110) if rng.random() < 0.05
                                 else rng.randint(4, 25))) for _ in range(n)]


def _rows(checkpoint: str, texts, max_length: int) -> tf.data.Dataset:
    """(model inputs padded to max_length, label) rows, as the Transform graph produces."""
    tokenizer = InGraphTokenizer.from_pretrained(checkpoint, max_length=max_length)
    features = model_inputs(tokenizer(tf.constant(texts)))
    labels = tf.constant([len(t) % 2 for t in texts], tf.int64)
    return tf.data.Dataset.from_tensor_slices((features, labels))


def _train(checkpoint: str, batches, warmup: int):
    """Trains on `batches` one by one; returns (real tokens, padded tokens, seconds) of the
    batches after the warm-up."""
    tf.keras.utils.set_random_seed(0)
    model = load_model(checkpoint, get_task("single_label_classification"), ["a", "b"])
    model.compile(optimizer=tf.keras.optimizers.Adam(3e-5))  # the model's own loss
    real = padded = 0
    started = None
    for step, (features, labels) in enumerate(batches):
        if step == warmup:
            started = time.perf_counter()
        model.train_on_batch(features, labels)
        if step >= warmup:
            real += int(tf.reduce_sum(features["attention_mask"]))
            padded += int(tf.size(features["attention_mask"]))
    return real, padded, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--num-buckets", type=int, default=4)
    args = parser.parse_args()

    checkpoint = minilm_checkpoint()
    total = args.warmup + args.steps
    texts = short_texts(total * args.batch_size * 3)
    rows = _rows(checkpoint, texts, args.max_length)
    lengths = np.concatenate([bucketing.row_lengths(f).numpy() for f, _ in rows.batch(256)])
    bucket_lengths = bucketing.choose_bucket_lengths(lengths, args.max_length, args.num_buckets)
    bucketed = list(bucketing.bucketed_batches(rows, bucket_lengths, args.batch_size,
                                               pad_id=0).take(total))
    full = list(rows.batch(args.batch_size, drop_remainder=True).take(total))

    results = {}
    for name, batches in (("max_length", full), ("buckets", bucketed)):
        real, padded, seconds = _train(checkpoint, batches, args.warmup)
        results[name] = {"real_tokens_per_s": round(real / seconds, 1),
                         "padding_fraction": round(1 - real / padded, 3),
                         "seconds": round(seconds, 2)}
    print(json.dumps({
        "checkpoint": "all-MiniLM-L6-v2", "steps": args.steps, "batch_size": args.batch_size,
        "max_length": args.max_length, "median_tokens": int(np.median(lengths)),
        "bucket_lengths": bucket_lengths,
        "max_length_padding": results["max_length"], "bucketed_padding": results["buckets"],
        "bucketing_speed_ratio": round(results["buckets"]["real_tokens_per_s"]
                                       / results["max_length"]["real_tokens_per_s"], 2),
    }))


if __name__ == "__main__":
    main()
