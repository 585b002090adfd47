"""eval_config per task, the top-class metrics, and real Evaluator runs (HFEvaluator's
executor on the model the real Trainer executor trained, conftest's `topic_model`): it is
blessed with the metrics its own serving predictions give, and a value threshold it misses
blocks the blessing. (A candidate worse than the blessed baseline is tested where the
Resolver hands the baseline over: test_pipeline_e2e.py.)"""
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.metrics.multi_class_confusion_matrix_metrics import (
    MatrixEntryKey, NO_PREDICTED_CLASS_ID)

import trainer_harness
from tfx_hf.components.evaluation import eval_config
from tfx_hf.components.evaluation.eval_config import threshold_names, with_class_ids
from tfx_hf.components.evaluation.metrics import _per_class
from tfx_hf.components.input_error import InputError

TASKS = ["single_label_classification", "multi_label_classification", "regression"]


@pytest.mark.parametrize("task", TASKS)
def test_every_threshold_name_lands_on_a_metric(task):
    names = threshold_names(task)
    config = eval_config(task, num_classes=3, thresholds={n: 0.5 for n in names})
    thresholded = [m for spec in config.metrics_specs for m in spec.metrics
                   if m.per_slice_thresholds]
    assert len(thresholded) == len(names)
    for metric in thresholded:  # bounds apply to the overall slice, not to each small slice
        (per_slice,) = metric.per_slice_thresholds
        assert list(per_slice.slicing_specs) == [tfma.SlicingSpec()]
    assert config.model_specs[0].preprocessing_function_names == ["transform_labels"]


def test_errors_are_bounded_above_and_compared_lower_is_better():
    config = eval_config("regression", thresholds={"mse": 0.2})
    (mse,) = [m for m in config.metrics_specs[0].metrics if m.class_name == "MeanSquaredError"]
    threshold = mse.per_slice_thresholds[0].threshold
    assert threshold.value_threshold.upper_bound.value == 0.2
    assert threshold.change_threshold.direction == tfma.MetricDirection.LOWER_IS_BETTER


def test_unknown_threshold_names_the_known_ones():
    with pytest.raises(ValueError, match="macro_f1"):
        eval_config("single_label_classification", thresholds={"f1": 0.5})


def test_classes_are_filled_in_at_run_time():
    config = with_class_ids(eval_config("multi_label_classification"), 4)
    binarized = [s for s in config.metrics_specs if s.HasField("binarize")]
    assert [list(s.binarize.class_ids.values) for s in binarized] == [[0, 1, 2, 3]]
    macro = [s for s in config.metrics_specs if s.aggregate.macro_average]
    assert dict(macro[0].aggregate.class_weights) == {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}
    single = with_class_ids(eval_config("single_label_classification"), 2)
    top_class = [m for s in single.metrics_specs for m in s.metrics if m.module]
    assert {m.config for m in top_class} == {'"num_classes": 2'}


def test_top_class_statistics_match_a_hand_count():
    # actual → predicted counts: class 0: 3 right, 1 as class 1; class 1: 2 right;
    # class 2: 1 as class 0, 1 with no prediction.
    matrix = {MatrixEntryKey(0, 0): 3.0, MatrixEntryKey(0, 1): 1.0, MatrixEntryKey(1, 1): 2.0,
              MatrixEntryKey(2, 0): 1.0, MatrixEntryKey(2, NO_PREDICTED_CLASS_ID): 1.0}
    assert _per_class(matrix, "precision") == {0: 0.75, 1: 2 / 3, 2: 0.0}
    assert _per_class(matrix, "recall") == {0: 0.75, 1: 1.0, 2: 0.0}
    assert _per_class(matrix, "f1") == pytest.approx({0: 0.75, 1: 0.8, 2: 0.0})


# Real Evaluator runs -------------------------------------------------------------------------

def _overall(evaluation_uri):
    """{sub key ("" or "classId:N"): {metric: value}} of the overall slice, and the result."""
    result = tfma.load_eval_result(evaluation_uri)
    (overall,) = [m for key, m in result.slicing_metrics if key == ()]
    return {sub_key: {name: value.get("doubleValue") for name, value in metrics.items()}
            for sub_key, metrics in overall[""].items()}, result


def _one_vs_rest_auc(scores, positive):
    """ROC AUC as the probability that a positive outscores a negative (ties count half)."""
    pos, neg = scores[positive][:, None], scores[~positive][None, :]
    return np.mean((pos > neg) + 0.5 * (pos == neg))


