"""`run_fn` for the TFX Trainer: fine-tunes a 🤗 TF model with Keras `compile()`/`fit()`.

Give it by import path (`run_fn="tfx_hf.components.trainer.run_fn.run_fn"`) so nothing is
packaged at compile time. Training reads the raw examples and applies the transform graph on
the fly: the ids the model trains on come from the same graph the serving model carries.
"""
import importlib
import math
import os
import time
from typing import List

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from absl import logging
from tfx.components.trainer.fn_args_utils import FnArgs
from tfx_bsl.public import tfxio

from tfx_hf.components.export.serving_model import export_serving_model, model_inputs
from tfx_hf.components.task.config import (LABEL_ID_FEATURE, MULTI_LABEL, REGRESSION,
                                           SINGLE_LABEL, TaskConfig)
from tfx_hf.components.tokenization.tokenizer_files import TOKENIZER_FILES, tokenizer_folder
from tfx_hf.components.trainer import bucketing, distribution
from tfx_hf.components.trainer.checkpoint import load_sequence_classifier

HF_FORMAT_DIR = "Format-HF"  # beside Format-Serving in the Model artifact
LABEL_VOCABULARY = "label_vocabulary"  # written by the preprocessing_fn for string labels
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


def _label_names(config: TaskConfig, tf_transform_output: tft.TFTransformOutput) -> List[str]:
    if config.task == REGRESSION:
        return []
    if config.label_names:
        return list(config.label_names)
    try:  # string labels that were not class-encoded get a vocabulary in Transform
        return [n.decode() for n in tf_transform_output.vocabulary_by_name(LABEL_VOCABULARY)]
    except (ValueError, tf.errors.NotFoundError):
        raise ValueError(f"No label names for {config.label_feature!r}: make it a ClassLabel "
                         "(HFDatasetExampleGen `class_label_columns`) or set label_names.")


def _rows(file_pattern, data_accessor, tf_transform_output: tft.TFTransformOutput,
          config: TaskConfig, num_labels: int, training: bool) -> tf.data.Dataset:
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
        label = transformed[LABEL_ID_FEATURE]
        if config.task == MULTI_LABEL:  # class ids → multi-hot
            label = tf.cast(tf.sparse.to_indicator(label, num_labels), tf.float32)
        return model_inputs(transformed), label

    return batches.map(to_model_io, num_parallel_calls=tf.data.AUTOTUNE).unbatch()


