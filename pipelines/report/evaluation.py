"""The evaluation section: overall metrics, per-class metrics, the confusion matrix and
metrics per slice, from the Evaluator's ModelEvaluation artifact (`tfma.load_metrics`,
`tfma.load_plots`)."""
import math
from typing import Any, Dict, Optional, Tuple

import numpy as np
import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.metrics import metric_types

from tfx_hf.components.contracts import ModelInfo, serving_model_dir
from tfx_hf.components.evaluation.evaluation_results import BASELINE_MODEL_NAME, metric_name
from tfx_hf.components.task import get_task
from tfx_hf.pipelines.report import plots
from tfx_hf.pipelines.report.run_record import RunRecord

PER_CLASS_PLOTTED = ("precision", "recall", "f1")  # metrics.py's per-class statistics
NO_PREDICTED_CLASS = -1  # TFMA's predicted_class_id when no class passes the threshold


def key_id(key: metric_types.MetricKey) -> Tuple:
    """What identifies a metric across models: the model name and weighting left out."""
    return (key.name, key.output_name, str(key.sub_key or ""), str(key.aggregation_type or ""),
            key.is_diff)


def metric_display_name(key: metric_types.MetricKey) -> str:
    """The name overall metrics are shown by elsewhere (summary.json, the console)."""
    return metric_name(key.to_proto())


def slice_name(slice_key) -> str:
    """"Overall", or "column = value × column = value"."""
    parts = []
    for single in slice_key.single_slice_keys:
        kind = single.WhichOneof("kind")
        value = getattr(single, kind) if kind else ""
        parts.append(f"{single.column} = "
                     f"{value.decode('utf-8', 'replace') if isinstance(value, bytes) else value}")
    return " × ".join(parts) or "Overall"


def _values(metrics_for_slice) -> Dict[Tuple, Tuple[metric_types.MetricKey, Optional[float], str]]:
    """key id → (key, value, model) for one slice; model is "candidate" or "baseline"."""
    values = {}
    for key_and_value in metrics_for_slice.metric_keys_and_values:
        key = metric_types.MetricKey.from_proto(key_and_value.key)
        value = key_and_value.value
        number = value.double_value.value if value.HasField("double_value") else None
        model = "baseline" if key.model_name == BASELINE_MODEL_NAME else "candidate"
        values[(model,) + key_id(key)] = (key, number, model)
    return values


def _number(value: Optional[float]) -> Optional[float]:
    return None if value is None or math.isnan(value) else value


class Evaluation:
    """The metrics of one ModelEvaluation artifact, by slice and model."""

    def __init__(self, uri: str):
        self.uri = uri
        self.slices = {slice_name(m.slice_key): _values(m) for m in tfma.load_metrics(uri)}
        self.plots = {slice_name(p.slice_key): p for p in tfma.load_plots(uri)}

    def value(self, key: metric_types.MetricKey, model: str = "candidate",
              on_slice: str = "Overall") -> Optional[float]:
        found = self.slices.get(on_slice, {}).get((model,) + key_id(key))
        return _number(found[1]) if found else None

    def scalar_metrics(self, on_slice: str = "Overall") -> Dict[str, float]:
        """The candidate's metrics of one value each (no class, no diff) on a slice."""
        return {metric_display_name(key): _number(number)
                for (model, *_), (key, number, _) in self.slices.get(on_slice, {}).items()
                if model == "candidate" and not key.is_diff and key.sub_key is None
                and number is not None}

    def per_class(self) -> Dict[str, Dict[int, float]]:
        """metric name → {class id: value}, for the candidate on the whole eval split."""
        out: Dict[str, Dict[int, float]] = {}
        for (model, *_), (key, number, _) in self.slices.get("Overall", {}).items():
            if (model == "candidate" and not key.is_diff and key.sub_key is not None
                    and key.sub_key.class_id is not None and number is not None):
                out.setdefault(key.name, {})[int(key.sub_key.class_id)] = _number(number)
        return out

    def confusion_matrix(self, num_classes: int):
        """(counts [true, predicted], rows with no predicted class per true class) on the whole
        eval split, at the argmax threshold; None without a multi-class confusion plot."""
        plot = self.plots.get("Overall")
        for key_and_value in plot.plot_keys_and_values if plot else []:
            key = metric_types.PlotKey.from_proto(key_and_value.key)
            value = key_and_value.value
            if key.model_name == BASELINE_MODEL_NAME or \
                    not value.HasField("multi_class_confusion_matrix_at_thresholds"):
                continue
            matrices = value.multi_class_confusion_matrix_at_thresholds.matrices
            if not matrices:
                continue
            matrix = min(matrices, key=lambda m: abs(m.threshold))  # 0.0: the top class
            counts = np.zeros((num_classes, num_classes))
            none = np.zeros(num_classes)
            for entry in matrix.entries:
                if not 0 <= entry.actual_class_id < num_classes:
                    continue
                if entry.predicted_class_id == NO_PREDICTED_CLASS:
                    none[entry.actual_class_id] += entry.num_weighted_examples
                elif 0 <= entry.predicted_class_id < num_classes:
                    counts[entry.actual_class_id, entry.predicted_class_id] += \
                        entry.num_weighted_examples
            return counts, none
        return None


