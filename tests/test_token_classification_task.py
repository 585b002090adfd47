"""The token-classification task's parts without TFX: its config, the Keras metric that
leaves -100 out, how the entities of a prediction are shown, and serve-check's expectations
of its serving_default outputs."""
import numpy as np
import pytest
import tensorflow as tf

from tfx_hf.components.export import serve_check
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import TaskConfig, get_task
from tfx_hf.components.task.token_classification import MaskedTokenAccuracy

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
TASK = get_task("token_classification")


def test_config_checks_the_aggregation_strategy():
    config = TaskConfig(checkpoint="x", task="token_classification", text_feature="tokens",
                        label_feature="ner_tags", aggregation_strategy="max")
    assert config.to_custom_config()["aggregation_strategy"] == "max"
    with pytest.raises(InputError, match="aggregation_strategy='none': use one of"):
        TaskConfig(checkpoint="x", task="token_classification", aggregation_strategy="none")


def test_from_pretrained_kwargs_name_the_tags_without_a_problem_type():
    assert TASK.from_pretrained_kwargs(TAGS[:2]) == {
        "num_labels": 2, "id2label": {0: "O", 1: "B-PER"}, "label2id": {"O": 0, "B-PER": 1}}
    with pytest.raises(InputError, match="No tag names for 'ner_tags'"):
        TASK.label_names(None, None, "ner_tags")


def test_token_accuracy_leaves_ignored_labels_out():
    metric = MaskedTokenAccuracy()
    logits = tf.one_hot([[1, 0, 2, 2], [0, 0, 0, 0]], 3)
    metric.update_state(tf.constant([[1, -100, 0, 2], [-100, -100, 0, 1]]), logits)
    assert float(metric.result()) == pytest.approx(3 / 5)


def _outputs():
    """serving_default's outputs for one row with two entities, padded to three."""
    return {"entity_group": np.array([[b"PER", b"LOC", b""]]),
            "score": np.array([[0.98771, 0.5, 0.0]], np.float32),
            "start": np.array([[0, 20, 0]]), "end": np.array([[10, 25, 0]]),
            "word": np.array([["Anna Smith".encode(), "Paris".encode(), b""]]),
            "num_entities": np.array([2]), "logits": np.zeros([1, 8, 5], np.float32)}


def test_a_prediction_is_shown_one_entity_a_line():
    shown = TASK.show_prediction({k: v[0] for k, v in _outputs().items()}, TAGS)
    assert shown["lines"] == ["PER  0.9877  0:10  Anna Smith", "LOC  0.5000  20:25  Paris"]
    assert shown["entities"][1] == {"entity_group": "LOC", "score": 0.5, "start": 20,
                                    "end": 25, "word": "Paris"}
    empty = {k: v[0] for k, v in _outputs().items()}
    empty["num_entities"] = np.array(0)
    assert TASK.show_prediction(empty, TAGS)["lines"] == []


def test_serve_check_expects_the_entity_outputs():
    expected = TASK.serving_expectations(TAGS)
    errors = []
    serve_check._check_outputs(_outputs(), 1, expected, errors)
    assert errors == []
    outputs = _outputs()
    del outputs["word"]
    serve_check._check_outputs(outputs, 1, expected, errors)
    assert errors and "word" in errors[0]
