"""The task registry and each sequence-classification task's parts, without TFX: the label in
the transform graph and as trained, the model's from_pretrained arguments, the serving
outputs from logits, how a prediction is shown, and that serve-check's output checks pass
what the export makes and name what does not fit."""
import numpy as np
import pytest
import tensorflow as tf

from tfx_hf.components.export import serve_check
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import TASKS, TaskConfig, get_task
from tfx_hf.components.task.sequence_classification import (MULTI_LABEL, REGRESSION,
                                                            SINGLE_LABEL)

LOGITS = tf.constant([[2.0, 0.0, -1.0], [-3.0, 1.0, 0.5]])
LABEL_NAMES = ["sport", "business", "tech"]


def test_registry_names_are_the_problem_types():
    assert list(TASKS) == [SINGLE_LABEL, MULTI_LABEL, REGRESSION, "token_classification"]
    assert all(task.name == name for name, task in TASKS.items())
    with pytest.raises(InputError, match="task='ner': use one of"):
        get_task("ner")
    with pytest.raises(InputError, match="multi_label_classification"):
        TaskConfig(checkpoint="x", task="multilabel")


def test_from_pretrained_kwargs():
    assert get_task(SINGLE_LABEL).from_pretrained_kwargs(["a", "b"]) == {
        "num_labels": 2, "problem_type": SINGLE_LABEL, "id2label": {0: "a", 1: "b"},
        "label2id": {"a": 0, "b": 1}}
    assert get_task(REGRESSION).from_pretrained_kwargs([]) == {
        "num_labels": 1, "problem_type": REGRESSION}


def test_single_label_serving_outputs_and_prediction():
    task = get_task(SINGLE_LABEL)
    outputs = task.serving_outputs(LOGITS, tf.constant(LABEL_NAMES))
    assert outputs["label"].numpy().tolist() == [b"sport", b"business"]
    assert outputs["label_id"].numpy().tolist() == [0, 1]
    np.testing.assert_allclose(outputs["probabilities"].numpy(), tf.nn.softmax(LOGITS).numpy())
    row = {name: value.numpy()[1] for name, value in outputs.items()}
    shown = task.show_prediction(row, LABEL_NAMES)
    probability = float(tf.nn.softmax(LOGITS)[1, 1])
    assert shown == {"label": "business", "probability": pytest.approx(probability),
                     "summary": f"business\t{probability:.4f}"}
    assert task.prediction_key in outputs


def test_multi_label_is_multi_hot_with_a_binary_loss():
    task = get_task(MULTI_LABEL)
    ids = task.transform_label(tf.ragged.constant([[0, 2], [1]], tf.int64))
    multi_hot = task.training_label(ids, 3)
    assert multi_hot.numpy().tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    assert task.evaluation_label(ids, 3).numpy().tolist() == multi_hot.numpy().tolist()
    assert isinstance(task.default_loss(), tf.keras.losses.BinaryCrossentropy)
    scores = task.serving_outputs(LOGITS, tf.constant(LABEL_NAMES))["scores"].numpy()
    np.testing.assert_allclose(scores, tf.sigmoid(LOGITS).numpy())
    assert task.show_prediction({"scores": scores[1]}, LABEL_NAMES)["summary"] == \
        "business,tech"
    assert task.show_prediction({"scores": np.zeros(3)}, LABEL_NAMES)["summary"] == "-"


def test_regression_is_one_value_with_the_models_own_loss():
    task = get_task(REGRESSION)
    label = task.transform_label(tf.constant([[0.5], [1.25]]))
    assert label.numpy().tolist() == [0.5, 1.25]
    assert task.default_loss() is None
    assert task.label_names(["ignored"], None, "label") == []
    scores = task.serving_outputs(LOGITS[:, :1], tf.constant([""]))["scores"]
    assert scores.numpy().tolist() == [2.0, -3.0]
    assert task.show_prediction({"scores": np.float32(0.25)}, []) == {
        "value": 0.25, "summary": "0.2500"}


def test_single_label_int_labels_are_class_ids_and_missing_ones_minus_one():
    label = tf.sparse.SparseTensor([[0, 0], [2, 0]], tf.constant([2, 1], tf.int64), [3, 1])
    assert get_task(SINGLE_LABEL).transform_label(label).numpy().tolist() == [2, -1, 1]


@pytest.mark.parametrize("task", [SINGLE_LABEL, MULTI_LABEL, REGRESSION])
def test_the_exported_outputs_pass_serve_checks_output_checks(task):
    task = get_task(task)
    label_names = LABEL_NAMES if task.name != REGRESSION else []
    logits = LOGITS if label_names else LOGITS[:, :1]
    outputs = {name: value.numpy() for name, value in
               task.serving_outputs(logits, tf.constant(label_names or [""])).items()}
    expected = task.serving_expectations(label_names)
    errors = []
    serve_check._check_outputs(outputs, 2, expected, errors)
    assert errors == []
    del outputs[expected["outputs"][0]]
    serve_check._check_outputs(outputs, 2, expected, errors)
    assert errors == [f"serving_default lacks the outputs {[expected['outputs'][0]]} of "
                      f"{expected['description']}."]


def test_serve_check_names_outputs_that_do_not_fit_the_task():
    errors = []
    serve_check._check_outputs(
        {"label": np.array([b"sport", b"news"]), "label_id": np.array([1, 0]),
         "probabilities": np.array([[0.5, 0.4, 0.1], [0.2, 0.2, 0.2]])}, 2,
        get_task(SINGLE_LABEL).serving_expectations(LABEL_NAMES), errors)
    assert errors == ["probabilities do not sum to 1: [1.0, 0.6000000000000001].",
                      "label_id 1 does not name label 'sport'.",
                      f"label 'news' is not one of label_names {LABEL_NAMES}."]
    errors = []
    serve_check._check_outputs({"scores": np.array([[0.5, 1.5]])}, 1,
                               get_task(MULTI_LABEL).serving_expectations(["a", "b"]), errors)
    assert errors == ["scores of a multi-label classifier are not all in [0, 1]."]
