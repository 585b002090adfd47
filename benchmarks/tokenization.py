"""Claim: in-graph tokenization (InGraphTokenizer in a tf.function) is faster than the 🤗 fast
(Rust) tokenizer's batch call, with identical ids, on the BBC News corpus.

Both sides run in this one process on the same texts, best of `--repeats` runs each.
Both sides use the same options (padding="max_length", truncation=True, max_length).
Final line: JSON with both timings and MB/s, ids parity (rows exactly equal) and `tokenize_speed_ratio` (🤗 time / ours).
    .venv/bin/python benchmarks/tokenization.py [--max-length 128] [--batch-size 256]
"""
import argparse
import json
import time

import tensorflow as tf
from transformers import AutoTokenizer

from tfx_hf.components.tokenization import InGraphTokenizer
from tfx_hf.pipelines.demo_data import minilm_checkpoint, read_bbc_news


def _best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    texts, _, _, _ = read_bbc_news()
    batches = [texts[i:i + args.batch_size] for i in range(0, len(texts), args.batch_size)]
    checkpoint = minilm_checkpoint()
    reference = AutoTokenizer.from_pretrained(checkpoint)
    ours = InGraphTokenizer.from_pretrained(checkpoint, max_length=args.max_length)
    tokenize = tf.function(ours, input_signature=[tf.TensorSpec([None], tf.string)])
    tokenize(tf.constant(batches[0]))  # trace once, outside the timing

    def run_reference():
        return [reference(b, padding="max_length", truncation=True,
                          max_length=args.max_length, return_tensors="np")["input_ids"]
                for b in batches]

    def run_ours():
        return [tokenize(tf.constant(b))["input_ids"].numpy() for b in batches]

    reference_seconds, expected = _best_of(args.repeats, run_reference)
    ours_seconds, got = _best_of(args.repeats, run_ours)
    identical = int(sum((e == g).all(axis=1).sum() for e, g in zip(expected, got)))
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(json.dumps({
        "texts": len(texts), "megabytes": round(megabytes, 3), "max_length": args.max_length,
        "batch_size": args.batch_size, "padding": "max_length", "truncation": True,
        "hf_fast_seconds": round(reference_seconds, 4),
        "in_graph_seconds": round(ours_seconds, 4),
        "hf_fast_mb_per_s": round(megabytes / reference_seconds, 2),
        "in_graph_mb_per_s": round(megabytes / ours_seconds, 2),
        "identical_rows": identical, "rows": int(sum(len(e) for e in expected)),
        "tokenize_speed_ratio": round(reference_seconds / ours_seconds, 2),
    }))


if __name__ == "__main__":
    main()
