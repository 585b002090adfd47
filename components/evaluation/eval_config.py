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

from tfx_hf.components.contracts import (LABEL_ID_FEATURE, SERVING_EXAMPLE_SIGNATURE,
                                         TRANSFORM_LABELS_SIGNATURE)
from tfx_hf.components.evaluation.metric_configs import (METRICS_MODULE, macro, metric,
                                                          num_classes_config)
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import get_task
from tfx_hf.components.task.sequence_classification import SINGLE_LABEL


def threshold_names(task: str) -> list:
    """The metric names `thresholds` accepts for `task`."""
    return get_task(task).threshold_names()


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
    task = get_task(task)
    thresholds = dict(thresholds or {})
    unknown = sorted(set(thresholds) - set(task.threshold_names()))
    if unknown:
        raise InputError(f"thresholds {unknown} are not metrics of {task.name}; use "
                         f"{task.threshold_names()}.")

    def threshold_for(name, higher_is_better=True):
        return _threshold(higher_is_better, thresholds.get(name),
                          baseline_tolerance if name == task.main_metric else None)

    overall = [tfma.MetricConfig(class_name="ExampleCount")]
    overall += [metric(class_name, threshold_for(name, higher))
                for name, (class_name, higher) in task.overall_metrics.items()]
    overall += [tfma.MetricConfig(class_name=plot) for plot in task.plots]
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name=SERVING_EXAMPLE_SIGNATURE,
                                    preprocessing_function_names=[TRANSFORM_LABELS_SIGNATURE],
                                    label_key=label_key,
                                    prediction_key=task.prediction_key)],
        slicing_specs=_slicing_specs(slicing),
        metrics_specs=[tfma.MetricsSpec(metrics=overall)]
        + task.class_metrics_specs(num_classes, threshold_for))


def with_class_ids(config: tfma.EvalConfig, num_classes: int) -> tfma.EvalConfig:
    """A copy of `config` where binarizations with empty `class_ids` and macro averages
    without `class_weights` cover classes 0 … num_classes-1."""
    config = tfma.EvalConfig.FromString(config.SerializeToString())
    for spec in config.metrics_specs:
        if spec.binarize.HasField("class_ids") and not spec.binarize.class_ids.values:
            spec.binarize.class_ids.values.extend(range(num_classes))
        if spec.aggregate.macro_average and not spec.aggregate.class_weights:
            spec.aggregate.class_weights.update(macro(num_classes).class_weights)
        for metric_config in spec.metrics:
            if metric_config.module == METRICS_MODULE and not metric_config.config:
                metric_config.config = num_classes_config(num_classes)
    return config
