"""Sequence classification: one label per text (or text pair), from the [CLS] logits of
`TFAutoModelForSequenceClassification`.

- `single_label_classification`: one class per text (a pair with `text_pair_feature`); the
  label is a ClassLabel id, an integer, or a string (class-encoded by a vocabulary here).
- `multi_label_classification`: any number of classes per text; the label is a list of class
  ids, multi-hot for training and evaluation.
- `regression`: one float per text.
"""
from typing import Any, Dict, List, Optional

import numpy as np
import tensorflow as tf

from tfx_hf.components.input_error import InputError
from tfx_hf.components.task.base import Task, ThresholdFor
from tfx_hf.components.transform.features import dense_column

SINGLE_LABEL = "single_label_classification"
MULTI_LABEL = "multi_label_classification"
REGRESSION = "regression"

# The transform graph's vocabulary of string labels that were not already class ids.
LABEL_VOCABULARY = "label_vocabulary"

# Threshold name → TFMA class of the per-class metrics that are averaged ("macro_f1", …).
PER_CLASS = {"precision": "Precision", "recall": "Recall", "f1": "F1Score", "auc": "AUC"}
# A single-label model predicts its top class: these count that (evaluation/metrics.py).
TOP_CLASS = {"precision": "MacroPrecision", "recall": "MacroRecall", "f1": "MacroF1Score"}


class _SequenceClassification(Task):
    """What the three tasks share: the model class, and class names from the examples."""

    auto_model_class = "TFAutoModelForSequenceClassification"
    encodes_class_labels = False
    averages = ()  # how per-class metrics are averaged into threshold names

    def label_names(self, configured: Optional[List[str]], tf_transform_output,
                    label_feature: str) -> List[str]:
        if configured:
            return list(configured)
        try:  # string labels that were not class-encoded get a vocabulary in Transform
            return [n.decode() for n in tf_transform_output.vocabulary_by_name(LABEL_VOCABULARY)]
        except (ValueError, tf.errors.NotFoundError):
            raise InputError(
                f"No label names for {label_feature!r}: make it a ClassLabel (HFDatasetExampleGen "
                "`class_label_columns`) or set label_names.") from None

    def from_pretrained_kwargs(self, label_names: List[str]) -> Dict[str, Any]:
        return dict(num_labels=len(label_names), problem_type=self.name,
                    id2label=dict(enumerate(label_names)),
                    label2id={name: i for i, name in enumerate(label_names)})

    def threshold_names(self) -> List[str]:
        return list(self.overall_metrics) + [f"{average}_{metric}" for average in self.averages
                                             for metric in PER_CLASS]


class SingleLabelClassification(_SequenceClassification):
    name = SINGLE_LABEL
    description = "text classification"
    encodes_class_labels = True
    overall_metrics = {"accuracy": ("SparseCategoricalAccuracy", True)}
    plots = ("MultiClassConfusionMatrixPlot",)
    averages = ("macro",)
    main_metric = "accuracy"
    prediction_key = "probabilities"
    accuracy_metric = "sparse_categorical_accuracy"

    def transform_label(self, label):
        import tensorflow_transform as tft  # only the preprocessing_fn needs tf.Transform

        if label.dtype == tf.string:
            return tft.compute_and_apply_vocabulary(dense_column(label, ""),
                                                    vocab_filename=LABEL_VOCABULARY)
        return dense_column(tf.cast(label, tf.int64), -1)

    def keras_metrics(self):
        return [tf.keras.metrics.SparseCategoricalAccuracy("accuracy")]

    def serving_outputs(self, logits, label_names):
        probabilities = tf.nn.softmax(logits, axis=-1)
        label_id = tf.argmax(probabilities, axis=-1)
        return {"label": tf.gather(label_names, label_id), "label_id": label_id,
                "probabilities": probabilities}

    def class_metrics_specs(self, num_classes, threshold_for: ThresholdFor):
        import tensorflow_model_analysis as tfma  # only where an EvalConfig is built
        from tfx_hf.components.evaluation import metric_configs as configs

        return [
            tfma.MetricsSpec(metrics=[  # per class (sub keys) and their macro averages
                configs.metric(class_name, threshold_for(f"macro_{name}"),
                               configs.num_classes_config(num_classes),
                               module=configs.METRICS_MODULE)
                for name, class_name in TOP_CLASS.items()]),
            tfma.MetricsSpec(metrics=[configs.metric("AUC")],  # one-vs-rest, per class
                             binarize=tfma.BinarizationOptions(
                                 class_ids=configs.class_ids(num_classes))),
            tfma.MetricsSpec(metrics=[configs.metric("AUC", threshold_for("macro_auc"))],
                             aggregate=configs.macro(num_classes)),
        ]

    def show_prediction(self, outputs, label_names):
        probability = float(max(outputs["probabilities"]))
        label = outputs["label"].decode()
        return {"label": label, "probability": probability,
                "summary": f"{label}\t{probability:.4f}"}

    def serving_expectations(self, label_names):
        return {"outputs": ["label", "label_id", "probabilities"],
                "description": "a single-label classifier", "label_names": list(label_names),
                "probabilities": "probabilities", "class_name_of_id": ["label", "label_id"]}


