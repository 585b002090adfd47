"""serve_check: will this SavedModel run where only TensorFlow and TensorFlow Text are?

A model server (TF Serving, Vertex AI's prebuilt TF containers) has TensorFlow's ops and, in
TF Serving's model server, TensorFlow Text's ops (`@org_tensorflow_text//tensorflow_text:ops_lib`
is linked in); it has no Python, so no 🤗 tokenizer, no tf.Transform, no `tf.py_function`.

`check(model_dir)` runs the model in a fresh interpreter (`python -I`, this file as a script)
in which transformers, tfx, tfx_hf, tensorflow_transform and the rest of the training stack are
hidden from the import system, and which imports only the standard library before TensorFlow:
1. every op in saved_model.pb (the graph and every function of its library) must be a core
   TensorFlow op (looked up before tensorflow_text is imported) or a TensorFlow Text op (after);
   PyFunc/EagerPyFunc/PyFuncStateless and ops registered nowhere are errors;
2. `assets.extra/requirements.txt` must name the tensorflow-text version;
3. `serving_default` gets sample requests (empty, non-ASCII, very long, invalid UTF-8 texts; the
   same text to every text input) and its outputs must fit the task in model_info.json;
   `serving_tf_example` must agree with it;
4. loading and calling must import nothing that `import tensorflow, tensorflow_text` did not.

This module's top level imports only the standard library: the child runs this very file.
"""
import base64
import json
import os
import re
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

PYTHON_OPS = ("PyFunc", "PyFuncStateless", "EagerPyFunc")
# Packages a model server does not have; hidden in the child, so a model that needs one fails to
# load there as it would in production.
TRAINING_STACK = ("transformers", "tokenizers", "safetensors", "huggingface_hub", "datasets",
                  "torch", "sentencepiece", "tfx", "tfx_hf", "tfx_bsl", "tensorflow_transform",
                  "tensorflow_model_analysis", "apache_beam", "ml_metadata", "kfp")
DEFAULT_TEXTS = [
    "The striker scored twice in the second half to send his club to the cup final.".encode(),
    b"",
    "Ça coûte 10 € — 東京で会議 🙂 Привет, мир".encode(),
    ("The market rose as investors bought shares in the bank after profits grew. " * 400).encode(),
    b"caf\xe9 \xff\xfe not UTF-8 \xc3\x28 bytes",
]
REPORT_PREFIX = "SERVE_CHECK_REPORT "


class ModelDirError(ValueError):
    """MODEL_DIR is neither a SavedModel folder nor a push destination with versions."""


def latest_version(model_dir: str) -> str:
    """A SavedModel folder as is; a push destination (numbered versions): the newest version."""
    if os.path.isfile(os.path.join(model_dir, "saved_model.pb")):
        return model_dir
    versions = [d for d in os.listdir(model_dir) if d.isdigit()] if os.path.isdir(model_dir) else []
    if not versions:
        raise ModelDirError(f"{model_dir!r} is neither a SavedModel nor a push destination with "
                            "numbered versions.")
    return os.path.join(model_dir, max(versions, key=int))


