"""serve_check: will this SavedModel run where only TensorFlow and TensorFlow Text are?

A model server (TF Serving, Vertex AI's prebuilt TF containers) has TensorFlow's ops and, in
TF Serving's model server, TensorFlow Text's ops (`@org_tensorflow_text//tensorflow_text:ops_lib`
is linked in); it has no Python, so no 🤗 tokenizer, no tf.Transform, no `tf.py_function`.

`check(model_dir)` runs the model in a fresh interpreter (`python -I`, this file as a script)
in which transformers, tfx, tfx_hf, tensorflow_transform and the rest of the training stack are
hidden from the import system, and which imports only the standard library before TensorFlow:
1. before the model is loaded, every op in saved_model.pb (the graph and every function of its
   library) must be on the allow-list of the ops a tfx-hf export uses (allowed_ops.py; the
   checkpoint ops only in the saver's own functions; `allow_ops` admits more). An op that is
   not, e.g. one that reads or writes files (`tf.io.write_file`), runs Python or starts
   anything, is refused by name and the model is neither loaded nor called. Every op must also
   be a core TensorFlow op (looked up before tensorflow_text is imported) or a TensorFlow Text
   op (after); PyFunc/EagerPyFunc/PyFuncStateless and ops registered nowhere are errors;
2. `assets.extra/requirements.txt` must name the tensorflow-text version;
3. `serving_default` gets sample requests (empty, non-ASCII, very long, invalid UTF-8 texts; the
   same text to every text input) and its outputs must fit the task in model_info.json;
   `serving_tf_example` must agree with it;
4. loading and calling must import nothing that `import tensorflow, tensorflow_text` did not.

The child cannot import tfx_hf, so the parent reads what the model's contract says (signature
names, requirements.txt, model_info.json, and the task's `serving_expectations`) and sends it
in the request. This module's top level imports only the standard library: the child runs
this very file.
"""
import base64
import json
import os
import re
import subprocess
import sys
import time
from typing import Any, Collection, Dict, Iterable, List, Mapping, Optional, Sequence

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


def check(model_dir: str, texts: Optional[Sequence[bytes]] = None,
          timeout: float = 600, allow_ops: Iterable[str] = ()) -> Dict[str, Any]:
    """The report of the checks above for `model_dir` (a SavedModel or a push destination).
    `allow_ops` are op types admitted beside the allow-list (a user's own model's).

    `report["ok"]` is False when any of `report["errors"]` was found; warnings do not fail it.
    """
    # Here, not at the top: the child runs this file where tfx_hf is hidden.
    from tfx_hf.components.contracts import latest_version

    saved_model = os.path.abspath(latest_version(model_dir))
    request = _request(saved_model, texts or DEFAULT_TEXTS, allow_ops)
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


def refusals(model_dir: str, allow_ops: Iterable[str] = ()) -> List[str]:
    """One error per op of the SavedModel in `model_dir` that is not allowed where it is
    (`refused_ops`); none when all are. Reads saved_model.pb only: nothing is loaded or run."""
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    from tfx_hf.components.export import allowed_ops

    saved_model_pb = saved_model_pb2.SavedModel()
    with tf.io.gfile.GFile(os.path.join(model_dir, "saved_model.pb"), "rb") as f:
        saved_model_pb.ParseFromString(f.read())
    refused = refused_ops(saved_model_pb, allowed_ops.by_context(allow_ops))
    return [refusal_message(op, n, allowed_ops.WHY_REFUSED) for op, n in sorted(refused.items())]


