"""Per-class and macro-averaged precision, recall and F1 of a single-label classifier's top
class, as TFMA metrics (give `module="tfx_hf.components.evaluation.metrics"`).

TFMA's own binarized Precision/Recall/F1Score count a class as predicted when its probability
exceeds 0.5, which for three or more classes is not the class a single-label model predicts;
with `top_k: 1` they are right per class but TFMA cannot macro-average them. These read TFMA's
multi-class confusion matrix of the top class instead (sklearn's `classification_report`).
"""
import functools
from typing import Dict, Optional

import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.metrics import metric_types, multi_class_confusion_matrix_metrics

_ARGMAX = 0.0  # the confusion-matrix threshold at which every top class counts as predicted


def _per_class(matrix: Dict, statistic: str) -> Dict[int, float]:
    """precision / recall / f1 of each class that occurs as a label or a prediction."""
    classes = sorted({k.actual_class_id for k in matrix} | {k.predicted_class_id for k in matrix}
                     - {multi_class_confusion_matrix_metrics.NO_PREDICTED_CLASS_ID})
    values = {}
    for c in classes:
        tp = sum(v for k, v in matrix.items() if k.actual_class_id == c == k.predicted_class_id)
        predicted = sum(v for k, v in matrix.items() if k.predicted_class_id == c)
        actual = sum(v for k, v in matrix.items() if k.actual_class_id == c)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        values[c] = {"precision": precision, "recall": recall, "f1": f1}[statistic]
    return values


def _computations(statistic: str, name: str, num_classes: Optional[int] = None,
                  eval_config: Optional[tfma.EvalConfig] = None, model_name: str = "",
                  output_name: str = "", example_weighted: bool = False):
    matrices = multi_class_confusion_matrix_metrics.multi_class_confusion_matrices(
        thresholds=[_ARGMAX], eval_config=eval_config, model_name=model_name,
        output_name=output_name, example_weighted=example_weighted)
    matrices_key = matrices[-1].keys[-1]

    def key(class_id=None):  # per class: "f1" with sub key class_id; averaged: `name`
        return metric_types.MetricKey(
            name=name if class_id is None else statistic, model_name=model_name,
            output_name=output_name,
            sub_key=metric_types.SubKey(class_id=class_id) if class_id is not None else None,
            example_weighted=example_weighted)

    class_ids = range(num_classes or 0)

    def result(metrics):
        per_class = _per_class(metrics[matrices_key].get(_ARGMAX, {}), statistic)
        # Classes absent from a slice's labels and predictions score 0 in the macro average,
        # as in sklearn; with num_classes unknown only the classes seen are averaged.
        classes = list(class_ids) or sorted(per_class)
        values = {key(c): per_class.get(c, 0.0) for c in classes}
        values[key()] = (sum(per_class.get(c, 0.0) for c in classes) / len(classes)
                         if classes else float("nan"))
        return values

    keys = [key()] + [key(c) for c in class_ids]
    return matrices + [metric_types.DerivedMetricComputation(keys=keys, result=result)]


def _all_computations(statistic: str, name: str, num_classes: Optional[int] = None,
                      eval_config: Optional[tfma.EvalConfig] = None, model_names=None,
                      output_names=None, example_weighted: bool = False):
    computations = []
    for model_name in model_names or [""]:
        for output_name in output_names or [""]:
            computations += _computations(statistic, name, num_classes, eval_config,
                                          model_name, output_name, example_weighted)
    return computations


class _TopClassMetric(metric_types.Metric):
    STATISTIC = ""

    def __init__(self, name: Optional[str] = None, num_classes: Optional[int] = None):
        """`num_classes`: average over classes 0 … num_classes-1 (None: the classes seen)."""
        super().__init__(functools.partial(_all_computations, self.STATISTIC),
                         name=name or f"macro_{self.STATISTIC}", num_classes=num_classes)


class MacroPrecision(_TopClassMetric):
    """Precision of the top class, per class (sub key class_id) and macro-averaged."""
    STATISTIC = "precision"


class MacroRecall(_TopClassMetric):
    """Recall of the top class, per class (sub key class_id) and macro-averaged."""
    STATISTIC = "recall"


class MacroF1Score(_TopClassMetric):
    """F1 of the top class, per class (sub key class_id) and macro-averaged."""
    STATISTIC = "f1"


for _metric in (MacroPrecision, MacroRecall, MacroF1Score):
    metric_types.register_metric(_metric)
