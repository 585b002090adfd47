"""create_pipeline: a 🤗 dataset and checkpoint to a blessed, pushed, string-serving SavedModel.

HFDatasetExampleGen → StatisticsGen → SchemaGen → ExampleValidator → Transform (in-graph
tokenization) → HFTrainer → Resolver (latest blessed model) → Evaluator (TFMA) → Pusher.
"""
from typing import Any, List, Mapping, Optional

import tensorflow_model_analysis as tfma
from tfx import v1 as tfx

from tfx_hf.components.hf_dataset_example_gen import dataset_source
from tfx_hf.components.hf_dataset_example_gen.component import HFDatasetExampleGen
from tfx_hf.components.task.config import TaskConfig
from tfx_hf.components.tokenization.tokenizer_files import is_local_path, read_tokenizer_config
from tfx_hf.components.trainer.checkpoint import check_local_checkpoint
from tfx_hf.components.trainer.component import HFTrainer
from tfx_hf.components.vertex_trainer.component import HFVertexTrainer

PREPROCESSING_FN = "tfx_hf.components.transform.preprocessing.preprocessing_fn"
TENSORFLOW_TEXT_OPS = "tfx_hf.components.export.tensorflow_text_ops"


def eval_config(label_feature: str, min_accuracy: float) -> tfma.EvalConfig:
    """Accuracy on the eval split must reach `min_accuracy` and not fall below the baseline."""
    accuracy_threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": min_accuracy}),
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER, absolute={"value": -1e-10}))
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name="serving_tf_example",
                                    label_key=label_feature, prediction_key="probabilities")],
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=[tfma.MetricsSpec(metrics=[
            tfma.MetricConfig(class_name="ExampleCount"),
            tfma.MetricConfig(class_name="SparseCategoricalAccuracy",
                              threshold=accuracy_threshold),
        ])])


def validate_inputs(dataset: str, checkpoint: str) -> None:
    """Checks what can be checked before anything runs: local paths and tokenizer files (Hub
    ids are resolved where the components run)."""
    dataset_source.check_exists(dataset_source.DatasetSource(path=dataset))
    if is_local_path(checkpoint):
        check_local_checkpoint(checkpoint)
        read_tokenizer_config(checkpoint)


def create_pipeline(
    pipeline_name: str,
    pipeline_root: str,
    dataset: str,
    checkpoint: str,
    push_destination: str,
    text_feature: str = "text",
    label_feature: str = "label",
    splits: Optional[Mapping[str, str]] = None,
    config_name: Optional[str] = None,
    invalid_utf8: str = "error",
    max_length: int = 128,
    batch_size: int = 16,
    learning_rate: float = 5e-5,
    train_steps: int = 100,
    eval_steps: Optional[int] = None,
    min_accuracy: float = 0.5,
    metadata_path: Optional[str] = None,
    beam_pipeline_args: Optional[List[str]] = None,
    enable_cache: bool = False,
    validate: bool = True,
    vertex_training: Optional[Mapping[str, Any]] = None,
) -> tfx.dsl.Pipeline:
    """The text-classification pipeline.

    `splits` maps 🤗 split names to TFX ones (default: hash-partition the "train" split 2:1
    into train and eval). The label column is written as class ids with its names recorded;
    string labels are class-encoded. `invalid_utf8="replace"` reads bad bytes in csv/json/txt
    files as U+FFFD instead of stopping (see HFDatasetExampleGen). `metadata_path` is a SQLite MLMD file for local runs
    (None when an orchestrator such as Vertex provides MLMD). `validate=False` skips the local
    checks of dataset and checkpoint paths (for compiling a pipeline that runs elsewhere).
    `vertex_training` (project, region, worker_pool_specs) trains in a Vertex AI CustomJob
    with HFVertexTrainer instead of inside the pipeline step.
    """
    if validate:
        validate_inputs(dataset, checkpoint)
    config = TaskConfig(
        checkpoint=checkpoint, text_feature=text_feature, label_feature=label_feature,
        max_length=max_length, batch_size=batch_size, learning_rate=learning_rate)

    example_gen = HFDatasetExampleGen(
        dataset=dataset, config_name=config_name, splits=splits,
        columns=[text_feature, label_feature], class_label_columns=[label_feature],
        invalid_utf8=invalid_utf8)
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.SchemaGen(statistics=statistics_gen.outputs["statistics"])
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"], schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN, custom_config=config.to_custom_config(),
        materialize=False)
    # vertex_training: HFVertexTrainer's project, region, worker_pool_specs (pipelines/vertex.py).
    trainer_class = HFVertexTrainer if vertex_training else HFTrainer
    trainer = trainer_class(examples=example_gen.outputs["examples"],
                            transform_graph=transform.outputs["transform_graph"],
                            schema=schema_gen.outputs["schema"], config=config,
                            train_steps=train_steps, eval_steps=eval_steps,
                            **dict(vertex_training or {}))
    model_resolver = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("latest_blessed_model_resolver")
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"], model=trainer.outputs["model"],
        baseline_model=model_resolver.outputs["model"],
        eval_config=eval_config(label_feature, min_accuracy),
        module_path=TENSORFLOW_TEXT_OPS)
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=push_destination)))

    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=[example_gen, statistics_gen, schema_gen, example_validator, transform,
                    trainer, model_resolver, evaluator, pusher],
        enable_cache=enable_cache,
        metadata_connection_config=(
            tfx.orchestration.metadata.sqlite_metadata_connection_config(metadata_path)
            if metadata_path else None),
        beam_pipeline_args=beam_pipeline_args or [],
    )