def _request(saved_model: str, texts: Sequence[bytes], allow_ops: Iterable[str] = ()
             ) -> Dict[str, Any]:
    """What the child needs: the texts, the allowed ops, and the model's contract as tfx_hf
    reads it."""
    import dataclasses

    from tfx_hf.components import contracts
    from tfx_hf.components.export import allowed_ops, requirements
    from tfx_hf.components.input_error import InputError
    from tfx_hf.components.task import get_task

    errors: List[str] = []
    request = {
        "model_dir": saved_model, "errors": errors,
        "texts": [base64.b64encode(t).decode() for t in texts],
        "signatures": {"serving": contracts.SERVING_DEFAULT_SIGNATURE,
                       "examples": contracts.SERVING_EXAMPLE_SIGNATURE,
                       "examples_input": contracts.EXAMPLES_INPUT},
        "requirements_path": requirements.requirements_path(saved_model),
        "required": None, "model_info": {}, "expected_outputs": None,
        "allowed_ops": allowed_ops.by_context(allow_ops), "why_refused": allowed_ops.WHY_REFUSED}
    # Files that cannot be read are report errors, as everything else the check finds.
    try:
        request["required"] = requirements.read_requirements(saved_model)
    except InputError as e:
        errors.append(str(e))
    try:
        info = contracts.ModelInfo.read(saved_model)
        if info is None:
            errors.append(f"{contracts.ModelInfo.path(saved_model)} is missing: the task and "
                          "label names cannot be checked.")
        else:
            request["model_info"] = dataclasses.asdict(info)
            request["expected_outputs"] = get_task(info.task).serving_expectations(
                info.label_names or [])
    except (TypeError, ValueError) as e:  # not JSON, missing fields, an unknown task
        errors.append(f"{contracts.ModelInfo.path(saved_model)}: {e}")
    return request


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
        self.attempts = attempts  # swapped between steps to tell who asked

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in TRAINING_STACK:
            self.attempts.append(name)
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


def _calls(node, functions: Collection[str]) -> List[str]:
    """The library functions a node calls: by op name, or through a function attribute
    (PartitionedCall's `f`, If's branches, While's cond and body, Case's branches)."""
    names = [node.op]
    for value in node.attr.values():
        if value.HasField("func"):
            names.append(value.func.name)
        names.extend(f.name for f in value.list.func)
    return [name for name in names if name in functions]


def _reached(functions: Mapping[str, Any], names: Iterable[str]) -> set:
    """`names` and every library function they call, directly or not."""
    seen: set = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(c for node in functions[name].node_def for c in _calls(node, functions))
    return seen


def refused_ops(saved_model_pb, allowed: Mapping[str, Collection[str]]) -> Dict[str, int]:
    """Op type → node count of the ops of `saved_model_pb` (a parsed SavedModel proto) that are
    not allowed where they are: `allowed["model"]` anywhere; besides them, `allowed["restore"]`
    (`allowed["save"]`) only in functions that the saver's restore (save) op alone calls: the
    SavedModel's own checkpoint functions, so reading variables/ is allowed there and nowhere
    else. Every other function counts as the model's: the object graph may call any of them.
    Reads the proto only; nothing is loaded or run."""
    model = set(allowed["model"])
    refused: Dict[str, int] = {}
    for meta_graph in saved_model_pb.meta_graphs:
        graph = meta_graph.graph_def
        functions = {f.signature.name: f for f in graph.library.function}
        saver = meta_graph.saver_def
        roots = {"restore": saver.restore_op_name, "save": saver.save_tensor_name}
        roots = {context: name.lstrip("^").partition(":")[0] for context, name in roots.items()}
        saver_functions = {
            context: _reached(functions, [c for node in graph.node if node.name == root
                                          for c in _calls(node, functions)])
            for context, root in roots.items() if root}
        claimed = set().union(*saver_functions.values())
        model_functions = _reached(functions, [
            *(set(functions) - claimed),
            *(c for node in graph.node if node.name not in roots.values()
              for c in _calls(node, functions))])
        checked = [(graph.node, model)]
        for name, function in functions.items():
            ok = set(model)
            if name not in model_functions:
                ok |= set.intersection(*(set(allowed[context]) for context, reached
                                         in saver_functions.items() if name in reached))
            checked.append((function.node_def, ok))
        for nodes, ok in checked:
            for node in nodes:
                if node.op not in functions and node.op not in ok:
                    refused[node.op] = refused.get(node.op, 0) + 1
    return refused


def refusal_message(op: str, nodes: int, why_refused: Sequence[Sequence[str]]) -> str:
    """`op` and why it was refused: the reason of the first pattern of `why_refused` that its
    name matches."""
    why = next((reason for pattern, reason in why_refused if re.search(pattern, op)),
               "is not one of the ops a tfx-hf export uses")
    return f"op {op} ({nodes} nodes) {why}"


def _spec(tensor_spec) -> Dict[str, Any]:
    shape = tensor_spec.shape
    return {"dtype": tensor_spec.dtype.name,
            "shape": None if shape.rank is None else [d for d in shape.as_list()]}


