"""create_pipeline: a 🤗 dataset and checkpoint to a blessed, pushed, string-serving SavedModel.

HFDatasetExampleGen → StatisticsGen → SchemaGen → ExampleValidator → Transform (in-graph
tokenization) → HFTrainer → Resolver (latest blessed model) → HFEvaluator (TFMA) → pushers
(TF Serving base path; optionally a Vertex AI endpoint and the 🤗 Hub). TokenizerParityCheck
runs on the Examples beside them, and the Trainer waits for it.
"""
import dataclasses
from typing import Any, Dict, List, Mapping, Optional, Sequence

from absl import logging
from tfx import v1 as tfx

from tfx_hf.components.evaluation.component import HFEvaluator
from tfx_hf.components.evaluation.eval_config import eval_config, threshold_names
from tfx_hf.components.hf_dataset_example_gen import dataset_source, word_tags
from tfx_hf.components.hf_dataset_example_gen.component import HFDatasetExampleGen
from tfx_hf.components.hf_hub_pusher.component import HFHubPusher
from tfx_hf.components.hub_paths import is_local_path
from tfx_hf.components.input_error import InputError
from tfx_hf.components.pusher.component import ServingPusher
from tfx_hf.components.task import TaskConfig, get_task
from tfx_hf.components.task.config import check_int, check_number
from tfx_hf.components.task.config import MAX_LENGTH_AUTO
from tfx_hf.components.token_lengths.auto import resolve_max_length
from tfx_hf.components.token_lengths.component import TokenLengthStatisticsGen
from tfx_hf.components.tokenization.tokenizer_files import read_tokenizer_config
from tfx_hf.components.tokenizer_parity.component import TokenizerParityCheck
from tfx_hf.components.tokenizer_parity.parity import DEFAULT_SAMPLE_SIZE
from tfx_hf.components.trainer.checkpoint import check_local_checkpoint, max_sequence_length
from tfx_hf.components.trainer.component import HFTrainer
from tfx_hf.components.vertex_trainer.component import HFVertexTrainer
from tfx_hf.pipelines.config import ConfigError

DEFAULT_PIPELINE_NAME = "tfx-hf-text-classification"
# A threshold of `thresholds` that is not a TFMA metric: TokenizerParityCheck's exact-row rate,
# which a model trained with allow_tokenizer_mismatch needs to be blessed (HFEvaluator).
TOKENIZER_RATE_THRESHOLD = "tokenizer_exact_row_rate"
PREPROCESSING_FN = "tfx_hf.components.transform.preprocessing.preprocessing_fn"
# Vertex AI's prebuilt TensorFlow 2.16 prediction image (TF Serving based).
VERTEX_SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-16:latest"


def vertex_pusher(model, model_blessing, vertex_endpoint: Mapping[str, Any],
                  allow_label_change: bool = False):
    """TFX's Google Cloud Pusher deploying to a Vertex AI endpoint (HFVertexPusher: not over a
    model of other labels unless `allow_label_change`).

    `vertex_endpoint`: `project_id`, `region`, `endpoint_name`, optionally `machine_type`
    (default n1-standard-4) and `container_image_uri`: a TF serving image with the
    tensorflow-text ops the model needs (README, "Evaluation and pushing").
    """
    # Only pipelines that push to Vertex load the Google Cloud extension.
    from tfx_hf.components.vertex_pusher.component import HFVertexPusher

    endpoint = dict(vertex_endpoint)
    missing = sorted({"project_id", "region", "endpoint_name"} - set(endpoint))
    if missing:
        raise ConfigError(f"vertex_endpoint needs {missing}; it has {sorted(endpoint)}.")
    region = endpoint.pop("region")
    image = endpoint.pop("container_image_uri", VERTEX_SERVING_IMAGE)
    endpoint.setdefault("machine_type", "n1-standard-4")
    return HFVertexPusher(model=model, model_blessing=model_blessing, custom_config={
        tfx.extensions.google_cloud_ai_platform.ENABLE_VERTEX_KEY: True,
        tfx.extensions.google_cloud_ai_platform.VERTEX_REGION_KEY: region,
        tfx.extensions.google_cloud_ai_platform.VERTEX_CONTAINER_IMAGE_URI_KEY: image,
        tfx.extensions.google_cloud_ai_platform.SERVING_ARGS_KEY: endpoint,
        **({"allow_label_change": True} if allow_label_change else {}),
    }).with_id("VertexPusher")


