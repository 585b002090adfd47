"""Bad settings and inputs stop before any component runs, in one line (issue 15): settings out
of range, a single class, a text column of numbers, a checkpoint that needs its own code; and
an empty text reaches the transform graph as a text of its own, with a shape."""
import json
import os
import shutil

import datasets
import pytest

import trainer_harness
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import TaskConfig
from tfx_hf.components.trainer.checkpoint import check_local_checkpoint
from tfx_hf.pipelines import cli
from tfx_hf.pipelines.text_classification import create_pipeline


def _pipeline(tmp_path, dataset, checkpoint, **kwargs):
    kwargs.setdefault("max_length", 32)  # the tiny checkpoint has 64 positions
    return create_pipeline(
        pipeline_name="p", pipeline_root=str(tmp_path / "root"), dataset=dataset,
        checkpoint=checkpoint, push_destination=str(tmp_path / "push"), **kwargs)


def _saved(tmp_path, name, columns, features):
    path = str(tmp_path / name)
    datasets.Dataset.from_dict(columns, features=datasets.Features(features)).save_to_disk(path)
    return path


# The tiny checkpoint has max_position_embeddings=64 (conftest.build_tiny_checkpoint).
@pytest.mark.parametrize("setting, message", [
    ({"max_length": 0}, "max_length=0: must be an integer from 1 up"),
    ({"max_length": -1}, "max_length=-1: must be an integer from 1 up"),
    ({"max_length": 65}, "max_length=65: must be an integer from 1 to 64"),
    ({"train_steps": 0}, "train_steps=0: must be an integer from 1 up"),
    ({"train_steps": -5}, "train_steps=-5: must be an integer from 1 up"),
    ({"eval_steps": 0}, "eval_steps=0: must be an integer from 1 up"),
    ({"batch_size": 0}, "batch_size=0: must be an integer from 1 up"),
    ({"min_accuracy": 1.5}, "min_accuracy=1.5: must be a number from 0 to 1"),
    ({"text_feature": 3}, "text_feature=3: must be the name of a dataset column"),
    ({"text_feature": "label"}, "label_feature='label' is also a text feature"),
    ({"serving_jit_compile": "yes"}, "serving_jit_compile='yes': must be true or false"),
])
def test_settings_out_of_range_stop_before_the_pipeline(tmp_path, topic_dataset, tiny_checkpoint,
                                                        setting, message):
    with pytest.raises(InputError) as error:
        _pipeline(tmp_path, topic_dataset, tiny_checkpoint, **setting)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_max_length_within_the_position_embeddings_is_accepted(tmp_path, topic_dataset,
                                                                tiny_checkpoint):
    pipeline = _pipeline(tmp_path, topic_dataset, tiny_checkpoint, max_length=64, train_steps=1)
    (transform,) = [c for c in pipeline.components if c.id == "Transform"]
    assert json.loads(transform.exec_properties["custom_config"])["max_length"] == 64


def test_text_column_of_numbers_stops_before_the_pipeline(tmp_path, tiny_checkpoint):
    dataset = _saved(tmp_path, "numbers", {"text": ["a", "b"], "stars": [1, 5], "label": [0, 1]},
                     {"text": datasets.Value("string"), "stars": datasets.Value("int64"),
                      "label": datasets.ClassLabel(names=["neg", "pos"])})
    with pytest.raises(InputError, match=r"Text column 'stars' of dataset .* holds "
                       r"Value\(dtype='int64'.*not text"):
        _pipeline(tmp_path, dataset, tiny_checkpoint, text_feature="stars")


def test_single_class_stops_before_the_pipeline(tmp_path, tiny_checkpoint):
    dataset = _saved(tmp_path, "one", {"text": ["a", "b"], "label": [0, 0]},
                     {"text": datasets.Value("string"),
                      "label": datasets.ClassLabel(names=["only"])})
    with pytest.raises(InputError, match=r"'label' .* has 1 class \(\['only'\]\); a classifier "
                       "needs at least 2"):
        _pipeline(tmp_path, dataset, tiny_checkpoint)
    with pytest.raises(InputError, match=r"label_names=\['only'\]: a classifier needs at least"):
        TaskConfig(checkpoint=tiny_checkpoint, label_names=["only"])


