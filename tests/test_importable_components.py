"""Each of our components drops into a pipeline built from standard TFX components, one at a
time, and runs there with LocalDagRunner (tiny checkpoint, few rows)."""
import csv
import os

import pytest
import tensorflow as tf
from tfx import v1 as tfx
from tfx.orchestration import metadata

from tfx_hf.components.hf_dataset_example_gen.component import HFDatasetExampleGen
from tfx_hf.components.task import TaskConfig
from tfx_hf.components.trainer.component import HFTrainer

from conftest import TOPICS, make_texts

pytestmark = pytest.mark.pipeline  # each test runs a pipeline with LocalDagRunner
PREPROCESSING_FN = "tfx_hf.components.transform.preprocessing.preprocessing_fn"


def _run(tmp_path, components):
    metadata_path = str(tmp_path / "metadata.sqlite")
    tfx.orchestration.LocalDagRunner().run(tfx.dsl.Pipeline(
        pipeline_name="user-pipeline", pipeline_root=str(tmp_path / "root"),
        components=components, enable_cache=False,
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            metadata_path)))
    return metadata_path


def _artifact_uris(metadata_path, type_name):
    config = metadata.sqlite_metadata_connection_config(metadata_path)
    with metadata.Metadata(config) as m:
        return [a.uri for a in m.store.get_artifacts_by_type(type_name)]


def _csv_dir(tmp_path, rows=8):
    """A CSV of topic texts with integer labels, as a user's CsvExampleGen would read."""
    folder = tmp_path / "csv"
    folder.mkdir()
    with open(folder / "data.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["text", "label"])
        writer.writeheader()
        for row in make_texts(rows, seed=3):
            writer.writerow({"text": row["text"], "label": row["label"]})
    return str(folder)


def test_hf_dataset_example_gen_feeds_statistics_gen(tmp_path, topic_dataset):
    example_gen = HFDatasetExampleGen(dataset=topic_dataset,
                                      splits={"train": "train", "test": "eval"},
                                      columns=["text", "label"], class_label_columns=["label"])
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    metadata_path = _run(tmp_path, [example_gen, statistics_gen])

    (statistics_uri,) = _artifact_uris(metadata_path, "ExampleStatistics")
    from tensorflow_data_validation import load_stats_binary
    stats = load_stats_binary(os.path.join(statistics_uri, "Split-train", "FeatureStats.pb"))
    dataset_stats = stats.datasets[0]
    assert dataset_stats.num_examples == 90
    assert {f.path.step[0] for f in dataset_stats.features} == {"text", "label"}


def _csv_transform(tmp_path, checkpoint):
    example_gen = tfx.components.CsvExampleGen(input_base=_csv_dir(tmp_path))
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.SchemaGen(statistics=statistics_gen.outputs["statistics"])
    config = TaskConfig(checkpoint=checkpoint, max_length=16,
                        label_names=list(TOPICS), batch_size=4)
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"], schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN, custom_config=config.to_custom_config(),
        materialize=False)
    return config, [example_gen, statistics_gen, schema_gen, transform]


@pytest.fixture(scope="module")
def csv_pipeline(tmp_path_factory, tiny_checkpoint):
    """CsvExampleGen, StatisticsGen, SchemaGen and the standard Transform with our
    preprocessing_fn and TaskConfig, then HFTrainer: one LocalDagRunner run."""
    tmp_path = tmp_path_factory.mktemp("csv_pipeline")
    config, components = _csv_transform(tmp_path, tiny_checkpoint)
    example_gen, _, schema_gen, transform = components
    # CsvExampleGen records no label names: the TaskConfig carries them.
    trainer = HFTrainer(examples=example_gen.outputs["examples"],
                        transform_graph=transform.outputs["transform_graph"],
                        schema=schema_gen.outputs["schema"], config=config,
                        train_steps=2, eval_steps=1)
    return _run(tmp_path, components + [trainer])


def test_our_transform_config_after_csv_example_gen(csv_pipeline):
    (graph_uri,) = _artifact_uris(csv_pipeline, "TransformGraph")
    import tensorflow_transform as tft
    output = tft.TFTransformOutput(graph_uri)
    layer = output.transform_features_layer()
    features = layer({"text": tf.constant([["Match goal team."]]),
                      "label": tf.constant([[0]], tf.int64)})
    assert features["input_ids"].shape == (1, 16)
    assert int(features["label_id"][0]) == 0


def test_hf_trainer_after_a_standard_transform(csv_pipeline):
    (model_uri,) = _artifact_uris(csv_pipeline, "Model")
    import tensorflow_text  # noqa: F401  (registers the tokenizer ops)
    model = tf.saved_model.load(os.path.join(model_uri, "Format-Serving"))
    out = model.signatures["serving_default"](text=tf.constant(["The striker scored a goal."]))
    assert out["label"].numpy()[0].decode() in TOPICS


def test_custom_artifact_types_import_by_their_type_names():
    """TFX's KFP v2 container entry point imports a custom artifact type by its type name (the
    compiled schema title), which Vertex AI allows one dot in."""
    from tfx.utils import import_utils

    from tfx_hf.components.token_lengths.artifact import TokenLengthStatistics
    from tfx_hf.components.tokenizer_parity.artifact import TokenizerParity

    for artifact_type in (TokenizerParity, TokenLengthStatistics):
        assert artifact_type.TYPE_NAME.count(".") == 1, artifact_type.TYPE_NAME
        assert import_utils.import_class_by_path(artifact_type.TYPE_NAME) is artifact_type