def check(model_dir: str, texts: Optional[Sequence[bytes]] = None,
          timeout: float = 600) -> Dict[str, Any]:
    """The report of the checks above for `model_dir` (a SavedModel or a push destination).

    `report["ok"]` is False when any of `report["errors"]` was found; warnings do not fail it.
    """
    saved_model = os.path.abspath(latest_version(model_dir))
    request = {"model_dir": saved_model,
               "texts": [base64.b64encode(t).decode() for t in (texts or DEFAULT_TEXTS)]}
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
    started = time.perf_counter()
    try:
        child = subprocess.run([sys.executable, "-I", os.path.abspath(__file__)],
                               input=json.dumps(request), capture_output=True, text=True,
                               env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return _failed(saved_model, f"the check did not finish in {timeout:.0f} s")
    lines = [line for line in child.stdout.splitlines() if line.startswith(REPORT_PREFIX)]
    if not lines:
        tail = "\n".join(child.stderr.strip().splitlines()[-15:])
        return _failed(saved_model, f"the checking process exited with status "
                       f"{child.returncode} before reporting:\n{tail}")
    report = json.loads(lines[-1][len(REPORT_PREFIX):])
    report["timings"]["total_seconds"] = round(time.perf_counter() - started, 3)
    return report


def _failed(saved_model: str, error: str) -> Dict[str, Any]:
    return {"ok": False, "model_dir": saved_model, "errors": [error], "warnings": [],
            "timings": {}}


# Everything below runs in the child process. ---------------------------------------------------

def _top_level_modules(names) -> List[str]:
    """Non-stdlib top-level packages, without private ones and the anonymous modules of loaded
    op libraries (named by a hash)."""
    tops = {name.partition(".")[0] for name in names}
    return sorted(t for t in tops if t not in sys.stdlib_module_names and not t.startswith("_")
                  and not re.fullmatch(r"[0-9a-f]{40}", t))


class _Hidden:
    """Wraps a meta path finder so the training stack looks uninstalled; records the attempts."""

    def __init__(self, finder, attempts: List[str]):
        self._finder = finder
        self._attempts = attempts

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in TRAINING_STACK:
            self._attempts.append(name)
            return None
        return self._finder.find_spec(name, path, target)

    def __getattr__(self, name):
        return getattr(self._finder, name)


def _graph_ops(saved_model_pb) -> Dict[str, int]:
    """Op type → node count over every meta graph and every function of its library (calls of
    library functions by name are not ops and are left out)."""
    counts: Dict[str, int] = {}
    for meta_graph in saved_model_pb.meta_graphs:
        library = meta_graph.graph_def.library
        functions = {f.signature.name for f in library.function}
        nodes = list(meta_graph.graph_def.node)
        for function in library.function:
            nodes.extend(function.node_def)
        for node in nodes:
            if node.op not in functions:
                counts[node.op] = counts.get(node.op, 0) + 1
    return counts


def _spec(tensor_spec) -> Dict[str, Any]:
    shape = tensor_spec.shape
    return {"dtype": tensor_spec.dtype.name,
            "shape": None if shape.rank is None else [d for d in shape.as_list()]}


def _check_requirements(model_dir: str, installed: str, errors, warnings) -> Dict[str, str]:
    path = os.path.join(model_dir, "assets.extra", "requirements.txt")
    if not os.path.isfile(path):
        errors.append(f"{path} is missing: the model must name the tensorflow-text version its "
                      "ops need (export with tfx_hf's export_serving_model).")
        return {}
    pins = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)", line)
            if match:
                pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    if "tensorflow-text" not in pins:
        errors.append(f"{path} names no tensorflow-text version (a line tensorflow-text==X.Y.Z).")
    elif pins["tensorflow-text"] != installed:
        warnings.append(f"{path} asks for tensorflow-text=={pins['tensorflow-text']} but "
                        f"{installed} is installed here: serve it with a model server built "
                        f"with tensorflow-text {pins['tensorflow-text']}.")
    return pins


def _check_outputs(outputs: Dict[str, Any], batch: int, task: str, label_names: List[str],
                   errors: List[str]) -> None:
    import numpy as np  # pylint: disable=g-import-not-at-top

    for name, value in outputs.items():
        if value.ndim == 0 or value.shape[0] != batch:
            errors.append(f"serving_default output {name!r} has shape {list(value.shape)}, "
                          f"not [{batch}, ...] for {batch} requests.")
        elif value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            errors.append(f"serving_default output {name!r} has NaN or infinite values.")
    if task == "single_label_classification":
        missing = {"label", "label_id", "probabilities"} - set(outputs)
        if missing:
            errors.append(f"serving_default lacks the outputs {sorted(missing)} of a "
                          "single-label classifier.")
            return
        probabilities = outputs["probabilities"]
        if probabilities.shape != (batch, len(label_names)):
            errors.append(f"probabilities have shape {list(probabilities.shape)}, not "
                          f"[{batch}, {len(label_names)}] ({len(label_names)} label_names).")
            return
        sums = probabilities.sum(axis=-1)
        if not np.allclose(sums, 1.0, atol=1e-3):
            errors.append(f"probabilities do not sum to 1: {sums.tolist()}.")
        for label, label_id in zip(outputs["label"], outputs["label_id"]):
            label = label.decode("utf-8", "replace")
            if label not in label_names:
                errors.append(f"label {label!r} is not one of label_names {label_names}.")
            elif not 0 <= label_id < len(label_names) or label_names[label_id] != label:
                errors.append(f"label_id {label_id} does not name label {label!r}.")
    elif "scores" not in outputs:
        errors.append(f"serving_default has no `scores` output ({task}).")
    elif task == "multi_label_classification" and not np.all(
            (outputs["scores"] >= 0) & (outputs["scores"] <= 1)):
        errors.append("multi-label scores are not all in [0, 1].")


