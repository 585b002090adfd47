"""The candidate model's overall metrics from the Evaluator's ModelEvaluation artifact."""
from typing import Dict

import tensorflow_model_analysis as tfma

BASELINE_MODEL_NAME = "baseline"  # tfma.constants.BASELINE_KEY


def metric_name(key) -> str:
    """A MetricKey's name, with what tells it apart from the same metric computed otherwise:
    "macro_average/precision", "example_weighted/accuracy", "<output>/auc"."""
    parts = [key.output_name] if key.output_name else []
    if key.HasField("aggregation_type"):
        parts.append(key.aggregation_type.WhichOneof("type") or "aggregate")
    if key.HasField("example_weighted") and key.example_weighted.value:
        parts.append("example_weighted")
    return "/".join(parts + [key.name])


def overall_metrics(evaluation_uri: str) -> Dict[str, float]:
    """Metric name → value on the whole eval split (the unsliced slice), for the candidate
    model only: the baseline's values and candidate−baseline diffs describe another model.
    Per-class values (a `sub_key`) and matrices (no single value) are left out."""
    metrics = {}
    for metrics_for_slice in tfma.load_metrics(evaluation_uri):
        if metrics_for_slice.slice_key.single_slice_keys:
            continue
        for key_and_value in metrics_for_slice.metric_keys_and_values:
            key, value = key_and_value.key, key_and_value.value
            if (key.is_diff or key.model_name == BASELINE_MODEL_NAME
                    or key.HasField("sub_key") or not value.HasField("double_value")):
                continue
            metrics[metric_name(key)] = value.double_value.value
    return metrics
