"""Claim: on long documents, reading every window (`long_text="windows"`) classifies better
than reading only the first max_length tokens (`truncate`, the default), at a training and
serving cost this script measures.

BBC News (2,225 articles, 5 topics; most longer than 128 tokens) and MiniLM, in one process:
the same stratified train/test split, the same seed, batch size and number of optimizer steps
for both sides (so the same training compute: windows see more, shorter-context examples of
fewer documents per step). Rows come from the project's own code: InGraphTokenizer with
`return_overflowing_tokens=True, stride, max_windows` (the transform graph's windows) and
`long_text.aggregate_logits` (the served model's mean of each document's window logits).
Test documents are scored whole: one prediction per article on both sides.

Final line: JSON with accuracy and macro-F1 of both sides, windows per document, training
seconds and serving milliseconds per document of both, `accuracy_ratio` (windows / truncate,
bigger = windows better) and `serving_cost_ratio` (windows ms / truncate ms per document).

    .venv/bin/python benchmarks/long_text.py [--steps 150] [--max-length 128] [--stride 32]
        [--max-windows 16] [--test-docs 445]
"""
import argparse
import json
import time

import numpy as np
import tensorflow as tf

from tfx_hf.components.export.serving_model import model_inputs
from tfx_hf.components.task import get_task
from tfx_hf.components.task.long_text import aggregate_logits
from tfx_hf.components.tokenization import InGraphTokenizer
from tfx_hf.components.trainer.checkpoint import load_model
from tfx_hf.pipelines.demo_data import minilm_checkpoint, read_bbc_news


def split(texts, labels, test_size: float, seed: int = 0):
    """A stratified train/test split of document indices."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in sorted(set(labels)):
        rows = rng.permutation([i for i, y in enumerate(labels) if y == label])
        cut = int(round(len(rows) * test_size))
        test += rows[:cut].tolist()
        train += rows[cut:].tolist()
    return rng.permutation(train).tolist(), sorted(test)


def tokenize(tokenizer, texts, batch: int = 64):
    """The tokenizer's outputs for all texts, in batches (mapping offsets made global)."""
    parts, offset = [], 0
    for start in range(0, len(texts), batch):
        out = {k: v.numpy() for k, v in tokenizer(tf.constant(texts[start:start + batch])).items()}
        if "overflow_to_sample_mapping" in out:
            out["overflow_to_sample_mapping"] = out["overflow_to_sample_mapping"] + offset
        offset += len(texts[start:start + batch])
        parts.append(out)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def train(checkpoint, features, labels, steps, batch_size, learning_rate, num_labels):
    """`steps` optimizer steps on shuffled rows; returns (model, seconds)."""
    from transformers import create_optimizer

    tf.keras.utils.set_random_seed(0)
    task = get_task("single_label_classification")
    model = load_model(checkpoint, task, [str(i) for i in range(num_labels)])
    optimizer, _ = create_optimizer(init_lr=learning_rate, num_train_steps=steps,
                                    num_warmup_steps=int(0.1 * steps), weight_decay_rate=0.01)
    model.compile(optimizer=optimizer)
    rows = tf.data.Dataset.from_tensor_slices((features, labels)).shuffle(
        len(labels), seed=0).repeat().batch(batch_size, drop_remainder=True)
    started = time.perf_counter()
    model.fit(rows, steps_per_epoch=steps, epochs=1, verbose=0)
    return model, time.perf_counter() - started


def serve(model, tokenizer, texts, batch: int = 16):
    """Per-document logits as the served model computes them (tokenize in the graph, the model
    on all windows of the batch, mean of each document's window logits); and seconds."""
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def predict(text):
        tokenized = tokenizer(text)
        logits = model(model_inputs(tokenized), training=False).logits
        if "overflow_to_sample_mapping" in tokenized:
            logits = aggregate_logits(logits, tokenized["overflow_to_sample_mapping"],
                                      tf.shape(text)[0], "mean_logits")
        return logits

    predict(tf.constant(texts[:batch]))  # trace once, not timed
    started = time.perf_counter()
    logits = np.concatenate([predict(tf.constant(texts[i:i + batch])).numpy()
                             for i in range(0, len(texts), batch)])
    return logits, time.perf_counter() - started