def _sample(text: bytes, outputs: Dict[str, Any], i: int) -> Dict[str, Any]:
    shown = text.decode("utf-8", "replace")
    sample = {"text": shown if len(shown) <= 80 else f"{shown[:77]}... ({len(text)} bytes)"}
    for name, value in outputs.items():
        value = value[i]
        if isinstance(value, bytes):
            sample[name] = value.decode("utf-8", "replace")
        elif getattr(value, "ndim", 0):
            sample[name] = [round(float(v), 4) for v in value.ravel()]
        else:
            sample[name] = value.item() if hasattr(value, "item") else value
    return sample


def _child(request: Dict[str, Any]) -> Dict[str, Any]:
    """The checks, in this fresh interpreter. Never raises: failures become report errors."""
    attempts: Dict[str, List[str]] = {"import": [], "load_and_call": []}
    sys.meta_path[:] = [_Hidden(f, attempts["import"]) if hasattr(f, "find_spec") else f
                        for f in sys.meta_path]
    model_dir, texts = request["model_dir"], [base64.b64decode(t) for t in request["texts"]]
    errors: List[str] = []
    warnings: List[str] = []
    report: Dict[str, Any] = {"ok": False, "model_dir": model_dir, "errors": errors,
                              "warnings": warnings, "timings": {}}
    at_start = set(sys.modules)

    started = time.perf_counter()
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from tensorflow.core.protobuf import saved_model_pb2  # pylint: disable=g-import-not-at-top
    from tensorflow.python.framework import op_def_registry  # pylint: disable=g-import-not-at-top
    after_tf = set(sys.modules)
    report["timings"]["import_tensorflow_seconds"] = round(time.perf_counter() - started, 3)

    saved_model_pb = saved_model_pb2.SavedModel()
    try:
        with open(os.path.join(model_dir, "saved_model.pb"), "rb") as f:
            saved_model_pb.ParseFromString(f.read())
    except Exception as e:  # pylint: disable=broad-except
        errors.append(f"{model_dir}/saved_model.pb cannot be read as a SavedModel: {e}")
        return report
    if not any("serve" in m.meta_info_def.tags for m in saved_model_pb.meta_graphs):
        errors.append("no meta graph is tagged 'serve': model servers load that tag.")
    counts = _graph_ops(saved_model_pb)
    # Before tensorflow_text is imported, the registry holds TensorFlow's own ops only.
    core = {op for op in counts if op_def_registry.get(op) is not None}
    started = time.perf_counter()
    import tensorflow_text  # noqa: F401  pylint: disable=g-import-not-at-top,unused-import
    after_text = set(sys.modules)
    report["timings"]["import_tensorflow_text_seconds"] = round(time.perf_counter() - started, 3)
    text_ops = {op for op in counts if op not in core and op_def_registry.get(op) is not None}
    python_ops = sorted(op for op in counts if op in PYTHON_OPS)
    unregistered = sorted(set(counts) - core - text_ops)
    report["ops"] = {
        "by_source": {"core": len(core - set(PYTHON_OPS)), "tensorflow_text": len(text_ops),
                      "python": len(python_ops), "unregistered": len(unregistered)},
        "nodes": sum(counts.values()),
        "tensorflow_text": sorted(text_ops), "python": python_ops, "unregistered": unregistered}
    for op in python_ops:
        errors.append(f"op {op} ({counts[op]} nodes) runs Python (tf.py_function / "
                      "tf.numpy_function): a model server cannot run it. Write that step with "
                      "TensorFlow or TensorFlow Text ops.")
    for op in unregistered:
        errors.append(f"op {op} ({counts[op]} nodes) is neither a TensorFlow nor a TensorFlow "
                      "Text op: a stock model server does not have it.")

    installed_text = tensorflow_text.__version__
    report["versions"] = {"tensorflow": tf.__version__, "tensorflow_text": installed_text,
                          "required": _check_requirements(model_dir, installed_text, errors,
                                                          warnings)}
    info_path = os.path.join(model_dir, "assets.extra", "model_info.json")
    info: Dict[str, Any] = {}
    if os.path.isfile(info_path):
        with open(info_path, encoding="utf-8") as f:
            info = json.load(f)
    else:
        errors.append(f"{info_path} is missing: the task and label names cannot be checked.")
    report["model_info"] = info

    attempts_at_import = attempts["import"]
    for finder in sys.meta_path:
        if isinstance(finder, _Hidden):
            finder._attempts = attempts["load_and_call"]  # pylint: disable=protected-access
    try:
        started = time.perf_counter()
        model = tf.saved_model.load(model_dir)
        report["timings"]["load_seconds"] = round(time.perf_counter() - started, 3)
        _check_signatures(model, texts, info, report)
    except Exception as e:  # pylint: disable=broad-except
        errors.append(f"loading or calling the model failed: {_message(e)}")

    # New top-level packages per step (a submodule of an imported package is not new).
    seen = [set(_top_level_modules(m)) for m in (at_start, after_tf, after_text, sys.modules)]
    imported = sorted(seen[3] - seen[2])
    report["modules"] = {
        "imported_by_tensorflow": sorted(seen[1] - seen[0]),
        "imported_by_tensorflow_text": sorted(seen[2] - seen[1]),
        "imported_by_load_and_call": imported,
        "hidden": list(TRAINING_STACK),
        "hidden_asked_for": sorted({n.partition(".")[0] for n in
                                    attempts_at_import + attempts["load_and_call"]})}
    for name in imported:
        errors.append(f"loading or calling the model imported the Python package {name!r}, "
                      "which a model server does not have.")
    for name in sorted({n.partition(".")[0] for n in attempts["load_and_call"]}):
        errors.append(f"loading or calling the model asked for {name!r} (hidden here, as a "
                      "model server has no such package).")
    forbidden = sorted({n.partition(".")[0] for n in sys.modules} & set(TRAINING_STACK))
    if forbidden:
        errors.append(f"these packages were imported: {forbidden}.")
    report["ok"] = not errors
    return report


