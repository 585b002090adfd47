"""Claim: the exported end-to-end SavedModel (raw strings in) serves at least as fast as the 🤗
Python path (fast tokenizer + TF model call) for the same model, at batch 1, and its
predictions agree.

The model is what the pipeline exports: MiniLM fine-tuned `--train-steps` steps on BBC News
rows by the real ExampleGen/StatisticsGen/SchemaGen/Transform/Trainer executors (the harness
the tests use). Sides, in one process, on the same BBC test articles, interleaved request by
request so both see the same machine load:
- `saved_model`: `Format-Serving`'s `serving_default` called from eager Python on strings;
- `hf_eager`: `AutoTokenizer` (`padding="max_length", truncation=True, max_length`,
  `return_tensors="tf"`) then `model(**inputs)` and a softmax, on `Format-HF` loaded with
  TFAutoModelForSequenceClassification;
- `hf_tf_function`: the same tokenizer call, the model call in a `tf.function` (the
  fair-to-🤗 variant);
- `hf_tf_function_longest`: the same with `padding="longest"`: each request padded to its own
  longest row, as a Python serving loop would (the SavedModel pads to the smallest of its
  serving lengths that holds the request).
`--texts openings` times the first sentence of each article instead (short texts).
Batch 1: p50/p95 latency over `--requests` after `--warmup`. Batch `--batch-size`: rows/s
over `--batches`. Final line: JSON with the figures, the max abs difference of probabilities,
and the ratios (🤗 eager / SavedModel latency; SavedModel / 🤗 eager throughput; >1 = the
SavedModel is faster).

    .venv/bin/python benchmarks/serving.py [--requests 100] [--batches 4] [--train-steps 1]
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (the SavedModel's tokenizer ops)
from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

from tfx_hf.components.contracts import (MODEL_INPUT_NAMES, SERVING_DEFAULT_SIGNATURE,
                                         hf_format_dir, serving_model_dir)
from tfx_hf.components.task import TaskConfig
from tfx_hf.pipelines.demo_data import minilm_checkpoint, read_bbc_news

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import trainer_harness  # noqa: E402  (found through the sys.path entry above)


def _bbc_dataset(folder: str, train_per_topic: int, test_per_topic: int):
    """A DatasetDict of the first BBC articles of each topic; returns (path, test texts)."""
    import datasets

    texts, labels, topics, _ = read_bbc_news()
    by_topic = {t: [x for x, y in zip(texts, labels) if y == t] for t in range(len(topics))}
    features = datasets.Features({"text": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=topics)})

    def split(start, stop):
        rows = [{"text": x, "label": t} for t, xs in by_topic.items() for x in xs[start:stop]]
        return datasets.Dataset.from_list(rows, features=features)

    train = split(0, train_per_topic)
    test = split(train_per_topic, train_per_topic + test_per_topic)
    path = os.path.join(folder, "bbc")
    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(path)
    return path, list(test["text"])


def _export(folder: str, args):
    dataset, texts = _bbc_dataset(folder, args.train_per_topic, args.test_per_topic)
    config = TaskConfig(checkpoint=minilm_checkpoint(), max_length=args.max_length,
                        batch_size=8)
    examples, transform_graph = trainer_harness.prepare(
        folder, dataset, config, splits={"train": "train", "test": "eval"})
    model, _ = trainer_harness.train(folder, examples, transform_graph, config,
                                     train_steps=args.train_steps, eval_steps=1)
    return model.uri, texts


def _sides(model_uri: str, max_length: int):
    """name → callable(list of str) → probabilities (numpy [batch, classes])."""
    serve = tf.saved_model.load(serving_model_dir(model_uri)).signatures[
        SERVING_DEFAULT_SIGNATURE]
    hf_dir = hf_format_dir(model_uri)
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    model = TFAutoModelForSequenceClassification.from_pretrained(hf_dir)
    names = MODEL_INPUT_NAMES

    def tokenize(texts, padding="max_length"):
        return tokenizer(texts, padding=padding, truncation=True, max_length=max_length,
                         return_tensors="tf")

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name=n)
                                  for n in names])
    def model_call(input_ids, attention_mask, token_type_ids):
        return tf.nn.softmax(model(input_ids=input_ids, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, training=False).logits)

    def saved_model(texts):
        return serve(text=tf.constant(texts))["probabilities"].numpy()

    def hf_eager(texts):
        return tf.nn.softmax(model(**tokenize(texts), training=False).logits).numpy()

    def hf_tf_function(texts):
        inputs = tokenize(texts)
        return model_call(*[tf.cast(inputs[n], tf.int32) for n in names]).numpy()

    def hf_tf_function_longest(texts):  # padded to the request's longest row
        inputs = tokenize(texts, padding="longest")
        return model_call(*[tf.cast(inputs[n], tf.int32) for n in names]).numpy()

    return {"saved_model": saved_model, "hf_eager": hf_eager, "hf_tf_function": hf_tf_function,
            "hf_tf_function_longest": hf_tf_function_longest}


def _openings(texts):
    """The first sentence of each text (short texts: tens of tokens, not hundreds)."""
    return [text.split("\n")[0].split(". ")[0][:200] for text in texts]


def _timed(fn, texts):
    started = time.perf_counter()
    fn(texts)
    return time.perf_counter() - started


def measure(sides, texts, requests: int, warmup: int, batch_size: int, batches: int):
    for fn in sides.values():
        for i in range(warmup):
            fn([texts[i % len(texts)]])
        fn(texts[:batch_size])
    latencies = {name: [] for name in sides}
    for i in range(requests):  # interleaved: every side sees the same load
        request = [texts[i % len(texts)]]
        for name, fn in sides.items():
            latencies[name].append(_timed(fn, request))
    seconds = {name: 0.0 for name in sides}
    for b in range(batches):
        batch = [texts[(b * batch_size + j) % len(texts)] for j in range(batch_size)]
        for name, fn in sides.items():
            seconds[name] += _timed(fn, batch)
    return {name: {"batch1_p50_ms": round(1000 * float(np.percentile(latencies[name], 50)), 2),
                   "batch1_p95_ms": round(1000 * float(np.percentile(latencies[name], 95)), 2),
                   f"batch{batch_size}_rows_per_s":
                       round(batch_size * batches / seconds[name], 1)}
            for name in sides}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="batch-1 requests timed")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batches", type=int, default=4, help="batches timed")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--train-steps", type=int, default=1)
    parser.add_argument("--train-per-topic", type=int, default=10)
    parser.add_argument("--test-per-topic", type=int, default=10)
    parser.add_argument("--texts", choices=("articles", "openings"), default="articles",
                        help="whole BBC test articles (mostly past max_length) or the first "
                             "sentence of each (short texts)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        model_uri, texts = _export(folder, args)
        if args.texts == "openings":
            texts = _openings(texts)
        export_seconds = time.perf_counter() - started
        sides = _sides(model_uri, args.max_length)
        sample = texts[:args.batch_size]
        reference = sides["hf_eager"](sample)
        diffs = {name: float(np.max(np.abs(fn(sample) - reference)))
                 for name, fn in sides.items() if name != "hf_eager"}
        agree = {name: float(np.mean(fn(sample).argmax(-1) == reference.argmax(-1)))
                 for name, fn in sides.items() if name != "hf_eager"}
        figures = measure(sides, texts, args.requests, args.warmup, args.batch_size,
                          args.batches)

    for name, values in figures.items():
        print(f"{name:>15}: {values}")
    saved, eager, fn = figures["saved_model"], figures["hf_eager"], figures["hf_tf_function"]
    longest = figures["hf_tf_function_longest"]
    throughput = f"batch{args.batch_size}_rows_per_s"
    result = {
        "model": "MiniLM-L6 (all-MiniLM-L6-v2) fine-tuned by the Trainer executor",
        "texts_kind": args.texts,
        "train_steps": args.train_steps, "max_length": args.max_length,
        "requests": args.requests, "batches": args.batches, "texts": len(texts),
        "export_seconds": round(export_seconds, 1), **figures,
        "max_abs_diff_probabilities": diffs, "same_label_fraction": agree,
        "batch1_p50_ratio": round(eager["batch1_p50_ms"] / saved["batch1_p50_ms"], 2),
        "batch1_p95_ratio": round(eager["batch1_p95_ms"] / saved["batch1_p95_ms"], 2),
        f"batch{args.batch_size}_throughput_ratio": round(saved[throughput] / eager[throughput], 2),
        "vs_hf_tf_function": {
            "batch1_p50_ratio": round(fn["batch1_p50_ms"] / saved["batch1_p50_ms"], 2),
            "batch1_p95_ratio": round(fn["batch1_p95_ms"] / saved["batch1_p95_ms"], 2),
            f"batch{args.batch_size}_throughput_ratio":
                round(saved[throughput] / fn[throughput], 2)},
        "vs_hf_tf_function_longest": {  # 🤗 padding each request to its own longest row
            "batch1_p50_ratio": round(longest["batch1_p50_ms"] / saved["batch1_p50_ms"], 2),
            "batch1_p95_ratio": round(longest["batch1_p95_ms"] / saved["batch1_p95_ms"], 2),
            f"batch{args.batch_size}_throughput_ratio":
                round(saved[throughput] / longest[throughput], 2)},
    }
    assert diffs["saved_model"] < 1e-3, f"SavedModel and 🤗 disagree: {diffs}"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