def validate_settings(train_steps: Any, eval_steps: Any, min_accuracy: Any,
                      baseline_tolerance: Any) -> None:
    """The settings create_pipeline takes beside TaskConfig's (which checks its own)."""
    check_int("train_steps", train_steps, minimum=1)
    if eval_steps is not None:
        check_int("eval_steps", eval_steps, minimum=1)
    check_number("min_accuracy", min_accuracy, minimum=0, maximum=1)
    if baseline_tolerance is not None:
        check_number("baseline_tolerance", baseline_tolerance, minimum=0)


def validate_inputs(dataset: str, checkpoint: str, config: Optional[TaskConfig] = None,
                    splits: Optional[Mapping[str, str]] = None,
                    config_name: Optional[str] = None,
                    invalid_utf8: str = dataset_source.DatasetSource.invalid_utf8
                    ) -> Optional[List[str]]:
    """Checks what can be checked before anything runs: local paths, tokenizer files, the
    checkpoint's longest sequence, and for a local dataset whose first rows are cheap to read,
    that the text columns hold text and a ClassLabel label has 2 classes at least, or for
    token classification that the words are lists of strings and the tags a
    Sequence(ClassLabel) (Hub ids are resolved where the components run; string labels are
    counted by HFDatasetExampleGen). Returns the tag names of a token-classification dataset
    it read (None otherwise)."""
    source = dataset_source.DatasetSource(path=dataset, config_name=config_name,
                                          invalid_utf8=invalid_utf8)
    dataset_source.check_exists(source)
    if is_local_path(checkpoint):
        check_local_checkpoint(checkpoint)
        read_tokenizer_config(checkpoint)
        if config is not None:
            get_task(config.task).check_checkpoint(checkpoint)
        longest = max_sequence_length(checkpoint)
        if config is not None and longest is not None:
            check_int("max_length", config.max_length, minimum=1, maximum=longest,
                      why=f"the position embeddings of checkpoint {checkpoint!r}")
        if config is not None and config.windows:
            check_window_stride(config, read_tokenizer_config(checkpoint))
    if config is not None and is_local_path(dataset):
        # The whole first split: a slice such as train[:80%] cannot be streamed.
        first_split = next(iter(splits or {}), "train").split("[")[0]
        return _check_local_dataset(source, config, first_split)
    return None


def check_window_stride(config: TaskConfig, tokenizer_config) -> None:
    """With long_text="windows": the stride leaves each window a token of its own (🤗 refuses
    a stride of a window's whole text budget, max_length less the special tokens)."""
    from tfx_hf.components.tokenization.packer import special_token_count

    single_template, _ = tokenizer_config.templates()
    budget = config.max_length - special_token_count(single_template)
    check_int("stride", config.stride, minimum=0, maximum=max(budget - 1, 0),
              why=f"windows of max_length={config.max_length} hold {budget} tokens of text "
                  "besides the special tokens; consecutive windows share `stride` of them")


def _check_local_dataset(source: dataset_source.DatasetSource, config: TaskConfig,
                         split: str) -> Optional[List[str]]:
    """The columns of the first split as `datasets` types them, read from its first rows."""
    import datasets

    from tfx_hf.components.hf_dataset_example_gen import executor as example_gen_executor

    streamed = dataclasses.replace(source, streaming=True)
    try:
        dataset = dataset_source.select_columns(
            dataset_source.load_split(streamed.to_json(), split),
            list(dict.fromkeys(config.text_features + [config.label_feature])), None,
            source.path)
    except InputError:
        raise
    except Exception as e:  # HFDatasetExampleGen reads it fully, and reports what is wrong
        logging.info("Columns of %s not checked before the run: %s", source.path, e)
        return None
    if get_task(config.task).token_labels:
        return word_tags.check_types(dataset.features, _word_tag_columns(config),
                                     source.path)[config.label_feature]
    example_gen_executor.check_text_columns({split: dataset}, config.text_features, source.path)
    label = dataset.features[config.label_feature]
    if get_task(config.task).encodes_class_labels and isinstance(label, datasets.ClassLabel):
        example_gen_executor.check_several_classes(config.label_feature, list(label.names),
                                                   source.path)
    return None


