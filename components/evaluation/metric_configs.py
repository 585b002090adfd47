"""Building blocks of a `tfma.EvalConfig`'s metrics, shared by eval_config and the tasks'
`class_metrics_specs`."""
from typing import Optional

import tensorflow_model_analysis as tfma

# Module of the top-class metrics (MacroPrecision, MacroRecall, MacroF1Score).
METRICS_MODULE = "tfx_hf.components.evaluation.metrics"


def metric(class_name: str, threshold: Optional[tfma.MetricThreshold] = None,
           config: str = "", module: str = "") -> tfma.MetricConfig:
    metric_config = tfma.MetricConfig(class_name=class_name, config=config, module=module)
    if threshold is not None:  # on the overall slice only: a small slice may legitimately dip
        metric_config.per_slice_thresholds.add(slicing_specs=[tfma.SlicingSpec()],
                                               threshold=threshold)
    return metric_config


def class_ids(num_classes: Optional[int]) -> dict:
    """A binarization's class ids: all classes; empty (filled in at run time) when unknown."""
    return {"values": list(range(num_classes))} if num_classes else {}


def num_classes_config(num_classes: Optional[int]) -> str:
    """The `config` of a top-class metric; empty (filled in at run time) when unknown."""
    return f'"num_classes": {num_classes}' if num_classes else ""


def macro(num_classes: Optional[int]) -> tfma.AggregationOptions:
    """A macro average over all classes; without class weights (filled in at run time) when
    the number of classes is unknown."""
    return tfma.AggregationOptions(macro_average=True,
                                   class_weights={i: 1.0 for i in range(num_classes or 0)})