def _check_requirements(request: Dict[str, Any], installed: str, report: Dict[str, Any]) -> None:
    path, pins = request["requirements_path"], request["required"]
    if pins is None:
        report["errors"].append(f"{path} is missing: the model must name the tensorflow-text "
                                "version its ops need (export with tfx_hf's "
                                "export_serving_model).")
    elif "tensorflow-text" not in pins:
        report["errors"].append(f"{path} names no tensorflow-text version (a line "
                                "tensorflow-text==X.Y.Z).")
    elif pins["tensorflow-text"] != installed:
        report["warnings"].append(
            f"{path} asks for tensorflow-text=={pins['tensorflow-text']} but {installed} is "
            f"installed here: serve it with a model server built with tensorflow-text "
            f"{pins['tensorflow-text']}.")


def _check_outputs(outputs: Dict[str, Any], batch: int, expected: Optional[Dict[str, Any]],
                   errors: List[str]) -> None:
    """Batch-sized, finite outputs; and what the task expects of them (`Task.
    serving_expectations`: None when model_info.json could not say)."""
    import numpy as np

    for name, value in outputs.items():
        if value.ndim == 0 or value.shape[0] != batch:
            errors.append(f"serving_default output {name!r} has shape {list(value.shape)}, "
                          f"not [{batch}, ...] for {batch} requests.")
        elif value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            errors.append(f"serving_default output {name!r} has NaN or infinite values.")
    if expected is None:
        return
    missing = set(expected["outputs"]) - set(outputs)
    if missing:
        errors.append(f"serving_default lacks the outputs {sorted(missing)} of "
                      f"{expected['description']}.")
        return
    label_names = expected["label_names"]
    if "probabilities" in expected and not _check_probabilities(
            outputs[expected["probabilities"]], batch, label_names, errors):
        return
    if "class_name_of_id" in expected:
        names, ids = (outputs[name] for name in expected["class_name_of_id"])
        _check_class_names(names, ids, label_names, errors)
    for name in expected.get("unit_interval", []):
        if not np.all((outputs[name] >= 0) & (outputs[name] <= 1)):
            errors.append(f"{name} of {expected['description']} are not all in [0, 1].")


def _check_probabilities(probabilities, batch: int, label_names: List[str],
                         errors: List[str]) -> bool:
    """Whether the rows are distributions over the classes; errors say how they are not."""
    import numpy as np

    if probabilities.shape != (batch, len(label_names)):
        errors.append(f"probabilities have shape {list(probabilities.shape)}, not "
                      f"[{batch}, {len(label_names)}] ({len(label_names)} label_names).")
        return False
    sums = probabilities.sum(axis=-1)
    if not np.allclose(sums, 1.0, atol=1e-3):
        errors.append(f"probabilities do not sum to 1: {sums.tolist()}.")
    return True


def _check_class_names(names, ids, label_names: List[str], errors: List[str]) -> None:
    for label, label_id in zip(names, ids):
        label = label.decode("utf-8", "replace")
        if label not in label_names:
            errors.append(f"label {label!r} is not one of label_names {label_names}.")
        elif not 0 <= label_id < len(label_names) or label_names[label_id] != label:
            errors.append(f"label_id {label_id} does not name label {label!r}.")


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
    hidden = [f for f in sys.meta_path if isinstance(f, _Hidden)]
    report: Dict[str, Any] = {"ok": False, "model_dir": request["model_dir"],
                              "errors": list(request["errors"]), "warnings": [], "timings": {}}
    modules = [set(sys.modules)]  # at start, after tensorflow, after tensorflow_text, at end

    started = time.perf_counter()
    import tensorflow as tf
    modules.append(set(sys.modules))
    report["timings"]["import_tensorflow_seconds"] = round(time.perf_counter() - started, 3)

    saved_model_pb = _read_saved_model(request["model_dir"], report)
    if saved_model_pb is None:
        return report
    counts = _graph_ops(saved_model_pb)
    # Before anything is loaded: a refused op must never run.
    refused = refused_ops(saved_model_pb, request["allowed_ops"])
    core = _registered_ops(counts)  # before tensorflow_text: TensorFlow's own ops only
    started = time.perf_counter()
    import tensorflow_text
    modules.append(set(sys.modules))
    report["timings"]["import_tensorflow_text_seconds"] = round(time.perf_counter() - started, 3)
    _report_ops(counts, core, refused, request["why_refused"], report)

    report["versions"] = {"tensorflow": tf.__version__,
                          "tensorflow_text": tensorflow_text.__version__,
                          "required": request["required"] or {}}
    _check_requirements(request, tensorflow_text.__version__, report)
    report["model_info"] = request["model_info"]

    for finder in hidden:
        finder.attempts = attempts["load_and_call"]
    report["loaded"] = not refused
    if not refused:
        _load_and_call(request, report)
    modules.append(set(sys.modules))
    _report_modules(modules, attempts, report)
    report["ok"] = not report["errors"]
    return report