def _word_tag_columns(config: TaskConfig) -> Dict[str, str]:
    """Token classification's {words column: tags column} (text_feature, label_feature)."""
    return {config.text_feature: config.label_feature}


def create_pipeline(
    pipeline_name: str,
    pipeline_root: str,
    dataset: str,
    checkpoint: str,
    push_destination: str,
    text_feature: str = TaskConfig.text_feature,
    label_feature: str = TaskConfig.label_feature,
    splits: Optional[Mapping[str, str]] = None,
    config_name: Optional[str] = None,
    invalid_utf8: str = dataset_source.DatasetSource.invalid_utf8,
    max_length: int = TaskConfig.max_length,
    batch_size: int = TaskConfig.batch_size,
    learning_rate: float = TaskConfig.learning_rate,
    train_steps: int = 100,
    eval_steps: Optional[int] = None,
    min_accuracy: float = 0.5,
    metadata_path: Optional[str] = None,
    beam_pipeline_args: Optional[List[str]] = None,
    enable_cache: bool = False,
    validate: bool = True,
    vertex_training: Optional[Mapping[str, Any]] = None,
    task: str = TaskConfig.task,
    text_pair_feature: Optional[str] = TaskConfig.text_pair_feature,
    slicing_features: Sequence[str] = (),
    thresholds: Optional[Mapping[str, float]] = None,
    baseline_tolerance: Optional[float] = 0.0,
    vertex_endpoint: Optional[Mapping[str, Any]] = None,
    hub_repo_id: Optional[str] = None,
    hub_options: Optional[Mapping[str, Any]] = None,
    allow_label_change: bool = False,
    allow_tokenizer_mismatch: bool = False,
    tokenizer_parity_sample_size: int = DEFAULT_SAMPLE_SIZE,
    label_all_tokens: bool = TaskConfig.label_all_tokens,
    aggregation_strategy: str = TaskConfig.aggregation_strategy,
    long_text: str = TaskConfig.long_text,
    stride: int = TaskConfig.stride,
    max_windows: int = TaskConfig.max_windows,
    window_aggregation: str = TaskConfig.window_aggregation,
    serving_jit_compile: bool = TaskConfig.serving_jit_compile,
) -> tfx.dsl.Pipeline:
    """The text-classification pipeline.

    `splits` maps 🤗 split names to TFX ones (default: hash-partition the "train" split 2:1
    into train and eval). The label column is written as class ids with its names recorded;
    string labels are class-encoded. `invalid_utf8="replace"` reads bad bytes in csv/json/txt
    files as U+FFFD instead of stopping (see HFDatasetExampleGen). `metadata_path` is a SQLite
    MLMD file for local runs (None when an orchestrator such as Vertex provides MLMD).
    `validate=False` skips the local checks of dataset and checkpoint paths (for compiling a
    pipeline that runs elsewhere). `vertex_training` (project, region, worker_pool_specs)
    trains in a Vertex AI CustomJob with HFVertexTrainer instead of inside the pipeline step.
    The task's settings (`max_length`, `batch_size`, `learning_rate`, ...) default to
    TaskConfig's.

    `task`: single_label_classification (one text, or a pair with `text_pair_feature`),
    multi_label_classification (label: a list of ClassLabel ids), regression (label: a
    float) or token_classification (`text_feature`: a list of words per row, `label_feature`:
    a Sequence(ClassLabel) of tags, one per word; `label_all_tokens` and
    `aggregation_strategy` as TaskConfig's; no TokenizerParityCheck step: its split-word
    tokenization is checked against 🤗 by tests/test_tokenization_split_words.py).
    The Evaluator computes the task's metrics (components/evaluation) overall and per
    value of each of `slicing_features`; `thresholds` (metric → bound, see
    `threshold_names(task)`; for single-label `min_accuracy` is the accuracy bound) and
    `baseline_tolerance` (how much worse than the latest blessed model the main metric may be;
    None: no comparison) decide the blessing. A blessed model is pushed to `push_destination`
    (a TF Serving model base path), to the Vertex AI endpoint `vertex_endpoint` (see
    `vertex_pusher`) when given, and to the 🤗 Hub repository `hub_repo_id` when given
    (`hub_options`: HFHubPusher's options, e.g. branch, tag, private, token_file).

    A model is compared only with a blessed model of the same task and label names, and never
    pushed over a model with other ones: the run stops instead. `allow_label_change=True` (for
    a run meant to change the labels) evaluates the model without a baseline and lets the
    pusher replace the model at `push_destination`.

    Before training, TokenizerParityCheck tokenizes `tokenizer_parity_sample_size` rows of
    each split (rows with non-ASCII characters first) with the in-graph tokenizer, exactly as
    Transform calls it, and with the checkpoint's 🤗 fast tokenizer; any row whose ids differ
    stops the run (the Trainer waits for it) with those rows shown, unless
    `allow_tokenizer_mismatch=True`, which records the differences and trains anyway; such a
    model is then blessed only if `thresholds` also bounds the exact-row rate
    (`tokenizer_exact_row_rate`, e.g. 0.99) and the rate meets it. Its
    `tokenizer_parity` artifact (exact-row rate, rows compared, the first differing rows) goes
    into summary.json, the report and the Hub model card.

    `long_text`: `truncate` (each text's first max_length tokens) or `windows`: a longer text
    is read as 🤗's overflowing windows of max_length tokens, `stride` of them shared by
    consecutive windows (of a pair, windows of the second text), at most `max_windows` per
    text; training learns each window with its text's label, and the served model answers
    per text from its windows' logits aggregated by `window_aggregation` (`mean_logits`,
    softmax of their mean; or `max_logits`). See components/task/long_text.py.

    `max_length="auto"` picks the smallest multiple of 8 covering the 95th percentile of the
    training texts' token lengths (capped by the model) before the run; TokenLengthStatisticsGen
    records per split the token lengths (quantiles, mean), the share truncated at max_length,
    the share of unknown tokens and windows per text (summary.json `token_lengths`).

    `serving_jit_compile=True` exports the served model's model part under XLA (TF Serving
    must then run with `--xla_cpu_compilation_enabled`); see TaskConfig.

    Settings out of range (`max_length` above the checkpoint's position embeddings,
    `train_steps` < 1, a single class, a text column of numbers, ...) raise InputError here,
    before any component runs.
    """
    config = TaskConfig(
        checkpoint=checkpoint, task=task, text_feature=text_feature,
        text_pair_feature=text_pair_feature, label_feature=label_feature,
        max_length=max_length, batch_size=batch_size, learning_rate=learning_rate,
        label_all_tokens=label_all_tokens, aggregation_strategy=aggregation_strategy,
        long_text=long_text, stride=stride, max_windows=max_windows,
        window_aggregation=window_aggregation, serving_jit_compile=serving_jit_compile)
    token_labels = get_task(config.task).token_labels
    validate_settings(train_steps, eval_steps, min_accuracy, baseline_tolerance)
    thresholds = dict(thresholds or {})
    min_tokenizer_rate = thresholds.pop(TOKENIZER_RATE_THRESHOLD, None)
    if min_tokenizer_rate is not None:
        check_number(f"thresholds.{TOKENIZER_RATE_THRESHOLD}", min_tokenizer_rate, minimum=0,
                     maximum=1)
    check_int("tokenizer_parity_sample_size", tokenizer_parity_sample_size, minimum=1)
    tag_names = None
    config, max_length_auto = _resolve_max_length(config, dataset, config_name, splits,
                                                  invalid_utf8, validate)
    if validate:
        tag_names = validate_inputs(dataset, checkpoint, config, splits, config_name,
                                    invalid_utf8)
        if token_labels and label_all_tokens:  # Transform maps B- tags to I- tags by name
            config.label_names = tag_names
    example_gen = _example_gen(config, dataset, config_name, splits, invalid_utf8,
                               slicing_features)
    statistics_gen, schema_gen, example_validator = _data_validation(example_gen)
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"], schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN, custom_config=config.to_custom_config(),
        materialize=False)
    parity_check = None if token_labels else TokenizerParityCheck(
        examples=example_gen.outputs["examples"], config=config,
        sample_size=tokenizer_parity_sample_size,
        allow_tokenizer_mismatch=allow_tokenizer_mismatch)
    # Both read one text per row: token classification's rows are lists of words.
    token_lengths = None if token_labels else TokenLengthStatisticsGen(
        examples=example_gen.outputs["examples"], config=config,
        stride=config.stride, max_length_auto=max_length_auto)
    trainer = _trainer(config, example_gen, schema_gen, transform, train_steps, eval_steps,
                       vertex_training)
    # The standard Trainer's spec has no input for it: a task dependency, which LocalDagRunner,
    # BeamDagRunner and KFP/Vertex (dependentTasks) all honour. A failed check stops the run
    # before training; the Hub pusher reads the artifact itself (for the model card).
    if parity_check:
        trainer.add_upstream_node(parity_check)
    # With the labels allowed to change, the latest blessed model may answer another question:
    # no baseline, the model is judged on its own thresholds.
    model_resolver = None if allow_label_change else _latest_blessed_model_resolver()
    evaluator = HFEvaluator(
        examples=example_gen.outputs["examples"], model=trainer.outputs["model"],
        baseline_model=model_resolver.outputs["model"] if model_resolver else None,
        eval_config=_eval_config(config.task, min_accuracy, slicing_features, thresholds,
                                 baseline_tolerance, tag_names),
        # Only a run that may train despite differences needs the certificate judged.
        tokenizer_parity=parity_check.outputs["tokenizer_parity"]
        if parity_check and allow_tokenizer_mismatch else None,
        min_tokenizer_exact_row_rate=float(min_tokenizer_rate)
        if allow_tokenizer_mismatch and min_tokenizer_rate is not None else None)
    pushers = _pushers(trainer, evaluator, push_destination, vertex_endpoint, hub_repo_id,
                       hub_options, dataset, checkpoint, allow_label_change,
                       parity_check.outputs["tokenizer_parity"] if parity_check else None)
    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        # Pipeline orders them by dependency: the parity check runs beside StatisticsGen.
        components=[example_gen] + ([parity_check] if parity_check else [])
        + [statistics_gen, schema_gen, example_validator, transform, trainer]
        + ([model_resolver] if model_resolver else []) + [evaluator] + pushers
        + ([token_lengths] if token_lengths else []),
        enable_cache=enable_cache,
        metadata_connection_config=(
            tfx.orchestration.metadata.sqlite_metadata_connection_config(metadata_path)
            if metadata_path else None),
        beam_pipeline_args=beam_pipeline_args or [],
    )