def _training_batches(rows: tf.data.Dataset, sample_rows: tf.data.Dataset,
                      config: TaskConfig, pad_id: int) -> tf.data.Dataset:
    if config.padding == "max_length":
        return rows.batch(config.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    lengths = np.concatenate([bucketing.row_lengths(features).numpy() for features, _ in
                              sample_rows.batch(config.batch_size).take(LENGTH_SAMPLE_BATCHES)])
    bucket_lengths = bucketing.choose_bucket_lengths(lengths, config.max_length,
                                                     config.num_buckets)
    logging.info("Padding training batches to %d bucket lengths %s (median row length %d, "
                 "max_length %d): at most %d compiled training shapes.", len(bucket_lengths),
                 bucket_lengths, int(np.median(lengths)), config.max_length,
                 len(bucket_lengths))
    return bucketing.bucketed_batches(rows, bucket_lengths, config.batch_size,
                                      pad_id).prefetch(tf.data.AUTOTUNE)


def _metrics(task: str):
    if task == SINGLE_LABEL:
        return [tf.keras.metrics.SparseCategoricalAccuracy("accuracy")]
    if task == MULTI_LABEL:  # logits > 0 ⇔ probability > 0.5
        return [tf.keras.metrics.BinaryAccuracy("accuracy", threshold=0.0)]
    return []


def _loss(config: TaskConfig):
    """The user's loss if given; else None (the 🤗 model's own loss), except for multi-label
    classification: 🤗 TF models ignore `problem_type` and would apply softmax cross-entropy."""
    if config.loss:
        if "." in config.loss:
            module, _, name = config.loss.rpartition(".")
            return getattr(importlib.import_module(module), name)()
        return tf.keras.losses.get(config.loss)
    if config.task == MULTI_LABEL:
        return tf.keras.losses.BinaryCrossentropy(from_logits=True)
    return None


def _pad_id(checkpoint: str) -> int:
    from transformers import AutoTokenizer  # pylint: disable=g-import-not-at-top

    pad_id = AutoTokenizer.from_pretrained(tokenizer_folder(checkpoint)).pad_token_id
    return 0 if pad_id is None else pad_id


def run_fn(fn_args: FnArgs) -> None:
    from transformers import create_optimizer  # pylint: disable=g-import-not-at-top

    config = TaskConfig.from_custom_config(fn_args.custom_config)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    label_names = _label_names(config, tf_transform_output)
    tf.keras.utils.set_random_seed(config.seed)
    strategy = distribution.choose_strategy(config.strategy)
    distribution.set_precision(distribution.choose_precision(config.precision, strategy))

    def rows(files, training):
        return _rows(files, fn_args.data_accessor, tf_transform_output, config,
                     len(label_names), training)

    train = _training_batches(rows(fn_args.train_files, True),
                              rows(fn_args.train_files, False), config,
                              _pad_id(config.checkpoint))
    evaluation = rows(fn_args.eval_files, False).batch(config.batch_size)

    with strategy.scope():
        model = load_sequence_classifier(config.checkpoint, label_names, task=config.task,
                                         allow_pickle=config.allow_pickle)
        optimizer, _ = create_optimizer(
            init_lr=config.learning_rate, num_train_steps=fn_args.train_steps,
            num_warmup_steps=int(config.warmup_ratio * fn_args.train_steps),
            weight_decay_rate=config.weight_decay)
        # Without a loss the 🤗 model computes its own from the labels Keras passes as `y`
        # (🤗's compile() must not even see `loss=None` for that).
        loss = _loss(config)
        model.compile(optimizer=optimizer, metrics=_metrics(config.task),
                      jit_compile=config.jit_compile, **({"loss": loss} if loss else {}))

    epochs = max(1, config.epochs)
    callbacks = [  # BackupAndRestore first: the others see the restored step
        tf.keras.callbacks.BackupAndRestore(
            config.backup_dir or os.path.join(fn_args.model_run_dir, "backup"),
            save_freq=config.backup_every_steps, delete_checkpoint=True),
        tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir),
        ProgressLogger(max(1, fn_args.train_steps // 20), config.batch_size,
                       fn_args.train_steps),
    ]
    if config.early_stopping_patience is not None:
        callbacks.append(tf.keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.early_stopping_patience,
            restore_best_weights=True))
    logging.info("Training %s (%s) for %d steps in %d epoch(s) of batches of %d, max_length "
                 "%d, padding %s, jit_compile %s.", config.checkpoint, config.task,
                 fn_args.train_steps, epochs, config.batch_size, config.max_length,
                 config.padding, config.jit_compile)
    model.fit(train, epochs=epochs, steps_per_epoch=math.ceil(fn_args.train_steps / epochs),
              validation_data=evaluation, validation_steps=fn_args.eval_steps,
              callbacks=callbacks, verbose=2)

    export_serving_model(model, tf_transform_output, fn_args.serving_model_dir,
                         text_features=config.text_features, label_feature=config.label_feature,
                         label_names=label_names, task=config.task)
    hf_dir = os.path.join(os.path.dirname(fn_args.serving_model_dir), HF_FORMAT_DIR)
    model.save_pretrained(hf_dir)
    _copy_tokenizer_files(config.checkpoint, hf_dir)


def _copy_tokenizer_files(checkpoint: str, hf_dir: str) -> None:
    folder = tokenizer_folder(checkpoint)
    for name in TOKENIZER_FILES + [n for n in tf.io.gfile.listdir(folder) if n.endswith(".model")]:
        source = os.path.join(folder, name)
        if tf.io.gfile.exists(source):
            tf.io.gfile.copy(source, os.path.join(hf_dir, name), overwrite=True)
