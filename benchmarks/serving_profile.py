"""Claim (issue 18): where a batch-1 request to the exported SavedModel spends its time, from a
TF profiler trace of the requests, set against ONNX Runtime on the same text.

The model is what the pipeline exports, built as benchmarks/serving.py builds it (its
`_bbc_dataset`/`_export`: MiniLM fine-tuned `--train-steps` steps by the real executors). The
text is the `mixed` corpus (serving.py's `corpus`) text of median token count (~50 tokens).
`Format-Serving` is loaded with tf.saved_model.load, warmed up, and `--requests` batch-1
`serving_default` calls are traced with tf.profiler.experimental; the trace's XSpace
(plugins/profile/*/*.xplane.pb) is read with the xplane proto and each request is split into:
- op kernels: the TF op events (`scope/name:OpType`), per op type (self time, summed over the
  executor's threads, ms per request) and executions per request; `tokenizer` ops are those
  under the tft layer's scope (`transform_features_layer/`), `model` ops those under the 🤗
  model's (`tf_bert_for_sequence_classification/...`, also split by encoder piece:
  `by_model_piece`), `glue` the rest (casts, the cut to the serving length, the outputs);
- wall time covered by at least one traced kernel (`kernel_busy_ms`) vs. not
  (`overhead_ms`), the latter split into time a thread runs the executor between traced
  kernels (`executor_not_in_traced_kernels_ms`: scheduling, and the cheap ops it runs inline)
  and time outside it (`outside_executor_ms`: eager dispatch, function setup, thread handoff);
  kernel_busy_ms + overhead_ms = traced_request_ms_p50.
Times are from a trace at the default host_tracer_level 2, which leaves out the ops the
executor runs inline (most of them); `ops_per_request` counts every op, from a second trace of
`--count-requests` requests at level 3 (too costly per op to time with).
Untraced (perf_counter, same process, interleaved request by request) it also times: the whole
request (`request_ms_p50`), the transform graph alone (`tokenizer_ms`: the tft layer in a
tf.function on the same string), the 🤗 TF model part alone at the request's serving length
(`model_part_ms`: ids from the 🤗 tokenizer, the model in a tf.function) and, with `--ort`,
tf2onnx's conversion of the same model in ONNX Runtime (serving.py's `_ort_session`) on the
ids padded to the text (`ort_ms`) and to the same serving length (`ort_serving_length_ms`).
The profiler's own cost shows as traced request ms above `request_ms_p50`.

Final line: JSON with those figures, `ops_per_request`, `kernel_busy_ms`, `overhead_ms`,
`kernel_cpu_ms` (kernel self time summed over threads), `by_part` and `top_op_types` (ms and
executions per request).

    .venv/bin/python benchmarks/serving_profile.py [--requests 20] [--ort]
(ONNX Runtime/tf2onnx from benchmarks/requirements.txt, or a folder of them: `--ort-path DIR`,
appended to sys.path after site-packages.)
"""
import argparse
import glob
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (the SavedModel's tokenizer ops)
from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

from tfx_hf.components.contracts import (MODEL_INPUT_NAMES, SERVING_DEFAULT_SIGNATURE,
                                         ModelInfo, hf_format_dir, serving_model_dir)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serving  # noqa: E402  (benchmarks/serving.py, found through the sys.path entry above)

_OP_EVENT = re.compile(r"^(?P<name>[^:]+):(?P<type>[A-Za-z0-9_]+)$")
_MODEL_SCOPE = re.compile(r"(^|/)tf_\w+?_(for_\w+|model)(_\d+)?/")
_TRANSFORM_SCOPE = "transform_features_layer/"


def _xplane_pb2():
    try:
        from tensorflow.tsl.profiler.protobuf import xplane_pb2
    except ImportError:  # other TF builds ship it as a top-level tsl package
        from tsl.profiler.protobuf import xplane_pb2
    return xplane_pb2


# Where in the model an op is (first match): the encoder layers' pieces, by 🤗 BERT's scopes.
_MODEL_PIECES = [("layer_norm", "LayerNorm/"), ("gelu", "/Gelu/"),
                 ("qkv_projections", r"attention/self/(query|key|value)/"),
                 ("attention_scores_softmax_context", "attention/self/"),
                 ("attention_output_dense", "attention/output/dense/"),
                 ("ffn_in_dense", "intermediate/dense/"), ("ffn_out_dense", "/output/dense/"),
                 ("embeddings", "/embeddings/"), ("pooler_classifier", "/(pooler|classifier)/")]


def _part(op_name: str) -> str:
    if _TRANSFORM_SCOPE in op_name:
        return "tokenizer"
    return "model" if _MODEL_SCOPE.search(op_name) else "glue"


def _piece(op_name: str) -> str:
    part = _part(op_name)
    if part != "model":
        return part
    return next((piece for piece, scope in _MODEL_PIECES if re.search(scope, op_name)),
                "model_other")


def _union_ps(intervals):
    total, end = 0, None
    for start, stop in sorted(intervals):
        if end is None or start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def read_trace(logdir: str):
    """(request windows, op events, executor intervals) from the host plane of the trace under
    `logdir`: windows are the Python-side calls of the signature's concrete function (start,
    end in ps); op events (start, end, self ps, op type, part, piece) on any thread, self =
    minus nested ops; executor intervals: `ExecutorState::Process` (a thread running the
    function's executor: kernels and the scheduling between them)."""
    paths = glob.glob(os.path.join(logdir, "plugins", "profile", "*", "*.xplane.pb"))
    assert paths, f"no .xplane.pb under {logdir}"
    space = _xplane_pb2().XSpace()
    with open(sorted(paths)[-1], "rb") as f:
        space.ParseFromString(f.read())
    plane = next(p for p in space.planes if p.name == "/host:CPU")
    stat_names = {m.id: m.name for m in plane.stat_metadata.values()}
    windows, ops, executor = [], [], []
    for line in plane.lines:
        base = line.timestamp_ns * 1000
        events = sorted(line.events, key=lambda e: (e.offset_ps, -e.duration_ps))
        stack = []  # open op events on this thread: [end, index in ops]
        for event in events:
            name = plane.event_metadata[event.metadata_id].name
            start, end = base + event.offset_ps, base + event.offset_ps + event.duration_ps
            if any(stat_names.get(s.metadata_id) == "tf_function_call" for s in event.stats):
                windows.append((start, end))
                continue
            if name == "ExecutorState::Process":
                executor.append((start, end))
                continue
            match = _OP_EVENT.match(name)
            if not match or "::" in name:
                continue
            while stack and stack[-1][0] <= start:
                stack.pop()
            if stack:  # nested in another op (a function call op): not the parent's own time
                ops[stack[-1][1]][2] -= event.duration_ps
            ops.append([start, end, event.duration_ps, match["type"], _part(match["name"]),
                        _piece(match["name"])])
            stack.append([end, len(ops) - 1])
    return sorted(windows), ops, executor


def profile_breakdown(windows, ops, executor):
    """Per request means (ms) of the traced wall time, kernel-covered wall time (overall and
    per part, the parts' spans first to last op), executor-covered wall time, kernel self
    time per op type, model piece and part, and op executions."""
    per_request = []
    for start, end in windows:
        inside = [op for op in ops if op[0] >= start and op[1] <= end]
        running = [(max(s, start), min(e, end)) for s, e in executor if e > start and s < end]
        by_type = defaultdict(lambda: [0.0, 0])
        by_piece = defaultdict(float)
        by_part = defaultdict(lambda: {"kernel_cpu_ms": 0.0, "ops": 0, "intervals": []})
        for op_start, op_end, self_ps, op_type, part, piece in inside:
            by_piece[piece] += self_ps / 1e9
            by_type[op_type][0] += self_ps / 1e9
            by_type[op_type][1] += 1
            by_part[part]["kernel_cpu_ms"] += self_ps / 1e9
            by_part[part]["ops"] += 1
            if op_type not in ("ReadVariableOp", "NoOp", "Const"):  # scheduled up front
                by_part[part]["intervals"].append((op_start, op_end))
        parts = {}
        for part, figures in by_part.items():
            spans = figures.pop("intervals")
            figures["kernel_busy_ms"] = _union_ps(spans) / 1e9
            figures["span_ms"] = (max(e for _, e in spans) - min(s for s, _ in spans)) / 1e9 \
                if spans else 0.0
            parts[part] = figures
        busy = _union_ps([(op[0], op[1]) for op in inside]) / 1e9
        per_request.append({"wall_ms": (end - start) / 1e9, "kernel_busy_ms": busy,
                            "executor_ms": _union_ps(running) / 1e9, "by_piece": by_piece,
                            "kernel_cpu_ms": sum(op[2] for op in inside) / 1e9,
                            "ops": len(inside), "by_type": dict(by_type), "by_part": parts})

    def mean(values):
        return round(float(np.mean(values)), 3)

    count = len(per_request)
    types = {t for r in per_request for t in r["by_type"]}
    by_type = {t: {"ms": mean([r["by_type"].get(t, [0.0, 0])[0] for r in per_request]),
                   "count": sum(r["by_type"].get(t, [0.0, 0])[1] for r in per_request) / count}
               for t in types}
    by_part = {p: {k: mean([r["by_part"].get(p, {}).get(k, 0.0) for r in per_request])
                   for k in ("kernel_cpu_ms", "kernel_busy_ms", "span_ms", "ops")}
               for p in ("tokenizer", "model", "glue")}
    pieces = {p for r in per_request for p in r["by_piece"]}
    by_piece = {p: mean([r["by_piece"].get(p, 0.0) for r in per_request]) for p in pieces}
    wall = float(np.median([r["wall_ms"] for r in per_request]))
    busy = float(np.median([r["kernel_busy_ms"] for r in per_request]))
    running = float(np.median([r["executor_ms"] for r in per_request]))
    return {"traced_requests": count, "traced_request_ms_p50": round(wall, 3),
            "kernel_busy_ms": round(busy, 3), "overhead_ms": round(wall - busy, 3),
            "kernel_busy_share": round(busy / wall, 3),
            "executor_not_in_traced_kernels_ms": round(running - busy, 3),
            "outside_executor_ms": round(wall - running, 3),
            "kernel_cpu_ms": mean([r["kernel_cpu_ms"] for r in per_request]),
            "ops_per_request": mean([r["ops"] for r in per_request]),
            "by_part": by_part,
            "by_model_piece": dict(sorted(by_piece.items(), key=lambda kv: -kv[1])),
            "op_types": dict(sorted(by_type.items(), key=lambda kv: -kv[1]["ms"]))}


def _trace(request, logdir: str, requests: int, host_tracer_level: int):
    """Traces `requests` calls of `request` into `logdir`; returns read_trace's tuple."""
    shutil.rmtree(logdir, ignore_errors=True)
    tf.profiler.experimental.start(logdir, tf.profiler.experimental.ProfilerOptions(
        host_tracer_level=host_tracer_level, python_tracer_level=0, device_tracer_level=0))
    for _ in range(requests):
        request()
    tf.profiler.experimental.stop()
    trace = read_trace(logdir)
    assert len(trace[0]) == requests, f"{len(trace[0])} requests in the trace, not {requests}"
    return trace


def _median_text(texts, tokenizer, max_length):
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True,
                                             max_length=max_length)["input_ids"]]
    order = np.argsort(lengths, kind="stable")
    index = int(order[len(order) // 2])
    return texts[index], lengths[index]


def _median_ms(fns, repeats):
    """name → median ms of fn(), the fns interleaved call by call."""
    times = defaultdict(list)
    for _ in range(repeats):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return {name: round(1000 * float(np.median(t)), 3) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="batch-1 requests traced")
    parser.add_argument("--count-requests", type=int, default=3,
                        help="batch-1 requests traced at host_tracer_level 3 (op counts)")
    parser.add_argument("--timed", type=int, default=100,
                        help="untraced batch-1 requests timed per side")
    parser.add_argument("--warmup", type=int, default=20)
    serving.add_export_arguments(parser)
    parser.add_argument("--top", type=int, default=15, help="op types in the table")
    parser.add_argument("--ort", action=argparse.BooleanOptionalAction, default=True,
                        help="also time ONNX Runtime (onnxruntime, tf2onnx)")
    parser.add_argument("--ort-path", default=None,
                        help="a folder holding onnxruntime/tf2onnx, appended to sys.path "
                             "after site-packages (so TF's protobuf stays first)")
    parser.add_argument("--workdir", default=None,
                        help="keep the export here and reuse it on the next run (default: a "
                             "temp dir)")
    args = parser.parse_args()
    args.xla = False
    if args.ort_path:
        sys.path.append(args.ort_path)

    with tempfile.TemporaryDirectory() as temp:
        folder = args.workdir or temp
        saved = os.path.join(folder, "export.json")
        if os.path.exists(saved):
            with open(saved) as f:
                model_uri, articles = json.load(f)
        else:
            os.makedirs(folder, exist_ok=True)
            model_uri, _, articles = serving._export(folder, args)
            with open(saved, "w") as f:
                json.dump([model_uri, articles], f)
        result = run(args, folder, model_uri, articles)
    print(json.dumps(result))


def run(args, folder, model_uri, articles):
    import tensorflow_transform as tft

    info = ModelInfo.read(serving_model_dir(model_uri))
    hf_dir = hf_format_dir(model_uri)
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    text, tokens = _median_text(serving.corpus("mixed", articles), tokenizer, args.max_length)
    serve = tf.saved_model.load(serving_model_dir(model_uri)).signatures[
        SERVING_DEFAULT_SIGNATURE]

    def request():
        return serve(text=tf.constant([text]))["probabilities"].numpy()

    # The transform graph alone (what the SavedModel's tft layer runs) on the same string.
    tft_layer = tft.TFTransformOutput(os.path.join(folder, "tg")).transform_features_layer()
    feature = info.text_features[0]
    transform = tf.function(lambda t: tft_layer({feature: tf.reshape(t, [-1, 1])}))

    # The model part alone: the ids the SavedModel's model gets (cut to its serving length).
    model = TFAutoModelForSequenceClassification.from_pretrained(hf_dir)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name=n)
                                  for n in MODEL_INPUT_NAMES])
    def model_call(input_ids, attention_mask, token_type_ids):
        return tf.nn.softmax(model(input_ids=input_ids, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, training=False).logits)

    length = min(n for n in info.serving_lengths if n >= tokens)
    padded = tokenizer([text], padding="max_length", truncation=True,
                       max_length=args.max_length, return_tensors="np")
    ids = [tf.constant(padded[n][:, :length].astype(np.int32)) for n in MODEL_INPUT_NAMES]
    diff = float(np.max(np.abs(model_call(*ids).numpy() - request())))
    assert diff < 1e-4, f"the model part alone disagrees with the SavedModel by {diff}"
    sides = {"request": request,
             "tokenizer": lambda: [v.numpy() for v in transform(tf.constant([text])).values()],
             "model_part": lambda: model_call(*ids).numpy()}
    ort_diff = None
    if args.ort:
        session, input_names, ort_diff = serving._ort_session(model, args.max_length, tokenizer)
        longest = tokenizer([text], padding="longest", truncation=True,
                            max_length=args.max_length, return_tensors="np")
        feeds = {n: longest[k].astype(np.int32) for n, k in zip(input_names, MODEL_INPUT_NAMES)}
        at_length = {n: v.numpy() for n, v in zip(input_names, ids)}
        sides["ort"] = lambda: session.run(None, feeds)
        sides["ort_serving_length"] = lambda: session.run(None, at_length)
        sides["ort_with_hf_tokenizer"] = lambda: session.run(None, {
            n: tokenizer([text], padding="longest", truncation=True, max_length=args.max_length,
                         return_tensors="np")[k].astype(np.int32)
            for n, k in zip(input_names, MODEL_INPUT_NAMES)})

    for fn in sides.values():
        for _ in range(args.warmup):
            fn()
    timed = _median_ms(sides, args.timed)

    # Level 2 (the default) times the kernels: the executor traces the ops it runs inline
    # (cheap ones, ~1k of a request's ~1.5k) only at level 3, which costs so much per op that
    # the traced request takes several times longer. So times from level 2, where the
    # inline ops' kernels fall under "between traced kernels", and op counts from level 3.
    profile = profile_breakdown(*_trace(request, os.path.join(folder, "trace"),
                                        args.requests, 2))
    counts = profile_breakdown(*_trace(request, os.path.join(folder, "trace_all_ops"),
                                       args.count_requests, 3))
    profile["traced_ops_per_request"] = profile.pop("ops_per_request")
    profile["ops_per_request"] = counts["ops_per_request"]
    for part, figures in profile["by_part"].items():
        figures["traced_ops"] = figures.pop("ops")
        figures["ops"] = counts["by_part"][part]["ops"]
    for op_type, figures in profile["op_types"].items():
        figures["traced_runs"] = figures.pop("count")
        figures["runs"] = counts["op_types"].get(op_type, {}).get("count")

    _print_table(timed, profile, text, tokens, length, args.top)
    top = {t: v for t, v in list(profile.pop("op_types").items())[:args.top]}
    return {"model": "MiniLM-L6 (all-MiniLM-L6-v2) fine-tuned by the Trainer executor",
            "cores": os.cpu_count(), "train_steps": args.train_steps,
            "text_tokens": tokens, "serving_length": length,
            "request_ms_p50": timed["request"], "model_part_ms": timed["model_part"],
            "tokenizer_ms": timed["tokenizer"], "ort_ms": timed.get("ort"),
            "ort_serving_length_ms": timed.get("ort_serving_length"),
            "ort_with_hf_tokenizer_ms": timed.get("ort_with_hf_tokenizer"),
            "ort_logits_max_abs_diff": ort_diff, **profile, "top_op_types": top}