def _resolve_max_length(config: TaskConfig, dataset: str, config_name: Optional[str],
                        splits: Optional[Mapping[str, str]], invalid_utf8: str,
                        validate: bool):
    """max_length="auto" picked from the token lengths of the split that becomes TFX's
    "train" (token_lengths/auto.py), before any component gets the config."""
    if config.max_length != MAX_LENGTH_AUTO:
        return config, None
    if not validate:
        raise ConfigError("max_length='auto' is picked from the dataset before the run, here; "
                          "compiling for another machine (validate=False) needs a number: run "
                          "locally once (the run output and summary.json say what auto picked) "
                          "or give --max-length N.")
    split = next((name for name, tfx_split in (splits or {}).items() if tfx_split == "train"),
                 next(iter(splits or {}), "train")).split("[")[0]
    source = dataset_source.DatasetSource(path=dataset, config_name=config_name,
                                          invalid_utf8=invalid_utf8)
    return resolve_max_length(config, source, split)


def _example_gen(config: TaskConfig, dataset: str, config_name: Optional[str],
                 splits: Optional[Mapping[str, str]], invalid_utf8: str,
                 slicing_features: Sequence[str]) -> HFDatasetExampleGen:
    """Only the columns the task and the slices read."""
    if get_task(config.task).token_labels:
        return HFDatasetExampleGen(
            dataset=dataset, config_name=config_name, splits=splits,
            columns=list(dict.fromkeys(config.text_features + [config.label_feature]
                                       + list(slicing_features))),
            word_tag_columns=_word_tag_columns(config), invalid_utf8=invalid_utf8)
    return HFDatasetExampleGen(
        dataset=dataset, config_name=config_name, splits=splits,
        columns=list(dict.fromkeys(config.text_features + [config.label_feature]
                                   + list(slicing_features))),
        # Multi-label ids are a Sequence(ClassLabel), named as they are; regression has none.
        class_label_columns=[config.label_feature]
        if get_task(config.task).encodes_class_labels else [],
        text_columns=config.text_features,
        invalid_utf8=invalid_utf8)