class MultiLabelClassification(_SequenceClassification):
    name = MULTI_LABEL
    description = "multi-label text classification"
    overall_metrics = {"binary_accuracy": ("BinaryAccuracy", True)}
    plots = ("MultiLabelConfusionMatrixPlot",)
    averages = ("macro", "micro")
    main_metric = "micro_f1"
    prediction_key = "scores"

    def transform_label(self, label):
        # A list per row: kept as a sparse list of class ids, multi-hot in `training_label`.
        if not isinstance(label, tf.sparse.SparseTensor):
            label = tf.sparse.from_dense(label) if isinstance(label, tf.Tensor) \
                else label.to_sparse()
        return tf.sparse.SparseTensor(label.indices, tf.cast(label.values, tf.int64),
                                      label.dense_shape)

    def training_label(self, label_id, num_labels):
        return tf.cast(tf.sparse.to_indicator(label_id, num_labels), tf.float32)

    def default_loss(self):
        # 🤗 TF models ignore `problem_type` and would apply softmax cross-entropy.
        return tf.keras.losses.BinaryCrossentropy(from_logits=True)

    def keras_metrics(self):  # logits > 0 ⇔ probability > 0.5
        return [tf.keras.metrics.BinaryAccuracy("accuracy", threshold=0.0)]

    def serving_outputs(self, logits, label_names):
        return {"scores": tf.sigmoid(logits)}

    def class_metrics_specs(self, num_classes, threshold_for: ThresholdFor):
        import tensorflow_model_analysis as tfma  # only where an EvalConfig is built
        from tfx_hf.components.evaluation import metric_configs as configs

        # A class is predicted when its score exceeds 0.5.
        specs = [tfma.MetricsSpec(
            metrics=[configs.metric(c) for c in PER_CLASS.values()],
            binarize=tfma.BinarizationOptions(class_ids=configs.class_ids(num_classes)))]
        # Averages in specs of their own: a threshold in a binarized spec would apply to
        # each class too.
        for average, aggregate in (("macro", configs.macro(num_classes)),
                                   ("micro", tfma.AggregationOptions(micro_average=True))):
            specs.append(tfma.MetricsSpec(
                metrics=[configs.metric(c, threshold_for(f"{average}_{name}"))
                         for name, c in PER_CLASS.items()],
                aggregate=aggregate))
        return specs

    def show_prediction(self, outputs, label_names):
        scores = [float(s) for s in outputs["scores"]]
        labels = [n for n, s in zip(label_names, scores) if s > 0.5]
        return {"labels": labels, "scores": scores, "summary": ",".join(labels) or "-"}

    def serving_expectations(self, label_names):
        return {"outputs": ["scores"], "description": "a multi-label classifier",
                "label_names": list(label_names), "unit_interval": ["scores"]}


class Regression(_SequenceClassification):
    name = REGRESSION
    description = "text regression"
    overall_metrics = {"mse": ("MeanSquaredError", False), "mae": ("MeanAbsoluteError", False)}
    main_metric = "mse"
    prediction_key = "scores"

    def transform_label(self, label):
        return dense_column(tf.cast(label, tf.float32), float("nan"))

    def label_names(self, configured, tf_transform_output, label_feature):
        return []  # one value, no classes

    def from_pretrained_kwargs(self, label_names):
        return dict(num_labels=1, problem_type=self.name)

    def keras_metrics(self):
        return []

    def serving_outputs(self, logits, label_names):
        return {"scores": logits[:, 0]}

    def class_metrics_specs(self, num_classes, threshold_for: ThresholdFor):
        return []

    def show_prediction(self, outputs, label_names):
        value = float(np.asarray(outputs["scores"]))
        return {"value": value, "summary": f"{value:.4f}"}

    def serving_expectations(self, label_names):
        return {"outputs": ["scores"], "description": "a regression model", "label_names": []}
