"""Claim: the exported end-to-end SavedModel (raw strings in) serves at least as fast as the 🤗
Python path (fast tokenizer + TF model call) and as 🤗's fast tokenizer + ONNX Runtime for the
same model, at batch 1 and batch 32, and its predictions agree.

The model is what the pipeline exports: MiniLM fine-tuned `--train-steps` steps on BBC News
rows by the real ExampleGen/StatisticsGen/SchemaGen/Transform/Trainer executors (the harness
the tests use). Sides, in one process, on the same texts:
- `saved_model`: `Format-Serving`'s `serving_default` called from eager Python on strings
  (each request padded to the smallest serving length that holds it);
- `saved_model_xla` (`--xla`): the same weights exported with `jit_compile=True` (the model
  part under XLA);
- `hf_eager`: `AutoTokenizer` (`padding="max_length", truncation=True, max_length`,
  `return_tensors="tf"`) then `model(**inputs)` and a softmax, on `Format-HF` loaded with
  TFAutoModelForSequenceClassification;
- `hf_tf_function`: the same tokenizer call, the model call in a `tf.function`;
- `hf_tf_function_longest`: the same with `padding="longest"` (each request padded to its own
  longest row, as a Python serving loop would);
- `onnx_runtime` (`--ort`): the 🤗 fast tokenizer with `padding="longest"` + the TF model
  converted here by tf2onnx (opset 17; logits checked within 1e-4 of TF's) in ONNX Runtime,
  `intra_op_num_threads` = the core count, thread spinning off (intra and inter op): what an
  ONNX Runtime user runs. Needs benchmarks/requirements.txt.
Corpora (`--texts`, see `corpus`): `mixed` (BBC openings + short sentences) and `tweets`
(short sentences) by default. Per corpus: batch 1, p50/p95 over `--requests`, the sides
interleaved by blocks of `--block` requests; batch `--batch-size`: rows/s over `--batches`;
both after an untimed warm-up over the corpus's lengths and the timed batches.

Final line: JSON with the figures per corpus (`by_texts`) and the ratios, >1 = the SavedModel
is faster: `batch1_p50_ratio`, `batch1_p95_ratio`, `batch32_throughput_ratio` (vs 🤗 eager),
`ort_batch1_p50_ratio` (ONNX Runtime's p50 / ours), `ort_batch32_throughput_ratio` (ours /
ONNX Runtime's), `vs_<side>` for the others, `xla` (the same with the XLA export as ours); the
top-level ratios are the worst over the corpora.

    .venv/bin/python benchmarks/serving.py [--texts mixed tweets] [--requests 300]
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (the SavedModel's tokenizer ops)
from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

from tfx_hf.components.contracts import (MODEL_INPUT_NAMES, SERVING_DEFAULT_SIGNATURE,
                                         ModelInfo, hf_format_dir, serving_model_dir)
from tfx_hf.components.task import TaskConfig
from tfx_hf.pipelines.demo_data import minilm_checkpoint, read_bbc_news

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import trainer_harness  # noqa: E402  (found through the sys.path entry above)
from tf_serving_batching import (BATCHING_PARAMETERS, batching_parameters_text,  # noqa: E402
                                 load_test)


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
    """Trains and exports MiniLM as the pipeline does; with `--xla`, the same model exported
    again with the model part under XLA. Returns (model uri, XLA export dir or None, texts)."""
    dataset, texts = _bbc_dataset(folder, args.train_per_topic, args.test_per_topic)
    config = TaskConfig(checkpoint=minilm_checkpoint(), max_length=args.max_length,
                        batch_size=8)
    examples, transform_graph = trainer_harness.prepare(
        folder, dataset, config, splits={"train": "train", "test": "eval"})
    model, _ = trainer_harness.train(folder, examples, transform_graph, config,
                                     train_steps=args.train_steps, eval_steps=1)
    xla_dir = None
    if args.xla:  # the same weights, from Format-HF, exported with jit_compile=True
        import tensorflow_transform as tft

        from tfx_hf.components.export.serving_model import export_serving_model

        info = ModelInfo.read(serving_model_dir(model.uri))
        xla_dir = os.path.join(folder, "serving_xla")
        export_serving_model(
            TFAutoModelForSequenceClassification.from_pretrained(hf_format_dir(model.uri)),
            tft.TFTransformOutput(transform_graph.uri), xla_dir,
            text_features=info.text_features, label_feature=config.label_feature,
            label_names=info.label_names, task=info.task,
            serving_lengths=info.serving_lengths, jit_compile=True)
    return model.uri, xla_dir, texts


def _ort_session(model, max_length: int, tokenizer):
    """The 🤗 TF model converted by tf2onnx (opset 17) in an ONNX Runtime session with
    intra-op threads = the core count and no thread spinning (spinning threads slow whatever
    runs next on a small machine); its logits checked against the TF model's within 1e-4."""
    import onnxruntime as ort
    import tf2onnx

    names = MODEL_INPUT_NAMES

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name=n) for n in names])
    def logits(input_ids, attention_mask, token_type_ids):
        return model(input_ids=input_ids, attention_mask=attention_mask,
                     token_type_ids=token_type_ids, training=False).logits

    onnx_model, _ = tf2onnx.convert.from_function(logits, input_signature=logits.input_signature,
                                                  opset=17)
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count()
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    session = ort.InferenceSession(onnx_model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    input_names = [i.name for i in session.get_inputs()]
    sample = ["Goal", "Bank profit rises as the markets close " * 30,
              "The striker scored in the cup match."]
    encoded = tokenizer(sample, padding="longest", truncation=True, max_length=max_length,
                        return_tensors="np")
    feeds = {n: encoded[k].astype(np.int32) for n, k in zip(input_names, names)}
    ort_logits = session.run(None, feeds)[0]
    tf_logits = logits(*[tf.constant(feeds[n]) for n in input_names]).numpy()
    diff = float(np.max(np.abs(ort_logits - tf_logits)))
    assert diff < 1e-4, f"ONNX Runtime's logits differ from the TF model's by {diff}"
    return session, input_names, diff


def _sides(model_uri: str, xla_dir, max_length: int, with_ort: bool):
    """name → callable(list of str) → probabilities (numpy [batch, classes]); the parts of
    a request (name → (prepare(texts), run(prepared))) timed apart by `time_split`; and the
    ONNX Runtime logits' max abs difference from TF (None without ONNX Runtime)."""
    def served(model_dir):
        serve = tf.saved_model.load(model_dir).signatures[SERVING_DEFAULT_SIGNATURE]
        return lambda texts: serve(text=tf.constant(texts))["probabilities"].numpy()

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

    def hf_eager(texts):
        return tf.nn.softmax(model(**tokenize(texts), training=False).logits).numpy()

    def hf_tf_function(texts):
        inputs = tokenize(texts)
        return model_call(*[tf.cast(inputs[n], tf.int32) for n in names]).numpy()

    def hf_tf_function_longest(texts):  # padded to the request's longest row
        inputs = tokenize(texts, padding="longest")
        return model_call(*[tf.cast(inputs[n], tf.int32) for n in names]).numpy()

    sides = {"saved_model": served(serving_model_dir(model_uri))}
    if xla_dir:
        sides["saved_model_xla"] = served(xla_dir)
    sides.update({"hf_eager": hf_eager, "hf_tf_function": hf_tf_function,
                  "hf_tf_function_longest": hf_tf_function_longest})
    ort_diff = None
    if with_ort:
        session, input_names, ort_diff = _ort_session(model, max_length, tokenizer)

        def onnx_runtime(texts):  # what an ONNX Runtime user writes: pad to the request
            encoded = tokenizer(texts, padding="longest", truncation=True,
                                max_length=max_length, return_tensors="np")
            logits = session.run(None, {n: encoded[k].astype(np.int32)
                                        for n, k in zip(input_names, names)})[0]
            exp = np.exp(logits - logits.max(-1, keepdims=True))
            return exp / exp.sum(-1, keepdims=True)

        sides["onnx_runtime"] = onnx_runtime

    serving_lengths = ModelInfo.read(serving_model_dir(model_uri)).serving_lengths

    def at_serving_length(texts):  # the ids the SavedModel's model part gets
        inputs = tokenize(texts)
        longest = int(tf.reduce_max(tf.reduce_sum(inputs["attention_mask"], -1)))
        length = min(n for n in serving_lengths if n >= longest)
        return [tf.cast(inputs[n][:, :length], tf.int32) for n in names]

    parts = {"saved_model": (lambda texts: texts, sides["saved_model"]),
             "saved_model_tf_model_part": (at_serving_length, lambda ids: model_call(*ids)),
             "hf_tokenizer_longest": (lambda texts: texts,
                                      lambda texts: tokenizer(texts, padding="longest",
                                                              truncation=True,
                                                              max_length=max_length,
                                                              return_tensors="np"))}
    if with_ort:
        def ort_feeds(texts):
            encoded = tokenizer(texts, padding="longest", truncation=True,
                                max_length=max_length, return_tensors="np")
            return {n: encoded[k].astype(np.int32) for n, k in zip(input_names, names)}

        parts["onnx_runtime_model"] = (ort_feeds, lambda feeds: session.run(None, feeds))
    return sides, parts, ort_diff


def time_split(parts, texts, requests: int):
    """Median ms of each part of a batch-1 request, the parts interleaved request by request;
    `saved_model_tokenizer_and_rest` is the SavedModel's time outside its model part."""
    times = {name: [] for name in parts}
    for i in range(requests):
        for name, (prepare, run) in parts.items():
            prepared = prepare([texts[i % len(texts)]])
            run(prepared)  # the first call of a shape is not timed
            times[name].append(_timed(run, prepared))
    out = {name: round(1000 * float(np.median(t)), 2) for name, t in times.items()}
    out["saved_model_tokenizer_and_rest"] = round(
        out["saved_model"] - out["saved_model_tf_model_part"], 2)
    return out


def _sentences(text):
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def corpus(kind: str, articles):
    """The texts timed. `articles`: whole BBC articles (mostly past max_length); `openings`:
    each article's title and first sentence; `mixed` (BBC openings + short sentences): per
    article its title and first three sentences, and one later sentence of 8-20 words (mean
    ~55 tokens); `tweets`: per article up to two later sentences of 6-16 words (median ~20
    tokens)."""
    if kind == "articles":
        return list(articles)
    if kind == "openings":
        return [text.split("\n")[0].split(". ")[0][:200] for text in articles]
    texts = []
    for article in articles:
        sentences = _sentences(article)
        if kind == "mixed":
            short = [s for s in sentences[3:] if 8 <= len(s.split()) <= 20]
            texts += [" ".join(sentences[:3]), short[0] if short else sentences[-1]]
        else:
            texts += [s for s in sentences[1:] if 6 <= len(s.split()) <= 16][:2]
    return texts


def _timed(fn, texts):
    started = time.perf_counter()
    fn(texts)
    return time.perf_counter() - started


def _warmup_texts(texts, count):
    """`count` texts spread over the corpus's lengths (sorted by length, evenly spaced), so
    every padding length a timed request can meet is seen (and compiled) before timing."""
    by_length = sorted(texts, key=len)
    return [by_length[round(i * (len(texts) - 1) / max(1, count - 1))] for i in range(count)]


def measure(sides, texts, requests: int, warmup: int, batch_size: int, batches: int,
            block: int):
    """Batch-1 latencies and batch throughput, the sides interleaved by blocks of `block`
    requests (one batch at batch size) after an untimed pass over the same batches."""
    timed_batches = [[texts[(b * batch_size + j) % len(texts)] for j in range(batch_size)]
                     for b in range(batches)]
    for fn in sides.values():
        for text in _warmup_texts(texts, warmup):
            fn([text])
        for batch in timed_batches:
            fn(batch)
    latencies = {name: [] for name in sides}
    for start in range(0, requests, block):
        for name, fn in sides.items():
            for i in range(start, min(requests, start + block)):
                latencies[name].append(_timed(fn, [texts[i % len(texts)]]))
    seconds = {name: 0.0 for name in sides}
    for batch in timed_batches:
        for name, fn in sides.items():
            seconds[name] += _timed(fn, batch)
    return {name: {"batch1_p50_ms": round(1000 * float(np.percentile(latencies[name], 50)), 2),
                   "batch1_p95_ms": round(1000 * float(np.percentile(latencies[name], 95)), 2),
                   f"batch{batch_size}_rows_per_s":
                       round(batch_size * batches / seconds[name], 1)}
            for name in sides}


def ratios(figures, batch_size: int, ours: str = "saved_model"):
    """`<what>_ratio`s of `ours` against each other side (>1: `ours` is faster)."""
    throughput = f"batch{batch_size}_rows_per_s"
    saved = figures[ours]

    def against(other):
        return {"batch1_p50_ratio": round(other["batch1_p50_ms"] / saved["batch1_p50_ms"], 2),
                "batch1_p95_ratio": round(other["batch1_p95_ms"] / saved["batch1_p95_ms"], 2),
                f"batch{batch_size}_throughput_ratio":
                    round(saved[throughput] / other[throughput], 2)}

    out = dict(against(figures["hf_eager"]))
    for name in ("hf_tf_function", "hf_tf_function_longest", "saved_model_xla"):
        if name in figures and name != ours:
            out[f"vs_{name}"] = against(figures[name])
    if "onnx_runtime" in figures:
        vs_ort = against(figures["onnx_runtime"])
        out["ort_batch1_p50_ratio"] = vs_ort["batch1_p50_ratio"]
        out["ort_batch1_p95_ratio"] = vs_ort["batch1_p95_ratio"]
        out[f"ort_batch{batch_size}_throughput_ratio"] = \
            vs_ort[f"batch{batch_size}_throughput_ratio"]
    return out


def _batching_ratios(batching):
    """The batching config's figures and ratios (>1: batching helps): latency of one lone
    client (what the batch timeout costs) and rows/s of the most concurrent clients."""
    if not batching:
        return {}
    lone, busy = batching[min(batching, key=_clients)], batching[max(batching, key=_clients)]
    documented = f"batched_max_{BATCHING_PARAMETERS['max_batch_size']}"
    if documented not in lone:
        return {"tf_serving_batching": batching}
    return {"tf_serving_batching": batching,
            "batching_lone_client_p50_ratio":
                round(lone["unbatched"]["p50_ms"] / lone[documented]["p50_ms"], 2),
            "batching_concurrent_throughput_ratio":
                round(busy[documented]["rows_per_s"] / busy["unbatched"]["rows_per_s"], 2)}


def _clients(key):
    return int(key.split("_")[1])


def add_export_arguments(parser: argparse.ArgumentParser):
    """The options of `_export` (the fine-tuned model both serving benchmarks measure)."""
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--train-steps", type=int, default=1)
    parser.add_argument("--train-per-topic", type=int, default=10)
    parser.add_argument("--test-per-topic", type=int, default=50)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="batch-1 requests timed")
    parser.add_argument("--block", type=int, default=20,
                        help="batch-1 requests per side before the next side's block")
    parser.add_argument("--warmup", type=int, default=20,
                        help="untimed batch-1 requests per side, spread over text lengths")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batches", type=int, default=8, help="batches timed")
    add_export_arguments(parser)
    parser.add_argument("--texts", nargs="+", default=["mixed", "tweets"],
                        choices=("articles", "openings", "mixed", "tweets"),
                        help="the corpora timed, each from the BBC test articles (see corpus)")
    parser.add_argument("--xla", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the model exported with jit_compile=True")
    parser.add_argument("--ort", action=argparse.BooleanOptionalAction, default=True,
                        help="time 🤗 fast tokenizer + ONNX Runtime (needs onnxruntime, "
                             "tf2onnx: benchmarks/requirements.txt)")
    parser.add_argument("--split-requests", type=int, default=100,
                        help="batch-1 requests timed part by part (time_split)")
    parser.add_argument("--clients", type=int, nargs="*", default=[1, 16],
                        help="concurrent clients of the TF Serving batching load test "
                             "(tf_serving_batching.py; none: skip it)")
    parser.add_argument("--max-batch-sizes", type=int, nargs="+", default=[8, 32],
                        help="max_batch_size values the load test tries (the documented "
                             "config otherwise)")
    parser.add_argument("--client-requests", type=int, default=8,
                        help="batch-1 requests per client per round of the load test (3 "
                             "rounds)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        model_uri, xla_dir, articles = _export(folder, args)
        export_seconds = time.perf_counter() - started
        sides, parts, ort_diff = _sides(model_uri, xla_dir, args.max_length, args.ort)
        tokenizer = AutoTokenizer.from_pretrained(hf_format_dir(model_uri))
        by_texts = {}
        for kind in args.texts:
            texts = corpus(kind, articles)
            tokens = [len(ids) for ids in tokenizer(texts, truncation=True,
                                                    max_length=args.max_length)["input_ids"]]
            sample = texts[:args.batch_size]
            reference = sides["hf_eager"](sample)
            diffs = {name: float(np.max(np.abs(fn(sample) - reference)))
                     for name, fn in sides.items() if name != "hf_eager"}
            figures = measure(sides, texts, args.requests, args.warmup, args.batch_size,
                              args.batches, args.block)
            for name, values in figures.items():
                print(f"{kind:>7} {name:>22}: {values}", flush=True)
            assert max(diffs.values()) < 1e-3, f"a side disagrees with 🤗 eager: {diffs}"
            split = time_split(parts, texts, args.split_requests)
            print(f"{kind:>7} batch-1 time split (ms): {split}", flush=True)
            batching = load_test(sides["saved_model"], texts, args.clients,
                                 args.client_requests, args.max_batch_sizes) \
                if args.clients else {}
            if batching:
                print(f"{kind:>7} TF Serving batching: {batching}", flush=True)
            by_texts[kind] = {
                "texts": len(texts), "mean_tokens": round(float(np.mean(tokens)), 1),
                "median_tokens": float(np.median(tokens)), **figures,
                "max_abs_diff_probabilities": diffs, "batch1_time_split_ms": split,
                **ratios(figures, args.batch_size), **_batching_ratios(batching),
                **({"xla": ratios(figures, args.batch_size, "saved_model_xla")}
                   if xla_dir else {})}

    result = {
        "model": "MiniLM-L6 (all-MiniLM-L6-v2) fine-tuned by the Trainer executor",
        "cores": os.cpu_count(), "train_steps": args.train_steps,
        "max_length": args.max_length, "requests": args.requests, "block": args.block,
        "batches": args.batches, "export_seconds": round(export_seconds, 1),
        "onnx_logits_max_abs_diff": ort_diff,
        "batching_parameters_file": batching_parameters_text(BATCHING_PARAMETERS),
        "by_texts": by_texts}
    # The headline ratios: the worst over the corpora timed.
    for key in by_texts[args.texts[0]]:
        if key.endswith("_ratio"):
            result[key] = min(figures[key] for figures in by_texts.values())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
