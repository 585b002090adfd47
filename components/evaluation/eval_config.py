"""eval_config: a `tfma.EvalConfig` for a model exported by HFTrainer, per task.

The model is evaluated through its `serving_tf_example` signature (raw tf.Examples in, the
serving outputs out). Labels come from its `transform_labels` signature, i.e. from the same
transform graph training used: class ids (string labels mapped by the label vocabulary),
multi-hot vectors for multi-label classification, floats for regression.

Metrics, per task:
- single-label classification: example count, accuracy, a confusion matrix, and per class
  precision, recall, F1 and one-vs-rest AUC (for two classes, class 1's AUC is the binary
  AUC), plus their macro averages.
- multi-label classification: example count, binary accuracy, a multi-label confusion matrix,
  per class precision/recall/F1/AUC, plus macro and micro averages.
- regression: example count, mean squared error, mean absolute error.

Per-class metrics need the class ids. Give `num_classes`, or leave it None inside a tfx-hf
pipeline: `HFEvaluator` fills in every class named in the Examples' `label_names` at run time
(a `binarize` whose `class_ids` is present but empty, or a macro average without
`class_weights`, or a top-class metric without `num_classes`, means "all classes").

Thresholds bless or block a model: `thresholds` bounds a metric's value (a lower bound for
metrics where higher is better, an upper bound for errors); `baseline_tolerance` compares the
candidate's main metric with the latest blessed model's, so a model worse than the one it
would replace by more than the tolerance is not blessed (None: no comparison).
"""
from typing import Mapping, Optional, Sequence, Union

import tensorflow_model_analysis as tfma

from tfx_hf.components.task.config import LABEL_ID_FEATURE, MULTI_LABEL, REGRESSION, SINGLE_LABEL

SERVING_SIGNATURE = "serving_tf_example"
LABELS_SIGNATURE = "transform_labels"

METRICS_MODULE = "tfx_hf.components.evaluation.metrics"

# Threshold name → (metric class, higher is better), computed on all examples.
_OVERALL = {
    SINGLE_LABEL: {"accuracy": ("SparseCategoricalAccuracy", True)},
    MULTI_LABEL: {"binary_accuracy": ("BinaryAccuracy", True)},
    REGRESSION: {"mse": ("MeanSquaredError", False), "mae": ("MeanAbsoluteError", False)},
}
# Computed for each class, then averaged ("macro_f1", "micro_auc", …).
_PER_CLASS = {"precision": "Precision", "recall": "Recall", "f1": "F1Score", "auc": "AUC"}
# A single-label model predicts its top class: these count that (metrics.py).
_TOP_CLASS = {"precision": "MacroPrecision", "recall": "MacroRecall", "f1": "MacroF1Score"}
MAIN_METRIC = {SINGLE_LABEL: "accuracy", MULTI_LABEL: "micro_f1", REGRESSION: "mse"}
_PREDICTION_KEY = {SINGLE_LABEL: "probabilities", MULTI_LABEL: "scores", REGRESSION: "scores"}


def threshold_names(task: str) -> list:
    """The metric names `thresholds` accepts for `task`."""
    averages = {SINGLE_LABEL: ("macro",), MULTI_LABEL: ("macro", "micro"), REGRESSION: ()}
    return list(_OVERALL[task]) + [f"{average}_{metric}" for average in averages[task]
                                   for metric in _PER_CLASS]


def _threshold(higher_is_better: bool, bound: Optional[float],
               baseline_tolerance: Optional[float]) -> Optional[tfma.MetricThreshold]:
    if bound is None and baseline_tolerance is None:
        return None
    threshold = tfma.MetricThreshold()
    if bound is not None:
        threshold.value_threshold.CopyFrom(tfma.GenericValueThreshold(
            **{"lower_bound" if higher_is_better else "upper_bound": {"value": bound}}))
    if baseline_tolerance is not None:
        # TFMA's change is candidate − baseline; a tiny epsilon lets an equal model through.
        tolerance = max(baseline_tolerance, 1e-10)
        threshold.change_threshold.CopyFrom(tfma.GenericChangeThreshold(
            direction=(tfma.MetricDirection.HIGHER_IS_BETTER if higher_is_better
                       else tfma.MetricDirection.LOWER_IS_BETTER),
            absolute={"value": -tolerance if higher_is_better else tolerance}))
    return threshold


def _metric(class_name: str, threshold: Optional[tfma.MetricThreshold] = None,
            config: str = "", module: str = "") -> tfma.MetricConfig:
    metric = tfma.MetricConfig(class_name=class_name, config=config, module=module)
    if threshold is not None:  # on the overall slice only: a small slice may legitimately dip
        metric.per_slice_thresholds.add(slicing_specs=[tfma.SlicingSpec()],
                                        threshold=threshold)
    return metric


def _class_ids(num_classes: Optional[int]) -> dict:
    return {"values": list(range(num_classes))} if num_classes else {}


def _num_classes(num_classes: Optional[int]) -> str:
    return f'"num_classes": {num_classes}' if num_classes else ""


