"""`run_fn` for the TFX Trainer: fine-tunes a 🤗 TF model with Keras `compile()`/`fit()`.

Give it by import path (`run_fn="tfx_hf.components.trainer.run_fn.run_fn"`) so nothing is
packaged at compile time. Training reads the raw examples and applies the transform graph on
the fly: the ids the model trains on come from the same graph the serving model carries.
"""
import importlib
import math
import os
import time
from typing import List, Optional

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from absl import logging
from tfx.components.trainer.fn_args_utils import FnArgs
from tfx_bsl.public import tfxio

from tfx_hf.components.contracts import LABEL_ID_FEATURE, hf_format_dir
from tfx_hf.components.export.serving_model import export_serving_model, model_inputs
from tfx_hf.components.task import Task, TaskConfig, get_task
from tfx_hf.components.task import long_text
from tfx_hf.components.tokenization.tokenizer_files import TOKENIZER_FILES, tokenizer_folder
from tfx_hf.components.trainer import bucketing, distribution, progress
from tfx_hf.components.trainer.checkpoint import load_model

LENGTH_SAMPLE_BATCHES = 64  # batches read to choose bucket lengths


class ProgressLogger(tf.keras.callbacks.Callback):
    """Logs loss and throughput every `every` optimizer steps (a Keras epoch may be the whole
    run), and the step a restarted run resumes from."""

    def __init__(self, every: int, batch_size: int, total_steps: int):
        super().__init__()
        self.every, self.batch_size, self.total_steps = every, batch_size, total_steps
        self._started, self._first_step = None, 0

    def on_train_begin(self, logs=None):
        self._started = time.time()
        self._first_step = int(self.model.optimizer.iterations.numpy())
        if self._first_step:
            logging.info("Resuming training at step %d/%d from the backup.", self._first_step,
                         self.total_steps)

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        if step % self.every == 0 or step == self.total_steps:
            elapsed = max(time.time() - self._started, 1e-9)
            logging.info("step %d/%d  loss %.4f  %.1f examples/s", step, self.total_steps,
                         (logs or {}).get("loss", float("nan")),
                         (step - self._first_step) * self.batch_size / elapsed)


def _rows(file_pattern, data_accessor, tf_transform_output: tft.TFTransformOutput,
          config: TaskConfig, task: Task, num_labels: int, training: bool) -> tf.data.Dataset:
    """(model inputs, label) rows, padded to max_length, from raw examples."""
    batches = data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(
            batch_size=config.batch_size, num_epochs=None if training else 1,
            shuffle=training, shuffle_seed=config.seed),
        tf_transform_output.raw_metadata.schema)
    tft_layer = tf_transform_output.transform_features_layer()

    def to_model_io(raw_features):
        transformed = tft_layer(raw_features)
        return (model_inputs(transformed),
                task.training_label(transformed[LABEL_ID_FEATURE], num_labels))

    return batches.map(to_model_io, num_parallel_calls=tf.data.AUTOTUNE).unbatch()


def _log_windows(file_pattern, data_accessor, tf_transform_output: tft.TFTransformOutput,
                 config: TaskConfig) -> dict:
    """With long_text="windows": how many windows the training documents make (all of them
    are read once through the transform graph, as training reads them), logged."""
    batches = data_accessor.tf_dataset_factory(
        file_pattern, tfxio.TensorFlowDatasetOptions(batch_size=256, num_epochs=1, shuffle=False),
        tf_transform_output.raw_metadata.schema)
    tft_layer = tf_transform_output.transform_features_layer()
    index, count = [], []
    for raw in batches:
        transformed = tft_layer(raw)
        index.append(transformed[long_text.WINDOW_INDEX_FEATURE].numpy())
        count.append(transformed[long_text.TEXT_WINDOWS_FEATURE].numpy())
    counts = long_text.window_counts(np.concatenate(index or [[]]),
                                     np.concatenate(count or [[]]), config.max_windows)
    logging.info("Long texts as windows of %d tokens (stride %d): %d training documents make "
                 "%d windows (%.2f per document, at most %d); %d documents have more than "
                 "max_windows=%d (only their first %d are used).", config.max_length,
                 config.stride, counts["documents"], counts["windows"],
                 counts["mean_windows_per_document"], counts["max_windows_per_document"],
                 counts["documents_over_max_windows"], config.max_windows, config.max_windows)
    return counts