def _print_table(timed, profile, text, tokens, length, top):
    print(f"text: {tokens} tokens, serving length {length}: {text[:70]!r}...")
    print("untraced p50 ms: " + ", ".join(f"{k} {v}" for k, v in timed.items()))
    wall = profile["traced_request_ms_p50"]
    print(f"traced request {wall} ms = traced kernels busy {profile['kernel_busy_ms']} ms "
          f"({100 * profile['kernel_busy_share']:.0f}%) + executor between traced kernels "
          f"{profile['executor_not_in_traced_kernels_ms']} ms + outside the executor "
          f"{profile['outside_executor_ms']} ms; kernel self time over threads "
          f"{profile['kernel_cpu_ms']} ms; ops/request {profile['ops_per_request']:.0f} "
          f"({profile['traced_ops_per_request']:.0f} traced at level 2)")
    print(f"{'part':<10}{'ops':>6}{'traced':>8}{'busy ms':>10}{'span ms':>10}{'cpu ms':>10}")
    for part, v in profile["by_part"].items():
        print(f"{part:<10}{v['ops']:>6.0f}{v['traced_ops']:>8.0f}{v['kernel_busy_ms']:>10.3f}"
              f"{v['span_ms']:>10.3f}{v['kernel_cpu_ms']:>10.3f}")
    print("kernel ms/request by piece: " + ", ".join(
        f"{k} {v:.3f}" for k, v in profile["by_model_piece"].items()))
    print(f"{'op type':<34}{'ms/request':>11}{'traced':>8}{'runs':>6}")
    for op_type, v in list(profile["op_types"].items())[:top]:
        print(f"{op_type:<34}{v['ms']:>11.3f}{v['traced_runs']:>8.0f}{v['runs'] or 0:>6.0f}")


if __name__ == "__main__":
    main()