def _evaluated_model_info(record: RunRecord, evaluation) -> Optional[ModelInfo]:
    evaluator = record.producer(evaluation)
    models = evaluator.inputs.get("model", []) if evaluator else []
    return ModelInfo.read(serving_model_dir(models[0].uri)) if models else None


def evaluation_section(record: RunRecord) -> Optional[Dict[str, Any]]:
    """None when the run has no ModelEvaluation."""
    artifact = record.output("ModelEvaluation")
    if artifact is None:
        return None
    evaluation = Evaluation(artifact.uri)
    info = _evaluated_model_info(record, artifact)
    label_names = list(info.label_names) if info and info.label_names else []
    per_class = evaluation.per_class()
    class_ids = sorted({c for values in per_class.values() for c in values})
    names = [label_names[c] if c < len(label_names) else str(c)
             for c in (range(len(label_names)) if label_names else class_ids)]
    ids = list(range(len(label_names))) if label_names else class_ids
    plotted = {m: [per_class[m].get(c) or 0.0 for c in ids]
               for m in PER_CLASS_PLOTTED if m in per_class}
    confusion = evaluation.confusion_matrix(len(names)) if names else None
    section = {
        "uri": artifact.uri,
        "overall": evaluation.scalar_metrics(),
        "per_class": {"metrics": sorted(per_class, key=lambda m: (
            PER_CLASS_PLOTTED.index(m) if m in PER_CLASS_PLOTTED else len(PER_CLASS_PLOTTED),
            m)), "rows": [
            {"label": name, "values": {m: per_class[m].get(c) for m in per_class}}
            for name, c in zip(names, ids)]} if per_class else None,
        "per_class_plot": plots.per_class_metrics(names, plotted) if plotted else None,
        "confusion_plot": plots.confusion_matrix(names, *confusion) if confusion else None,
        "confusion_total": int(confusion[0].sum() + confusion[1].sum()) if confusion else None,
        "slices": None, "slice_plot": None,
    }
    sliced = [name for name in evaluation.slices if name != "Overall"]
    if sliced:
        rows = {name: evaluation.scalar_metrics(name) for name in sliced}
        metrics = sorted({m for values in rows.values() for m in values})
        section["slices"] = {"metrics": metrics, "rows": [
            {"slice": name, "values": rows[name]} for name in sliced]}
        shown = get_task(info.task).accuracy_metric if info else None
        if shown not in metrics:
            shown = next((m for m in metrics if m != "example_count"), None)
        if shown:
            section["slice_plot"] = plots.slice_metric(
                shown, {name: rows[name][shown] for name in sliced if shown in rows[name]})
    return section