def _bucket_lengths(sample_rows: tf.data.Dataset, config: TaskConfig) -> List[int]:
    """The lengths batches are padded to, in training and in the served model: with
    padding="buckets" a few chosen from a sample of the training rows, else max_length."""
    if config.padding == "max_length":
        return [config.max_length]
    lengths = np.concatenate([bucketing.row_lengths(features).numpy() for features, _ in
                              sample_rows.batch(config.batch_size).take(LENGTH_SAMPLE_BATCHES)])
    bucket_lengths = bucketing.choose_bucket_lengths(lengths, config.max_length,
                                                     config.num_buckets)
    logging.info("Padding batches to %d bucket lengths %s (median row length %d, max_length "
                 "%d): at most %d compiled shapes.", len(bucket_lengths), bucket_lengths,
                 int(np.median(lengths)), config.max_length, len(bucket_lengths))
    progress.report_bucket_lengths(bucket_lengths)
    return bucket_lengths


def _training_batches(rows: tf.data.Dataset, bucket_lengths: List[int], config: TaskConfig,
                      pad_id: int) -> tf.data.Dataset:
    if bucket_lengths == [config.max_length]:
        return rows.batch(config.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return bucketing.bucketed_batches(
        rows, bucket_lengths, config.batch_size, pad_id,
        token_labels=get_task(config.task).token_labels).prefetch(tf.data.AUTOTUNE)


def _loss(config: TaskConfig):
    """The user's loss if given; else the task's default (None: the 🤗 model's own loss)."""
    if config.loss:
        if "." in config.loss:
            module, _, name = config.loss.rpartition(".")
            return getattr(importlib.import_module(module), name)()
        return tf.keras.losses.get(config.loss)
    return get_task(config.task).default_loss()


def _pad_id(checkpoint: str) -> int:
    from transformers import AutoTokenizer  # only the Trainer needs transformers

    pad_id = AutoTokenizer.from_pretrained(tokenizer_folder(checkpoint)).pad_token_id
    return 0 if pad_id is None else pad_id


def run_fn(fn_args: FnArgs) -> None:
    config = TaskConfig.from_custom_config(fn_args.custom_config)
    task = get_task(config.task)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    label_names = task.label_names(config.label_names, tf_transform_output,
                                   config.label_feature)
    tf.keras.utils.set_random_seed(config.seed)
    strategy = distribution.choose_strategy(config.strategy)
    distribution.set_precision(distribution.choose_precision(config.precision, strategy))

    def rows(files, training):
        return _rows(files, fn_args.data_accessor, tf_transform_output, config, task,
                     len(label_names), training)

    window_counts = _log_windows(fn_args.train_files, fn_args.data_accessor,
                                 tf_transform_output, config) if config.windows else None
    bucket_lengths = _bucket_lengths(rows(fn_args.train_files, False), config)
    train = _training_batches(rows(fn_args.train_files, True), bucket_lengths, config,
                              _pad_id(config.checkpoint))
    evaluation = rows(fn_args.eval_files, False).batch(config.batch_size)
    with strategy.scope():
        model = _compiled_model(config, task, label_names, fn_args.train_steps)

    epochs = max(1, config.epochs)
    logging.info("Training %s (%s) for %d steps in %d epoch(s) of batches of %d, max_length "
                 "%d, padding %s, jit_compile %s.", config.checkpoint, config.task,
                 fn_args.train_steps, epochs, config.batch_size, config.max_length,
                 config.padding, config.jit_compile)
    model.fit(train, epochs=epochs, steps_per_epoch=math.ceil(fn_args.train_steps / epochs),
              validation_data=evaluation, validation_steps=fn_args.eval_steps,
              callbacks=_callbacks(config, fn_args), verbose=2)

    export_serving_model(model, tf_transform_output, fn_args.serving_model_dir,
                         text_features=config.text_features, label_feature=config.label_feature,
                         label_names=label_names, task=config.task,
                         serving_lengths=bucket_lengths,
                         text_server=task.text_server(config, label_names),
                         long_text=_long_text_info(config, window_counts),
                         jit_compile=config.serving_jit_compile)
    hf_dir = hf_format_dir(os.path.dirname(fn_args.serving_model_dir))
    model.save_pretrained(hf_dir)
    _copy_tokenizer_files(config.checkpoint, hf_dir)
    options = task.hf_tokenizer_options(config.checkpoint)
    if options:  # Format-HF's tokenizer must tokenize as the model was trained
        from transformers import AutoTokenizer

        AutoTokenizer.from_pretrained(hf_dir, **options).save_pretrained(hf_dir)


def _long_text_info(config: TaskConfig, window_counts: Optional[dict]):
    """model_info.json's `long_text`: how the served model reads long texts (None: truncated),
    and what the training documents made (`training_windows`: long_text.window_counts)."""
    if not config.windows:
        return None
    return {"long_text": config.long_text, "max_length": config.max_length,
            "stride": config.stride, "max_windows": config.max_windows,
            "aggregation": config.window_aggregation,
            "text_pair_windows": "only_second" if config.text_pair_feature else None,
            "training_windows": window_counts}


def _compiled_model(config: TaskConfig, task: Task, label_names, train_steps: int):
    """The checkpoint as the task's model, compiled with 🤗's AdamW and warm-up schedule."""
    from transformers import create_optimizer  # only the Trainer needs transformers

    model = load_model(config.checkpoint, task, label_names, allow_pickle=config.allow_pickle)
    optimizer, _ = create_optimizer(
        init_lr=config.learning_rate, num_train_steps=train_steps,
        num_warmup_steps=int(config.warmup_ratio * train_steps),
        weight_decay_rate=config.weight_decay)
    # Without a loss the 🤗 model computes its own from the labels Keras passes as `y`
    # (🤗's compile() must not even see `loss=None` for that).
    loss = _loss(config)
    model.compile(optimizer=optimizer, metrics=task.keras_metrics(),
                  jit_compile=config.jit_compile, **({"loss": loss} if loss else {}))
    return model


def _callbacks(config: TaskConfig, fn_args: FnArgs) -> list:
    callbacks = [  # BackupAndRestore first: the others see the restored step
        tf.keras.callbacks.BackupAndRestore(
            config.backup_dir or os.path.join(fn_args.model_run_dir, "backup"),
            save_freq=config.backup_every_steps, delete_checkpoint=True),
        # batch_loss about 50 times per run (the report's loss curve), epoch metrics per epoch
        tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir,
                                       update_freq=max(1, fn_args.train_steps // 50)),
        ProgressLogger(max(1, fn_args.train_steps // 20), config.batch_size,
                       fn_args.train_steps),
        progress.TrainingProgress(fn_args.train_steps, config.batch_size),
    ]
    if config.early_stopping_patience is not None:
        callbacks.append(tf.keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.early_stopping_patience,
            restore_best_weights=True))
    return callbacks


def _copy_tokenizer_files(checkpoint: str, hf_dir: str) -> None:
    folder = tokenizer_folder(checkpoint)
    for name in TOKENIZER_FILES + [n for n in tf.io.gfile.listdir(folder) if n.endswith(".model")]:
        source = os.path.join(folder, name)
        if tf.io.gfile.exists(source):
            tf.io.gfile.copy(source, os.path.join(hf_dir, name), overwrite=True)