def test_cli_run_with_a_bad_setting_exits_2_in_one_line_before_any_component(
        tmp_path, topic_dataset, tiny_checkpoint, capsys):
    output = tmp_path / "out"
    status = cli.main(["run", "--dataset", topic_dataset, "--checkpoint", tiny_checkpoint,
                       "--output", str(output), "--max-length", "0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert err[-1].startswith("tfx-hf run: error: max_length=0: must be an integer from 1")
    assert not os.path.exists(output / "pipeline_root")  # no component ran


def _custom_code_checkpoint(tmp_path, tiny_checkpoint):
    folder = tmp_path / "custom"
    shutil.copytree(tiny_checkpoint, folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(model_type="my-bert", architectures=["MyBertModel"],
                  auto_map={"AutoConfig": "configuration_my_bert.MyBertConfig",
                            "AutoModel": "modeling_my_bert.MyBertModel"})
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modeling_my_bert.py").write_text("raise SystemExit('custom code ran')\n")
    return str(folder)


def test_checkpoint_with_custom_code_says_how_to_opt_in(tmp_path, topic_dataset, tiny_checkpoint):
    checkpoint = _custom_code_checkpoint(tmp_path, tiny_checkpoint)
    with pytest.raises(InputError) as error:
        _pipeline(tmp_path, topic_dataset, checkpoint)
    message = str(error.value)
    assert "\n" not in message
    assert "model_type 'my-bert' and custom code (AutoConfig, AutoModel" in message
    assert "trust_remote_code off" in message and "AutoConfig.register" in message
    with pytest.raises(InputError, match="trust_remote_code off"):
        check_local_checkpoint(checkpoint)  # what the Trainer checks before loading


def test_allow_label_change_drops_the_baseline_and_lets_the_pusher_replace(tmp_path):
    def nodes(**kwargs):
        pipeline = _pipeline(tmp_path, "unused", "unused", validate=False, **kwargs)
        return {c.id: c for c in pipeline.components}

    default = nodes()
    assert "latest_blessed_model_resolver" in default
    assert default["ServingPusher"].exec_properties["custom_config"] in (None, "null")
    allowed = nodes(allow_label_change=True)
    assert "latest_blessed_model_resolver" not in allowed
    assert "baseline_model" not in allowed["HFEvaluator"].inputs
    assert json.loads(allowed["ServingPusher"].exec_properties["custom_config"]) == {
        "allow_label_change": True}


@pytest.mark.slow
def test_empty_text_cells_give_a_text_feature_with_a_shape(tmp_path, tiny_checkpoint):
    """The CSV that used to train and then fail at export ("Feature text has no shape"):
    ExampleGen, StatisticsGen, SchemaGen and Transform on it; the schema gives `text` the
    fixed shape [1] that the serving signature reshapes to, and the transform graph tokenizes
    an empty text."""
    import tensorflow as tf
    import tensorflow_transform as tft
    from tensorflow_metadata.proto.v0 import schema_pb2
    from tfx.utils import io_utils

    rows = ["text,label"] + [f"{t},{i % 2}" for i, t in enumerate(
        ["match goal", "", "market shares", "", "striker league", "bank profit"] * 3)]
    path = tmp_path / "holes.csv"
    path.write_text("\n".join(rows) + "\n")
    config = TaskConfig(checkpoint=tiny_checkpoint, max_length=16)
    examples, transform_graph = trainer_harness.prepare(
        str(tmp_path), str(path), config, columns=["text", "label"],
        class_label_columns=["label"])
    assert sum(examples.get_json_value_custom_property("row_counts").values()) == 18

    schema = io_utils.parse_pbtxt_file(str(tmp_path / "schema" / "schema.pbtxt"),
                                       schema_pb2.Schema())
    (text,) = [f for f in schema.feature if f.name == "text"]
    assert [d.size for d in text.shape.dim] == [1]
    output = tft.TFTransformOutput(transform_graph.uri)
    assert output.raw_feature_spec()["text"] == tf.io.FixedLenFeature([1], tf.string)
    transformed = output.transform_features_layer()({"text": tf.constant([[""], ["match"]])})
    ids = transformed["input_ids"].numpy()
    assert ids.shape[0] == 2 and ids[0][0] != ids[0][2]  # [CLS] [SEP] then padding


def test_serving_jit_compile_reaches_the_trainer(tmp_path, topic_dataset, tiny_checkpoint):
    pipeline = _pipeline(tmp_path, topic_dataset, tiny_checkpoint, serving_jit_compile=True)
    (trainer,) = [c for c in pipeline.components if c.id == "HFTrainer"]
    assert json.loads(trainer.exec_properties["custom_config"])["serving_jit_compile"] is True
