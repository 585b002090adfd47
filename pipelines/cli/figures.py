"""The figure worth a glance for each finished component, read from the artifacts its
execution recorded in MLMD (pipelines.results.node_execution): rows written, schema
anomalies, the trained model's buckets and final loss, accuracy and blessing, where the
model was pushed. Standard TFX components are recognized by their artifacts' types, so a
component renamed or swapped for another with the same outputs still gets its figure."""
import os
from typing import Any, Callable, Dict, List, Optional

from tfx_hf.components.contracts import ROW_COUNTS_PROPERTY, ModelInfo, serving_model_dir
from tfx_hf.pipelines.results import NodeExecution

SCHEMA_DIFF_FILE = "SchemaDiff.pb"  # ExampleValidator's anomalies, one per split folder


def _splits(artifact) -> List[str]:
    from tfx.types import artifact_utils

    return artifact_utils.decode_split_names(artifact.split_names)


def _rows(examples) -> str:
    if not examples.has_custom_property(ROW_COUNTS_PROPERTY):
        return ""
    counts = examples.get_json_value_custom_property(ROW_COUNTS_PROPERTY)
    order = {split: i for i, split in enumerate(_splits(examples))}
    return "rows " + ", ".join(f"{split} {int(counts[split]):,}" for split in
                               sorted(counts, key=lambda s: order.get(s, len(order))))


def _statistics(statistics) -> str:
    return "statistics of " + ", ".join(_splits(statistics))


def _schema(schema) -> str:
    from tfx.utils import io_utils
    from tensorflow_metadata.proto.v0 import schema_pb2

    path = io_utils.get_only_uri_in_dir(schema.uri)
    features = io_utils.parse_pbtxt_file(path, schema_pb2.Schema()).feature
    return f"{len(features)} features"


def anomaly_descriptions(anomalies) -> Dict[str, List[str]]:
    """Split → "feature: short description" of each anomaly ExampleValidator found there."""
    import tensorflow as tf
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    found = {}
    for split in _splits(anomalies):
        path = os.path.join(anomalies.uri, f"Split-{split}", SCHEMA_DIFF_FILE)
        if not tf.io.gfile.exists(path):
            continue
        with tf.io.gfile.GFile(path, "rb") as f:
            result = anomalies_pb2.Anomalies.FromString(f.read())
        found[split] = [f"{feature}: {info.short_description}"
                        for feature, info in result.anomaly_info.items()]
        if result.HasField("dataset_anomaly_info"):
            found[split].append(f"dataset: {result.dataset_anomaly_info.short_description}")
    return found


def _anomalies(anomalies) -> str:
    found = {split: items for split, items in anomaly_descriptions(anomalies).items() if items}
    if not found:
        return "no schema anomalies"
    return "schema anomalies: " + "; ".join(f"{split}: {', '.join(items)}"
                                             for split, items in found.items())


def _blessing(blessing) -> str:
    return "blessed" if blessing.get_int_custom_property("blessed") == 1 else \
        "NOT blessed"


def _pushed(pushed) -> str:
    if pushed.get_int_custom_property("pushed") != 1:
        return "not pushed"
    return f"pushed to {pushed.get_string_custom_property('pushed_destination')}"


def _task_of(execution: NodeExecution):
    """The task of the model the component took in (None: none, or not ours)."""
    from tfx_hf.components.task import get_task

    for models in (execution.inputs.get("model"), execution.outputs.get("model")):
        if models:
            info = ModelInfo.read(serving_model_dir(models[0].uri))
            return get_task(info.task) if info else None
    return None


def _evaluation(evaluation, execution: NodeExecution) -> str:
    from tfx_hf.components.evaluation.evaluation_results import overall_metrics

    metrics = overall_metrics(evaluation.uri)
    task = _task_of(execution)
    name = task.accuracy_metric or task.main_metric if task else None
    if name in metrics:
        shown = "accuracy" if name == getattr(task, "accuracy_metric", None) else name
        return f"{shown} {metrics[name]:.4f}"
    return ", ".join(f"{k} {v:.4f}" for k, v in list(metrics.items())[:3])


def _tokenizer_parity(parity) -> str:
    """TokenizerParityCheck's rows: `tokenizer parity 120/120 rows exact`."""
    from tfx_hf.components.tokenizer_parity import certificate

    if not parity.has_custom_property(certificate.ROWS_COMPARED_PROPERTY):
        return ""
    exact = parity.get_int_custom_property(certificate.EXACT_ROWS_PROPERTY)
    compared = parity.get_int_custom_property(certificate.ROWS_COMPARED_PROPERTY)
    allowed = parity.has_custom_property(certificate.ALLOWED_MISMATCH_PROPERTY) and \
        parity.get_int_custom_property(certificate.ALLOWED_MISMATCH_PROPERTY)
    return f"tokenizer parity {exact:,}/{compared:,} rows exact" + (
        " (differences allowed)" if allowed else "")


def _token_lengths(token_lengths) -> str:
    """TokenLengthStatisticsGen's figures: `token length p95 31 (max_length 32), truncated
    2.0%`, and what `--max-length auto` picked."""
    from tfx_hf.components.token_lengths import artifact

    found = artifact.read(token_lengths.uri)
    splits = [s for s in (found or {}).get("splits", {}).values() if s.get("rows")]
    if not splits:
        return ""
    auto = "auto " if found.get("max_length_auto") else ""
    return (f"token length p95 {max(s['quantiles']['p95'] for s in splits):g} "
            f"({auto}max_length {found['max_length']}), truncated "
            f"{max(s['truncated_share'] for s in splits):.1%}")


def _model(model, execution: NodeExecution, training: Dict[str, Any]) -> str:
    parts = []
    if training.get("buckets"):
        parts.append(f"bucket lengths {training['buckets']}")
    if training.get("loss") is not None:
        parts.append(f"final loss {training['loss']:.4f}")
    return ", ".join(parts)


# output key (TFX's standard_component_specs names) → its figure
FIGURES: Dict[str, Callable[..., str]] = {
    "examples": lambda a, e, t: _rows(a),
    "tokenizer_parity": lambda a, e, t: _tokenizer_parity(a),
    "token_lengths": lambda a, e, t: _token_lengths(a),
    "statistics": lambda a, e, t: _statistics(a),
    "schema": lambda a, e, t: _schema(a),
    "anomalies": lambda a, e, t: _anomalies(a),
    "model": _model,
    "evaluation": lambda a, e, t: _evaluation(a, e),
    "blessing": lambda a, e, t: _blessing(a),
    "pushed_model": lambda a, e, t: _pushed(a),
}
RESOLVER_TYPE = "tfx.dsl.components.common.resolver.Resolver"


def key_figure(execution: Optional[NodeExecution], training: Dict[str, Any]) -> str:
    """The figures of a finished component's outputs, in the order of FIGURES ("" when there
    is none to show); for a Resolver, the baseline model it found."""
    if execution is None:
        return ""
    if execution.type_name == RESOLVER_TYPE:
        models = execution.outputs.get("model")
        return f"baseline: model {models[0].id}" if models else \
            "no baseline (no blessed model yet)"
    parts = []
    for key, figure in FIGURES.items():
        for artifact in execution.outputs.get(key, []):
            parts.append(figure(artifact, execution, training))
    return "; ".join(p for p in parts if p)