def _check_signatures(model, texts: List[bytes], info: Dict[str, Any],
                      report: Dict[str, Any]) -> None:
    import numpy as np  # pylint: disable=g-import-not-at-top
    import tensorflow as tf  # pylint: disable=g-import-not-at-top

    errors = report["errors"]
    report["signatures"] = {
        name: {"inputs": {k: _spec(v) for k, v in fn.structured_input_signature[1].items()},
               "outputs": {k: _spec(v) for k, v in fn.structured_outputs.items()}}
        for name, fn in model.signatures.items()}
    if "serving_default" not in model.signatures:
        errors.append(f"no serving_default signature (has {sorted(model.signatures)}).")
        return
    serve = model.signatures["serving_default"]
    inputs = serve.structured_input_signature[1]
    not_strings = sorted(k for k, v in inputs.items() if v.dtype != tf.string)
    if not_strings:
        errors.append(f"serving_default inputs {not_strings} are not strings: it must take "
                      "raw texts.")
        return
    request = {name: tf.constant(texts, tf.string) for name in inputs}
    started = time.perf_counter()
    outputs = {k: v.numpy() for k, v in serve(**request).items()}
    report["timings"]["first_call_seconds"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    serve(**request)
    report["timings"]["second_call_seconds"] = round(time.perf_counter() - started, 3)
    _check_outputs(outputs, len(texts), info.get("task", "single_label_classification"),
                   list(info.get("label_names") or []), errors)
    report["samples"] = [_sample(t, outputs, i) for i, t in enumerate(texts)]

    if "serving_tf_example" in model.signatures:
        # The same texts as tf.Examples; other columns of the training data, if the transform
        # graph wants them, are absent here, so failing to parse them is only a warning.
        examples = [tf.train.Example(features=tf.train.Features(feature={
            name: tf.train.Feature(bytes_list=tf.train.BytesList(value=[t]))
            for name in inputs})).SerializeToString() for t in texts]
        try:
            by_example = model.signatures["serving_tf_example"](examples=tf.constant(examples))
        except tf.errors.InvalidArgumentError as e:
            report["warnings"].append("serving_tf_example was not checked: tf.Examples holding "
                                      f"only {sorted(inputs)}: {_message(e)}")
            return
        diffs = [float(np.max(np.abs(by_example[k].numpy() - outputs[k])))
                 for k in outputs if outputs[k].dtype.kind == "f" and k in by_example]
        report["serving_tf_example_max_abs_diff"] = max(diffs, default=0.0)
        if diffs and max(diffs) > 1e-4:
            errors.append(f"serving_tf_example disagrees with serving_default by {max(diffs)}.")


def _message(error: Exception) -> str:
    """The cause of an error in one line; TensorFlow's put it after the Python trace of the node."""
    lines = [line.strip() for line in str(error).splitlines()
             if line.strip() and not line.startswith((" ", "\t"))
             and not line.startswith(("Graph execution error", "Detected at node", "[["))]
    return f"{type(error).__name__}: {lines[-1] if lines else str(error).strip()}"


if __name__ == "__main__":
    try:
        result = _child(json.loads(sys.stdin.read()))
    except Exception as e:  # pylint: disable=broad-except  (a report, whatever happened)
        result = {"ok": False, "errors": [f"{type(e).__name__}: {e}"], "warnings": [],
                  "timings": {}}
    print(REPORT_PREFIX + json.dumps(result), flush=True)