def _data_validation(example_gen: HFDatasetExampleGen):
    """StatisticsGen, SchemaGen and ExampleValidator on the examples, as TFX has them."""
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.SchemaGen(statistics=statistics_gen.outputs["statistics"])
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    return statistics_gen, schema_gen, example_validator


def _trainer(config: TaskConfig, example_gen, schema_gen, transform, train_steps: int,
             eval_steps: Optional[int], vertex_training: Optional[Mapping[str, Any]]):
    """HFTrainer, or with `vertex_training` (HFVertexTrainer's project, region and
    worker_pool_specs, see pipelines/vertex.py) the same training in a Vertex AI CustomJob."""
    trainer_class = HFVertexTrainer if vertex_training else HFTrainer
    return trainer_class(examples=example_gen.outputs["examples"],
                         transform_graph=transform.outputs["transform_graph"],
                         schema=schema_gen.outputs["schema"], config=config,
                         train_steps=train_steps, eval_steps=eval_steps,
                         **dict(vertex_training or {}))


def _latest_blessed_model_resolver() -> tfx.dsl.Resolver:
    """The baseline the Evaluator compares a new model with."""
    return tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("latest_blessed_model_resolver")


def _eval_config(task: str, min_accuracy: float, slicing_features: Sequence[str],
                 thresholds: Optional[Mapping[str, float]],
                 baseline_tolerance: Optional[float], tag_names: Optional[List[str]] = None):
    """The task's TFMA config; for a task with an `accuracy` threshold (single-label),
    `min_accuracy` is its bound unless `thresholds` names one. `tag_names` (token
    classification, read from a local dataset): the entity metrics' tag names."""
    if "accuracy" in threshold_names(task):
        thresholds = {"accuracy": min_accuracy, **(thresholds or {})}
    config = eval_config(task, slicing=slicing_features, thresholds=thresholds,
                         baseline_tolerance=baseline_tolerance)
    if tag_names:
        from tfx_hf.components.evaluation.entity_metrics import with_label_names

        config = with_label_names(config, tag_names)
    return config


def _pushers(trainer, evaluator, push_destination: str,
             vertex_endpoint: Optional[Mapping[str, Any]], hub_repo_id: Optional[str],
             hub_options: Optional[Mapping[str, Any]], dataset: str, checkpoint: str,
             allow_label_change: bool, tokenizer_parity=None) -> list:
    """TF Serving's base path always; a Vertex AI endpoint and the 🤗 Hub when asked for. Each
    pushes only a blessed model."""
    model, blessing = trainer.outputs["model"], evaluator.outputs["blessing"]
    pushers = [ServingPusher(
        model=model, model_blessing=blessing, allow_label_change=allow_label_change,
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=push_destination)))]
    if vertex_endpoint:
        pushers.append(vertex_pusher(model, blessing, vertex_endpoint, allow_label_change))
    if hub_repo_id:
        pushers.append(HFHubPusher(
            model=model, repo_id=hub_repo_id, model_blessing=blessing,
            model_evaluation=evaluator.outputs["evaluation"], tokenizer_parity=tokenizer_parity,
            dataset=dataset, checkpoint=checkpoint,
            **{"allow_label_change": allow_label_change, **dict(hub_options or {})}))
    return pushers
