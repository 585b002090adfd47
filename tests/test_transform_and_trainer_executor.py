"""preprocessing_fn inside real tf.Transform (Beam), and the Trainer executor's label names."""
import functools
import json

import pytest
import tensorflow as tf
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils
from tfx.types import standard_artifacts
from transformers import AutoTokenizer

from tfx_hf.components.contracts import LABEL_NAMES_PROPERTY, serving_model_dir
from tfx_hf.components.task import TaskConfig
from tfx_hf.components.task.sequence_classification import LABEL_VOCABULARY
from tfx_hf.components.trainer import executor as trainer_executor
from tfx_hf.components.transform.preprocessing import preprocessing_fn


def _transform(tmp_path, rows, label_dtype, config):
    spec = {"text": tf.io.FixedLenFeature([1], tf.string),
            "label": tf.io.FixedLenFeature([1], label_dtype)}
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(spec))
    with tft_beam.Context(temp_dir=str(tmp_path / "tft_tmp")):
        (transformed, _), transform_fn = (
            (rows, metadata) | tft_beam.AnalyzeAndTransformDataset(
                functools.partial(preprocessing_fn, custom_config=config.to_custom_config()),
                output_record_batches=False))
        _ = transform_fn | tft_beam.WriteTransformFn(str(tmp_path / "transform_graph"))
    return transformed


@pytest.mark.slow
def test_transform_tokenizes_like_the_checkpoint(tmp_path, tiny_checkpoint):
    texts = ["The striker scored a goal.", "Bank profit, market shares!", ""]
    rows = [{"text": [t.encode()], "label": [i]} for i, t in enumerate(texts)]
    config = TaskConfig(checkpoint=tiny_checkpoint, max_length=16)
    transformed = _transform(tmp_path, rows, tf.int64, config)
    reference = AutoTokenizer.from_pretrained(tiny_checkpoint)(
        texts, padding="max_length", truncation=True, max_length=16)
    assert [list(r["input_ids"]) for r in transformed] == reference["input_ids"]
    assert [list(r["attention_mask"]) for r in transformed] == reference["attention_mask"]
    assert [int(r["label_id"]) for r in transformed] == [0, 1, 2]


@pytest.mark.slow
def test_string_labels_get_a_vocabulary(tmp_path, tiny_checkpoint):
    rows = [{"text": [b"a"], "label": [b"pos"]}, {"text": [b"b"], "label": [b"neg"]},
            {"text": [b"c"], "label": [b"pos"]}]
    config = TaskConfig(checkpoint=tiny_checkpoint, max_length=8)
    transformed = _transform(tmp_path, rows, tf.string, config)
    vocabulary = tft.TFTransformOutput(str(tmp_path / "transform_graph")).vocabulary_by_name(
        LABEL_VOCABULARY)
    assert [vocabulary[int(r["label_id"])] for r in transformed] == [b"pos", b"neg", b"pos"]


def test_trainer_executor_passes_label_names_from_examples(tmp_path):
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    examples.split_names = '["train", "eval"]'
    examples.set_json_value_custom_property(LABEL_NAMES_PROPERTY, {"topic": ["a", "b", "c"]})
    model = standard_artifacts.Model()
    model.uri = str(tmp_path / "model")
    model_run = standard_artifacts.ModelRun()
    model_run.uri = str(tmp_path / "model_run")
    config = TaskConfig(checkpoint="unused", label_feature="topic")
    exec_properties = {"train_args": '{"num_steps": 3}', "eval_args": '{"num_steps": 1}',
                       "custom_config": json.dumps(config.to_custom_config())}
    fn_args = trainer_executor.Executor()._GetFnArgs(
        {"examples": [examples]}, {"model": [model], "model_run": [model_run]}, exec_properties)
    assert fn_args.custom_config["label_names"] == ["a", "b", "c"]
    assert fn_args.serving_model_dir == serving_model_dir(str(tmp_path / "model"))
