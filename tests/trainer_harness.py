"""Runs the real executors (HFDatasetExampleGen, StatisticsGen, SchemaGen, Transform, Trainer)
on temp-dir artifacts, as TFX would, without a pipeline around them."""
import json
import os

from tfx.components.schema_gen import executor as schema_gen_executor
from tfx.components.statistics_gen import executor as statistics_gen_executor
from tfx.components.transform import executor as transform_executor
from tfx.types import standard_artifacts
from tfx.utils import proto_utils

from tfx_hf.components.hf_dataset_example_gen import executor as example_gen_executor
from tfx_hf.components.hf_dataset_example_gen.component import HFDatasetExampleGen
from tfx_hf.components.trainer import executor as trainer_executor
from tfx_hf.components.trainer.component import RUN_FN
from tfx_hf.pipelines.text_classification import PREPROCESSING_FN


def _artifact(cls, uri, split_names=None):
    artifact = cls()
    artifact.uri = str(uri)
    if split_names:
        artifact.split_names = split_names
    return artifact


def _properties(component):
    return {k: proto_utils.proto_to_json(v) if hasattr(v, "DESCRIPTOR") else v
            for k, v in component.exec_properties.items()}


def prepare(root, dataset, config, **example_gen_kwargs):
    """Examples and transform graph for `config` (a TaskConfig)."""
    example_gen = HFDatasetExampleGen(dataset=dataset, **example_gen_kwargs)
    examples = _artifact(standard_artifacts.Examples, os.path.join(root, "examples"))
    example_gen_executor.Executor().Do({}, {"examples": [examples]}, _properties(example_gen))

    statistics = _artifact(standard_artifacts.ExampleStatistics, os.path.join(root, "stats"),
                           examples.split_names)
    statistics_gen_executor.Executor().Do(
        {"examples": [examples]}, {"statistics": [statistics]},
        {"exclude_splits": "[]"})
    schema = _artifact(standard_artifacts.Schema, os.path.join(root, "schema"))
    schema_gen_executor.Executor().Do(
        {"statistics": [statistics]}, {"schema": [schema]},
        {"infer_feature_shape": 1, "exclude_splits": "[]"})

    transform_graph = _artifact(standard_artifacts.TransformGraph, os.path.join(root, "tg"))
    transform_executor.Executor().Do(
        {"examples": [examples], "schema": [schema]},
        {"transform_graph": [transform_graph]},
        {"preprocessing_fn": PREPROCESSING_FN, "force_tf_compat_v1": 0,
         "custom_config": json.dumps(config.to_custom_config()),
         "splits_config": None, "disable_statistics": 1})
    return examples, transform_graph


def train(root, examples, transform_graph, config, train_steps, eval_steps=2):
    """Runs the Trainer executor; returns the Model and ModelRun artifacts."""
    model = _artifact(standard_artifacts.Model, os.path.join(root, "model"))
    model_run = _artifact(standard_artifacts.ModelRun, os.path.join(root, "model_run"))
    trainer_executor.Executor().Do(
        {"examples": [examples], "transform_graph": [transform_graph]},
        {"model": [model], "model_run": [model_run]},
        {"run_fn": RUN_FN, "train_args": json.dumps({"num_steps": train_steps}),
         "eval_args": json.dumps({"num_steps": eval_steps}),
         "custom_config": json.dumps(config.to_custom_config())})
    return model, model_run


def evaluate(root, examples, model, eval_config, baseline=None):
    """Runs HFEvaluator's executor on the eval split; returns (blessed, evaluation uri)."""
    from google.protobuf import json_format
    from tfx_hf.components.evaluation import executor as evaluator_executor
    from tfx_hf.components.evaluation.component import TENSORFLOW_TEXT_OPS

    evaluation = _artifact(standard_artifacts.ModelEvaluation, os.path.join(root, "evaluation"))
    blessing = _artifact(standard_artifacts.ModelBlessing, os.path.join(root, "blessing"))
    inputs = {"examples": [examples], "model": [model]}
    if baseline is not None:
        inputs["baseline_model"] = [baseline]
    evaluator_executor.Executor().Do(
        inputs, {"evaluation": [evaluation], "blessing": [blessing]},
        {"eval_config": json_format.MessageToJson(eval_config),
         "example_splits": json.dumps(["eval"]), "module_path": TENSORFLOW_TEXT_OPS,
         "fairness_indicator_thresholds": "null"})
    return blessing.get_int_custom_property("blessed") == 1, evaluation.uri


def eval_split(examples, label_feature):
    """The eval split's serialized tf.Examples and each row's label values."""
    import tensorflow as tf

    files = tf.io.gfile.glob(os.path.join(examples.uri, "Split-eval", "*"))
    records = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    labels = []
    for record in records:
        feature = tf.train.Example.FromString(record).features.feature[label_feature]
        labels.append(list(feature.int64_list.value) or list(feature.float_list.value))
    return tf.constant(records), labels
