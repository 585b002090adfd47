"""`run_fn` for the TFX Trainer: fine-tunes a 🤗 TF model with Keras `compile()`/`fit()`.

Give it by import path (`run_fn="tfx_hf.components.trainer.run_fn.run_fn"`) so nothing is
packaged at compile time. Training reads the raw examples and applies the transform graph on
the fly: the ids the model trains on come from the same graph the serving model carries.
"""
import os
import time

import tensorflow as tf
import tensorflow_transform as tft
from absl import logging
from tfx.components.trainer.fn_args_utils import FnArgs
from tfx_bsl.public import tfxio

from tfx_hf.components.export.serving_model import export_serving_model, model_inputs
from tfx_hf.components.text_classification.config import LABEL_ID_FEATURE, TextClassificationConfig
from tfx_hf.components.tokenization.tokenizer_files import TOKENIZER_FILES, tokenizer_folder
from tfx_hf.components.trainer.checkpoint import load_sequence_classifier

HF_FORMAT_DIR = "Format-HF"  # beside Format-Serving in the Model artifact


class ProgressLogger(tf.keras.callbacks.Callback):
    """Logs loss and throughput every `every` steps: one Keras epoch may be the whole run."""

    def __init__(self, every: int, batch_size: int, total_steps: int):
        super().__init__()
        self.every, self.batch_size, self.total_steps = every, batch_size, total_steps
        self._started = None

    def on_train_begin(self, logs=None):
        self._started = time.time()

    def on_train_batch_end(self, batch, logs=None):
        step = batch + 1
        if step % self.every == 0 or step == self.total_steps:
            elapsed = time.time() - self._started
            logging.info("step %d/%d  loss %.4f  accuracy %.4f  %.1f examples/s", step,
                         self.total_steps, (logs or {}).get("loss", float("nan")),
                         (logs or {}).get("accuracy", float("nan")),
                         step * self.batch_size / max(elapsed, 1e-9))


def _dataset(file_pattern, data_accessor, tf_transform_output: tft.TFTransformOutput,
             config: TextClassificationConfig, training: bool) -> tf.data.Dataset:
    raw = data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(
            batch_size=config.batch_size, num_epochs=None if training else 1,
            shuffle=training, shuffle_seed=config.seed, drop_final_batch=training),
        tf_transform_output.raw_metadata.schema)
    tft_layer = tf_transform_output.transform_features_layer()

    def to_model_io(raw_features):
        transformed = tft_layer(raw_features)
        return model_inputs(transformed), transformed[LABEL_ID_FEATURE]

    return raw.map(to_model_io, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def run_fn(fn_args: FnArgs) -> None:
    from transformers import create_optimizer  # pylint: disable=g-import-not-at-top

    config = TextClassificationConfig.from_custom_config(fn_args.custom_config)
    if not config.label_names:
        raise ValueError(f"No label names for {config.label_feature!r}: make it a ClassLabel "
                         "(HFDatasetExampleGen `class_label_columns`) or set label_names.")
    tf.keras.utils.set_random_seed(config.seed)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train = _dataset(fn_args.train_files, fn_args.data_accessor, tf_transform_output, config,
                     training=True)
    evaluation = _dataset(fn_args.eval_files, fn_args.data_accessor, tf_transform_output,
                          config, training=False)

    model = load_sequence_classifier(config.checkpoint, config.label_names)
    optimizer, _ = create_optimizer(
        init_lr=config.learning_rate, num_train_steps=fn_args.train_steps,
        num_warmup_steps=int(config.warmup_ratio * fn_args.train_steps),
        weight_decay_rate=config.weight_decay)
    # No loss: the 🤗 model computes its own from the labels Keras passes as `y`.
    model.compile(optimizer=optimizer,
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy("accuracy")])
    logging.info("Training %s for %d steps of %d examples (max_length %d).", config.checkpoint,
                 fn_args.train_steps, config.batch_size, config.max_length)
    model.fit(train, steps_per_epoch=fn_args.train_steps, epochs=1,
              validation_data=evaluation, validation_steps=fn_args.eval_steps,
              callbacks=[tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir),
                         ProgressLogger(max(1, fn_args.train_steps // 10), config.batch_size,
                                        fn_args.train_steps)],
              verbose=2)

    export_serving_model(model, tf_transform_output, fn_args.serving_model_dir,
                         text_features=[config.text_feature],
                         label_feature=config.label_feature, label_names=config.label_names)
    hf_dir = os.path.join(os.path.dirname(fn_args.serving_model_dir), HF_FORMAT_DIR)
    model.save_pretrained(hf_dir)
    _copy_tokenizer_files(config.checkpoint, hf_dir)


def _copy_tokenizer_files(checkpoint: str, hf_dir: str) -> None:
    folder = tokenizer_folder(checkpoint)
    for name in TOKENIZER_FILES:
        source = os.path.join(folder, name)
        if tf.io.gfile.exists(source):
            tf.io.gfile.copy(source, os.path.join(hf_dir, name), overwrite=True)