def test_trained_model_is_blessed_with_the_metrics_of_its_predictions(
        tmp_path, topic_artifacts, topic_model):
    examples, _ = topic_artifacts
    blessed, uri = trainer_harness.evaluate(
        str(tmp_path), examples, topic_model,
        eval_config(slicing=["topic"], thresholds={"accuracy": 0.5}))
    assert blessed
    metrics, result = _overall(uri)

    serialized, labels = trainer_harness.eval_split(examples, "label")
    labels = np.array([label[0] for label in labels])
    model = tf.saved_model.load(os.path.join(topic_model.uri, "Format-Serving"))
    outputs = model.signatures["serving_tf_example"](examples=serialized)
    predicted, probabilities = outputs["label_id"].numpy(), outputs["probabilities"].numpy()
    # Requests need only the text, not the other columns of the examples (here `topic`).
    text_only = tf.train.Example(features=tf.train.Features(feature={"text": tf.train.Feature(
        bytes_list=tf.train.BytesList(value=[b"the striker scored"]))})).SerializeToString()
    assert model.signatures["serving_tf_example"](
        examples=tf.constant([text_only]))["label_id"].shape == (1,)
    assert metrics[""]["example_count"] == len(labels) == 30
    assert metrics[""]["sparse_categorical_accuracy"] == pytest.approx(
        np.mean(predicted == labels), abs=1e-6)
    f1 = []
    for c in range(3):
        tp = np.sum((predicted == c) & (labels == c))
        precision = tp / max(np.sum(predicted == c), 1)
        recall = tp / max(np.sum(labels == c), 1)
        f1.append(2 * precision * recall / (precision + recall) if tp else 0.0)
        assert metrics[f"classId:{c}"]["f1"] == pytest.approx(f1[-1], abs=1e-6)
        # TFMA counts scores at 10,000 evenly spaced thresholds: a (positive, negative) pair
        # within a step of each other may share a bucket, a tie worth half a pair.
        positive = labels == c
        scores = probabilities[:, c]
        close = np.abs(scores[positive][:, None] - scores[~positive][None, :]) < 2e-4
        assert metrics[f"classId:{c}"]["auc"] == pytest.approx(
            _one_vs_rest_auc(scores, positive), abs=0.5 * close.mean() + 1e-6)
    assert metrics[""]["macro_f1"] == pytest.approx(np.mean(f1), abs=1e-6)
    assert metrics[""]["macro_f1"] > 0.5  # it learned the topics
    assert {key for key, _ in result.slicing_metrics} >= {
        (("topic", t),) for t in ("sport", "business", "tech")}
    plots = list(tfma.load_plots(uri))
    assert "multi_class_confusion_matrix_at_thresholds" in str(plots), str(plots)[:2000]


def test_value_threshold_blocks_blessing(tmp_path, topic_artifacts, topic_model):
    examples, _ = topic_artifacts
    blessed, uri = trainer_harness.evaluate(
        str(tmp_path), examples, topic_model, eval_config(thresholds={"macro_f1": 1.01}))
    assert not blessed
    failures = tfma.load_validation_result(uri).metric_validations_per_slice
    assert {f.metric_key.name for s in failures for f in s.failures} == {"macro_f1"}


def _with_other_labels(tmp_path, model, label_names):
    """A copy of `model` whose model_info.json names other classes: the model a run on another
    dataset would have blessed into the same pipeline."""
    from tfx.types import standard_artifacts

    from tfx_hf.components.contracts import ModelInfo, serving_model_dir

    other = standard_artifacts.Model()
    other.uri = str(tmp_path / "other_model")
    shutil.copytree(model.uri, other.uri)
    info = ModelInfo.read(serving_model_dir(other.uri))
    info.label_names = label_names
    info.write(serving_model_dir(other.uri))
    return other


def test_baseline_with_other_labels_stops_before_evaluating(tmp_path, topic_artifacts,
                                                              topic_model):
    examples, _ = topic_artifacts
    baseline = _with_other_labels(tmp_path, topic_model, ["negative", "positive"])
    with pytest.raises(InputError) as error:
        trainer_harness.evaluate(str(tmp_path), examples, topic_model,
                                 eval_config(thresholds={"accuracy": 0.5},
                                             baseline_tolerance=0.0), baseline=baseline)
    message = str(error.value)
    assert "\n" not in message
    assert "labels ['sport', 'business', 'tech']" in message
    assert "labels ['negative', 'positive']" in message and "--allow-label-change" in message
    evaluated = tmp_path / "evaluation"
    assert not (evaluated.exists() and os.listdir(evaluated))  # stopped before evaluating