def macro_f1(labels, predicted, num_labels):
    scores = []
    for c in range(num_labels):
        tp = np.sum((predicted == c) & (labels == c))
        fp, fn = np.sum((predicted == c) & (labels != c)), np.sum((predicted != c) & (labels == c))
        scores.append(2 * tp / max(2 * tp + fp + fn, 1))
    return float(np.mean(scores))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-4)  # the demo's
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--stride", type=int, default=32)
    parser.add_argument("--max-windows", type=int, default=16)
    parser.add_argument("--test-size", type=float, default=0.2)
    parser.add_argument("--test-docs", type=int, default=None, help="score only this many")
    args = parser.parse_args()

    checkpoint = minilm_checkpoint()
    texts, labels, names, _ = read_bbc_news()
    train_ids, test_ids = split(texts, labels, args.test_size)
    if args.test_docs:
        test_ids = test_ids[::max(1, len(test_ids) // args.test_docs)][:args.test_docs]
    train_texts, train_labels = [texts[i] for i in train_ids], np.array(
        [labels[i] for i in train_ids])
    test_texts, test_labels = [texts[i] for i in test_ids], np.array([labels[i] for i in test_ids])

    sides = {
        "truncate": InGraphTokenizer.from_pretrained(checkpoint, max_length=args.max_length),
        "windows": InGraphTokenizer.from_pretrained(
            checkpoint, max_length=args.max_length, return_overflowing_tokens=True,
            stride=args.stride, max_windows=args.max_windows),
    }
    result = {"dataset": "BBC News", "checkpoint": "all-MiniLM-L6-v2", "steps": args.steps,
              "batch_size": args.batch_size, "max_length": args.max_length,
              "stride": args.stride, "max_windows": args.max_windows,
              "train_documents": len(train_ids), "test_documents": len(test_ids)}
    encoded = {side: tokenize(tokenizer, train_texts) for side, tokenizer in sides.items()}
    num_windows = encoded["windows"]["num_windows"]
    result.update(share_longer_than_max_length=round(float((num_windows > 1).mean()), 3),
                  windows_per_document=round(float(np.minimum(
                      num_windows, args.max_windows).mean()), 2),
                  documents_over_max_windows=int((num_windows > args.max_windows).sum()))
    for side, tokenizer in sides.items():
        rows = train_labels
        if side == "windows":  # each window with its document's label
            rows = train_labels[encoded[side]["overflow_to_sample_mapping"]]
        model, seconds = train(checkpoint, model_inputs(encoded[side]), rows, args.steps,
                               args.batch_size, args.learning_rate, len(names))
        logits, serve_seconds = serve(model, tokenizer, test_texts)
        predicted = logits.argmax(-1)
        result[side] = {
            "accuracy": round(float(np.mean(predicted == test_labels)), 4),
            "macro_f1": round(macro_f1(test_labels, predicted, len(names)), 4),
            "train_seconds": round(seconds, 1), "training_rows": int(len(rows)),
            "serving_ms_per_document": round(1000 * serve_seconds / len(test_texts), 2)}
        print(side, json.dumps(result[side]), flush=True)
    result["accuracy_ratio"] = round(result["windows"]["accuracy"] /
                                     max(result["truncate"]["accuracy"], 1e-9), 4)
    result["macro_f1_ratio"] = round(result["windows"]["macro_f1"] /
                                     max(result["truncate"]["macro_f1"], 1e-9), 4)
    result["serving_cost_ratio"] = round(result["windows"]["serving_ms_per_document"] /
                                         result["truncate"]["serving_ms_per_document"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