def _macro(num_classes: Optional[int]) -> tfma.AggregationOptions:
    return tfma.AggregationOptions(macro_average=True,
                                   class_weights={i: 1.0 for i in range(num_classes or 0)})


def _slicing_specs(slicing: Sequence[Union[str, Sequence[str]]]) -> list:
    specs = [tfma.SlicingSpec()]  # overall
    for keys in slicing:
        specs.append(tfma.SlicingSpec(feature_keys=[keys] if isinstance(keys, str) else list(keys)))
    return specs


def eval_config(task: str = SINGLE_LABEL, num_classes: Optional[int] = None,
                slicing: Sequence[Union[str, Sequence[str]]] = (),
                thresholds: Optional[Mapping[str, float]] = None,
                baseline_tolerance: Optional[float] = 0.0,
                label_key: str = LABEL_ID_FEATURE) -> tfma.EvalConfig:
    """The EvalConfig for a model HFTrainer exported for `task`.

    slicing: feature names (or tuples of names for crossed slices) of the raw examples to
      compute every metric on each value of; the overall slice is always there.
    thresholds: metric name → bound, e.g. {"accuracy": 0.8, "macro_f1": 0.7}; see
      `threshold_names(task)` for the names.
    baseline_tolerance: how much worse than the latest blessed model the main metric
      (accuracy; micro-F1 for multi-label; MSE for regression) may be; None: not compared.
    """
    if task not in _OVERALL:
        raise ValueError(f"task={task!r}: use one of {list(_OVERALL)}.")
    thresholds = dict(thresholds or {})
    unknown = sorted(set(thresholds) - set(threshold_names(task)))
    if unknown:
        raise ValueError(f"thresholds {unknown} are not metrics of {task}; use "
                         f"{threshold_names(task)}.")
    main = MAIN_METRIC[task]

    def threshold_for(name, higher_is_better=True):
        return _threshold(higher_is_better, thresholds.get(name),
                          baseline_tolerance if name == main else None)

    overall = [tfma.MetricConfig(class_name="ExampleCount")]
    overall += [_metric(class_name, threshold_for(name, higher))
                for name, (class_name, higher) in _OVERALL[task].items()]
    if task == SINGLE_LABEL:
        overall.append(tfma.MetricConfig(class_name="MultiClassConfusionMatrixPlot"))
    elif task == MULTI_LABEL:
        overall.append(tfma.MetricConfig(class_name="MultiLabelConfusionMatrixPlot"))
    metrics_specs = [tfma.MetricsSpec(metrics=overall)]

    if task == SINGLE_LABEL:
        metrics_specs += [
            tfma.MetricsSpec(metrics=[  # per class (sub keys) and their macro averages
                _metric(class_name, threshold_for(f"macro_{name}"), _num_classes(num_classes),
                        module=METRICS_MODULE) for name, class_name in _TOP_CLASS.items()]),
            tfma.MetricsSpec(metrics=[_metric("AUC")],  # one-vs-rest, per class
                             binarize=tfma.BinarizationOptions(class_ids=_class_ids(num_classes))),
            tfma.MetricsSpec(metrics=[_metric("AUC", threshold_for("macro_auc"))],
                             aggregate=_macro(num_classes)),
        ]
    elif task == MULTI_LABEL:  # a class is predicted when its score exceeds 0.5
        metrics_specs.append(tfma.MetricsSpec(
            metrics=[_metric(c) for c in _PER_CLASS.values()],
            binarize=tfma.BinarizationOptions(class_ids=_class_ids(num_classes))))
        # Averages in specs of their own: a threshold in a binarized spec would apply to
        # each class too.
        for average, aggregate in (("macro", _macro(num_classes)),
                                   ("micro", tfma.AggregationOptions(micro_average=True))):
            metrics_specs.append(tfma.MetricsSpec(
                metrics=[_metric(c, threshold_for(f"{average}_{name}"))
                         for name, c in _PER_CLASS.items()],
                aggregate=aggregate))

    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name=SERVING_SIGNATURE,
                                    preprocessing_function_names=[LABELS_SIGNATURE],
                                    label_key=label_key,
                                    prediction_key=_PREDICTION_KEY[task])],
        slicing_specs=_slicing_specs(slicing),
        metrics_specs=metrics_specs)


def with_class_ids(config: tfma.EvalConfig, num_classes: int) -> tfma.EvalConfig:
    """A copy of `config` where binarizations with empty `class_ids` and macro averages
    without `class_weights` cover classes 0 … num_classes-1."""
    config = tfma.EvalConfig.FromString(config.SerializeToString())
    for spec in config.metrics_specs:
        if spec.binarize.HasField("class_ids") and not spec.binarize.class_ids.values:
            spec.binarize.class_ids.values.extend(range(num_classes))
        if spec.aggregate.macro_average and not spec.aggregate.class_weights:
            spec.aggregate.class_weights.update(_macro(num_classes).class_weights)
        for metric in spec.metrics:
            if metric.module == METRICS_MODULE and not metric.config:
                metric.config = _num_classes(num_classes)
    return config