def _read_saved_model(model_dir: str, report: Dict[str, Any]):
    """saved_model.pb parsed (a SavedModel proto); None when it cannot be read."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved_model_pb = saved_model_pb2.SavedModel()
    try:
        with open(os.path.join(model_dir, "saved_model.pb"), "rb") as f:
            saved_model_pb.ParseFromString(f.read())
    except Exception as e:  # a report error, whatever the cause
        report["errors"].append(f"{model_dir}/saved_model.pb cannot be read as a SavedModel: {e}")
        return None
    if not any("serve" in m.meta_info_def.tags for m in saved_model_pb.meta_graphs):
        report["errors"].append("no meta graph is tagged 'serve': model servers load that tag.")
    return saved_model_pb


def _registered_ops(counts: Dict[str, int]) -> set:
    from tensorflow.python.framework import op_def_registry

    return {op for op in counts if op_def_registry.get(op) is not None}


def _report_ops(counts: Dict[str, int], core: set, refused: Dict[str, int],
                why_refused: Sequence[Sequence[str]], report: Dict[str, Any]) -> None:
    """Ops by source (`core` was registered before tensorflow_text was imported, the rest is
    registered now or nowhere); refused ops, Python ops and ops registered nowhere are
    errors."""
    text_ops = _registered_ops(counts) - core
    python_ops = sorted(op for op in counts if op in PYTHON_OPS)
    unregistered = sorted(set(counts) - core - text_ops)
    report["ops"] = {
        "by_source": {"core": len(core - set(PYTHON_OPS)), "tensorflow_text": len(text_ops),
                      "python": len(python_ops), "unregistered": len(unregistered)},
        "nodes": sum(counts.values()),
        "tensorflow_text": sorted(text_ops), "python": python_ops, "unregistered": unregistered,
        "refused": sorted(refused)}
    for op, nodes in sorted(refused.items()):
        report["errors"].append(f"{refusal_message(op, nodes, why_refused)}: refused, so the "
                                f"model was neither loaded nor called (--allow-op {op} admits "
                                "it on purpose).")
    for op in (op for op in python_ops if op not in refused):  # admitted, yet no server runs it
        report["errors"].append(
            f"op {op} ({counts[op]} nodes) runs Python (tf.py_function / tf.numpy_function): "
            "a model server cannot run it. Write that step with TensorFlow or TensorFlow Text "
            "ops.")
    for op in unregistered:
        report["errors"].append(f"op {op} ({counts[op]} nodes) is neither a TensorFlow nor a "
                                "TensorFlow Text op: a stock model server does not have it.")


def _load_and_call(request: Dict[str, Any], report: Dict[str, Any]) -> None:
    import tensorflow as tf

    texts = [base64.b64decode(t) for t in request["texts"]]
    try:
        started = time.perf_counter()
        model = tf.saved_model.load(request["model_dir"])
        report["timings"]["load_seconds"] = round(time.perf_counter() - started, 3)
        _check_signatures(model, texts, request, report)
    except Exception as e:  # a report error, whatever the cause
        report["errors"].append(f"loading or calling the model failed: {_message(e)}")


def _report_modules(modules: List[set], attempts: Dict[str, List[str]],
                    report: Dict[str, Any]) -> None:
    """New top-level packages per step (a submodule of an imported package is not new); any
    that loading and calling imported or asked for are errors."""
    seen = [set(_top_level_modules(m)) for m in modules]
    imported = sorted(seen[3] - seen[2])
    report["modules"] = {
        "imported_by_tensorflow": sorted(seen[1] - seen[0]),
        "imported_by_tensorflow_text": sorted(seen[2] - seen[1]),
        "imported_by_load_and_call": imported,
        "hidden": list(TRAINING_STACK),
        "hidden_asked_for": sorted({n.partition(".")[0] for n in
                                    attempts["import"] + attempts["load_and_call"]})}
    for name in imported:
        report["errors"].append(f"loading or calling the model imported the Python package "
                                f"{name!r}, which a model server does not have.")
    for name in sorted({n.partition(".")[0] for n in attempts["load_and_call"]}):
        report["errors"].append(f"loading or calling the model asked for {name!r} (hidden "
                                "here, as a model server has no such package).")
    forbidden = sorted({n.partition(".")[0] for n in modules[3]} & set(TRAINING_STACK))
    if forbidden:
        report["errors"].append(f"these packages were imported: {forbidden}.")


def _check_signatures(model, texts: List[bytes], request: Dict[str, Any],
                      report: Dict[str, Any]) -> None:
    import tensorflow as tf

    names = request["signatures"]
    report["signatures"] = {
        name: {"inputs": {k: _spec(v) for k, v in fn.structured_input_signature[1].items()},
               "outputs": {k: _spec(v) for k, v in fn.structured_outputs.items()}}
        for name, fn in model.signatures.items()}
    if names["serving"] not in model.signatures:
        report["errors"].append(f"no {names['serving']} signature (has "
                                f"{sorted(model.signatures)}).")
        return
    serve = model.signatures[names["serving"]]
    inputs = serve.structured_input_signature[1]
    not_strings = sorted(k for k, v in inputs.items() if v.dtype != tf.string)
    if not_strings:
        report["errors"].append(f"{names['serving']} inputs {not_strings} are not strings: it "
                                "must take raw texts.")
        return
    request_tensors = {name: tf.constant(texts, tf.string) for name in inputs}
    started = time.perf_counter()
    outputs = {k: v.numpy() for k, v in serve(**request_tensors).items()}
    report["timings"]["first_call_seconds"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    serve(**request_tensors)
    report["timings"]["second_call_seconds"] = round(time.perf_counter() - started, 3)
    _check_outputs(outputs, len(texts), request["expected_outputs"], report["errors"])
    report["samples"] = [_sample(t, outputs, i) for i, t in enumerate(texts)]
    if names["examples"] in model.signatures:
        _check_examples_signature(model.signatures[names["examples"]], names, texts,
                                  sorted(inputs), outputs, report)


def _check_examples_signature(by_example_fn, names: Dict[str, str], texts: List[bytes],
                              text_inputs: List[str], outputs: Dict[str, Any],
                              report: Dict[str, Any]) -> None:
    """The same texts as tf.Examples must give the same outputs (`names`: the request's
    signature and input names)."""
    import numpy as np
    import tensorflow as tf

    examples = [tf.train.Example(features=tf.train.Features(feature={
        name: tf.train.Feature(bytes_list=tf.train.BytesList(value=[t]))
        for name in text_inputs})).SerializeToString() for t in texts]
    try:
        by_example = by_example_fn(**{names["examples_input"]: tf.constant(examples)})
    except tf.errors.InvalidArgumentError as e:
        # Other columns of the training data, if the transform graph wants them, are absent
        # here, so failing to parse them is only a warning.
        report["warnings"].append(f"{names['examples']} was not checked: tf.Examples "
                                  f"holding only {text_inputs}: {_message(e)}")
        return
    diffs = [float(np.max(np.abs(by_example[k].numpy() - outputs[k])))
             for k in outputs if outputs[k].dtype.kind == "f" and k in by_example]
    report[f"{names['examples']}_max_abs_diff"] = max(diffs, default=0.0)
    if diffs and max(diffs) > 1e-4:
        report["errors"].append(f"{names['examples']} disagrees with "
                                f"{names['serving']} by {max(diffs)}.")


def _message(error: Exception) -> str:
    """The cause of an error in one line; TensorFlow's put it after the Python trace of the node."""
    lines = [line.strip() for line in str(error).splitlines()
             if line.strip() and not line.startswith((" ", "\t"))
             and not line.startswith(("Graph execution error", "Detected at node", "[["))]
    return f"{type(error).__name__}: {lines[-1] if lines else str(error).strip()}"


if __name__ == "__main__":
    try:
        result = _child(json.loads(sys.stdin.read()))
    except Exception as e:  # a report, whatever happened
        result = {"ok": False, "errors": [f"{type(e).__name__}: {e}"], "warnings": [],
                  "timings": {}}
    print(REPORT_PREFIX + json.dumps(result), flush=True)
