"""export_serving_model: a 🤗 TF model and its transform graph as one SavedModel.

Signatures:
- `serving_default`: raw `[batch]` strings, one input per text feature → the task's outputs
  (components/task): for single-label classification `label` (class name), `label_id` and
  `probabilities`; for multi-label classification `scores` (a sigmoid per class); for
  regression `scores` (the value).
- `serving_tf_example`: serialized tf.Examples → the same outputs (for TFMA, BulkInferrer).
- `transform_features`: serialized tf.Examples → the transformed features.
- `transform_labels`: serialized tf.Examples → `label_id` as evaluation compares it with the
  outputs (the task's `evaluation_label`: class id; multi-hot over the classes for
  multi-label; the value for regression), from the same transform graph (TFMA's
  `preprocessing_function_names`).

Token classification (components/task/token_classification.py) serves raw text otherwise:
its transform graph reads words, so `serving_default(text)` runs the task's `text_server`
(tokenizer with offsets, the model, entity aggregation), and `serving_tf_example`'s outputs
are token-level at full max_length, position by position with `transform_labels`.

Each request batch is tokenized to max_length, then cut to the smallest of a few serving
lengths (the Trainer's bucket lengths) that holds its longest row: short texts cost a fraction
of a max_length pass, with the same logits. `assets.extra/tf_serving_warmup_requests` holds
one request per serving length for TF Serving's warm-up. With `jit_compile=True` the model
part (token ids → logits) is one XLA cluster, compiled once per serving length and batch size;
the tokenizer (string ops XLA cannot take) and the task's outputs stay outside it.

With long texts as windows (TaskConfig `long_text="windows"`, task/long_text.py) the transform
graph returns one row per window: the model runs on all windows of the request at once, and
each text's logits are aggregated over its windows (`long_text["aggregation"]`:
`mean_logits` or `max_logits`) before the task's outputs, one answer per text;
`transform_labels` gives each text's label once (its first window's).

It loads with `tf.saved_model.load` where only tensorflow and tensorflow-text are installed;
`assets.extra/requirements.txt` names the tensorflow-text version its ops need.
"""
from typing import Any, Dict, List, Optional, Sequence

import tensorflow as tf
import tensorflow_text
import tensorflow_transform as tft

from tfx_hf.components.contracts import (EXAMPLES_INPUT, LABEL_ID_FEATURE, MODEL_INPUT_NAMES,
                                         SERVING_DEFAULT_SIGNATURE, SERVING_EXAMPLE_SIGNATURE,
                                         TRANSFORM_FEATURES_SIGNATURE, TRANSFORM_LABELS_SIGNATURE,
                                         ModelInfo)
from tfx_hf.components.export.requirements import write_requirements
from tfx_hf.components.export.warmup import warmup_texts, write_warmup_requests
from tfx_hf.components.task import Task, get_task
from tfx_hf.components.task import long_text as windows


def model_inputs(transformed: Dict[str, tf.Tensor]) -> Dict[str, tf.Tensor]:
    """The 🤗 model's inputs from transformed features: int64 (tf.Example) → int32 (🤗)."""
    return {k: tf.cast(v, tf.int32) for k, v in transformed.items() if k in MODEL_INPUT_NAMES}


def cut_to_serving_length(inputs: Dict[str, tf.Tensor],
                          serving_lengths: tf.Tensor) -> Dict[str, tf.Tensor]:
    """Model inputs padded (on the right) to max_length, cut to the smallest of
    `serving_lengths` (ascending, the last max_length) that holds the batch's longest row:
    what is cut is padding only, so the logits are those of the full inputs, at a fraction of
    the compute for short texts. A bounded set of shapes, as in training (bucketing.py)."""
    if "attention_mask" not in inputs:
        return inputs
    longest = tf.reduce_max(tf.reduce_sum(inputs["attention_mask"], axis=-1))
    length = tf.gather(serving_lengths, tf.searchsorted(serving_lengths, [longest])[0])
    return {name: value[:, :length] for name, value in inputs.items()}


class _Untracked:
    """Holds an object without making it a dependency of a tf.Module."""

    def __init__(self, value):
        self.value = value


class _ServingModule(tf.Module):

    def __init__(self, model, tf_transform_output: tft.TFTransformOutput,
                 text_features: Sequence[str], label_feature: str, label_names: List[str],
                 task: Task, serving_lengths: Sequence[int], jit_compile: bool = False,
                 text_server: Optional[tf.Module] = None,
                 window_aggregation: Optional[str] = None):
        super().__init__()
        self.text_server = text_server
        # The model is called, not tracked: tracking a Keras model makes tf.saved_model.save
        # trace every layer's call for Keras reloading (most of the export's time), which
        # serving never uses. Its variables are tracked instead, so the SavedModel holds them.
        self._model = _Untracked(model)
        self.model_variables = list(model.variables)
        self._task = task
        self.tft_layer = tf_transform_output.transform_features_layer()
        self._label_names = tf.constant(label_names or [""], tf.string)
        self._text_features = list(text_features)
        raw_spec = tf_transform_output.raw_feature_spec()
        # Only the text features are parsed: other columns kept in the examples (slicing
        # features, ids) need not be in a request.
        self._raw_feature_spec = {name: raw_spec[name] for name in text_features}
        self._label_spec = {label_feature: raw_spec[label_feature]} \
            if label_feature in raw_spec else {}
        if self._label_spec and task.token_labels:  # labels follow the words' tokens
            self._label_spec.update(self._raw_feature_spec)
        self._num_labels = len(label_names or [])
        self._serving_lengths = tf.constant(sorted(serving_lengths), tf.int32)
        # Only the model part is compiled: the tokenizer's string ops have no XLA kernels.
        # The inputs' shapes are bounded by the serving lengths, so XLA compiles one program
        # per length (and batch size), not one per request.
        self._logits = _Untracked(tf.function(self._model_logits, jit_compile=True)
                                  if jit_compile else self._model_logits)
        # Long texts as windows: the transform graph returns one row per window.
        self._window_aggregation = window_aggregation if windows.WINDOW_TEXT_FEATURE in \
            tf_transform_output.transformed_feature_spec() else None

    def _model_logits(self, inputs: Dict[str, tf.Tensor]) -> tf.Tensor:
        return tf.cast(self._model.value(inputs, training=False).logits, tf.float32)

    def _predict(self, raw_features: Dict[str, tf.Tensor]) -> Dict[str, tf.Tensor]:
        transformed = self.tft_layer(raw_features)
        # Token-level outputs stay at max_length, aligned with the labels TFMA compares.
        logits = self._run_model(transformed, cut=not self._task.token_labels)
        if self._window_aggregation:
            logits = windows.aggregate_logits(
                logits, transformed[windows.WINDOW_TEXT_FEATURE],
                _batch_size(raw_features[self._text_features[0]]), self._window_aggregation)
        return self._task.serving_outputs(logits, self._label_names)

    def _run_model(self, transformed: Dict[str, tf.Tensor], cut: bool = True) -> tf.Tensor:
        """Model inputs padded to max_length → float32 logits (cut to a serving length)."""
        inputs = model_inputs(transformed)
        if cut:
            inputs = cut_to_serving_length(inputs, self._serving_lengths)
        return self._logits.value(inputs)

    @property
    def warmup_features(self) -> List[str]:
        """The text features, the one warm-up texts fill first: the first text, but of a pair
        read as windows the second (the one cut to windows; a long first text is an error)."""
        if self._window_aggregation and len(self._text_features) > 1:
            return self._text_features[::-1]
        return list(self._text_features)

    def row_lengths(self, texts: List[str]) -> List[int]:
        """Real tokens per row of `texts` in the first of `warmup_features` ("" in the
        others)."""
        if self.text_server is not None:
            return self.text_server.row_lengths(texts)
        filled = self.warmup_features[0]
        raw = {name: tf.constant([[text if name == filled else ""] for text in texts])
               for name in self._text_features}
        transformed = self.tft_layer(raw)
        if self._window_aggregation:  # each text's first window
            rows = windows.first_windows(transformed)
            transformed = {name: tf.gather(value, rows) for name, value in transformed.items()}
        if "attention_mask" not in transformed:  # no cut (cut_to_serving_length): all full
            return [int(transformed["input_ids"].shape[-1])] * len(texts)
        mask = tf.cast(transformed["attention_mask"], tf.int32)
        return tf.reduce_sum(mask, axis=-1).numpy().tolist()

    def _parse(self, serialized: tf.Tensor) -> Dict[str, tf.Tensor]:
        return tf.io.parse_example(serialized, self._raw_feature_spec)

    def signatures(self) -> Dict[str, tf.types.experimental.ConcreteFunction]:
        text_specs = [tf.TensorSpec([None], tf.string, name=name) for name in
                      self._task.serving_text_inputs(self._text_features)]

        @tf.function(input_signature=text_specs)
        def serve_text(*texts):
            if self.text_server is not None:
                return self.text_server(*texts, run_model=self._run_model)
            # The transform graph takes raw features as parsed from tf.Example: [batch, 1].
            return self._predict({name: tf.reshape(text, [-1, 1])
                                  for name, text in zip(self._text_features, texts)})

        examples_spec = [tf.TensorSpec([None], tf.string, name=EXAMPLES_INPUT)]

        @tf.function(input_signature=examples_spec)
        def serve_tf_example(examples):
            return self._predict(self._parse(examples))

        @tf.function(input_signature=examples_spec)
        def transform_features(examples):
            return self.tft_layer(self._parse(examples))

        signatures = {SERVING_DEFAULT_SIGNATURE: serve_text.get_concrete_function(),
                      SERVING_EXAMPLE_SIGNATURE: serve_tf_example.get_concrete_function(),
                      TRANSFORM_FEATURES_SIGNATURE: transform_features.get_concrete_function()}
        if self._label_spec:
            @tf.function(input_signature=examples_spec)
            def transform_labels(examples):
                if self._window_aggregation:
                    # One label per text: its first window's (the graph gives one per window).
                    transformed = self.tft_layer(tf.io.parse_example(
                        examples, {**self._raw_feature_spec, **self._label_spec}))
                    label_id = windows.gather_rows(transformed[LABEL_ID_FEATURE],
                                                   windows.first_windows(transformed))
                    return {LABEL_ID_FEATURE: self._task.evaluation_label(label_id,
                                                                          self._num_labels)}
                # Only the label is parsed (with the words for token labels): the transform
                # graph prunes the tokenizer away.
                label_id = self.tft_layer(tf.io.parse_example(examples, self._label_spec))[
                    LABEL_ID_FEATURE]
                return {LABEL_ID_FEATURE: self._task.evaluation_label(label_id,
                                                                      self._num_labels)}

            signatures[TRANSFORM_LABELS_SIGNATURE] = transform_labels.get_concrete_function()
        return signatures


def export_serving_model(model, tf_transform_output: tft.TFTransformOutput, export_dir: str,
                         text_features: Sequence[str], label_feature: str,
                         label_names: List[str], task: str,
                         serving_lengths: Optional[Sequence[int]] = None,
                         jit_compile: bool = False,
                         text_server: Optional[tf.Module] = None,
                         long_text: Optional[Dict[str, Any]] = None) -> str:
    """Saves `model` with the transform graph and string-in signatures to `export_dir`, with
    `assets.extra/requirements.txt`, `model_info.json` (contracts.ModelInfo) and TF Serving's
    warm-up requests. Each request batch is padded to the smallest serving length that holds
    it: `serving_lengths` (the Trainer's bucket lengths), and powers of two from 16 and the
    multiples of 8 halfway between them (24, 48, 96, ...: at most ~1.5× a row's length) below
    max_length (requests can be shorter than any training row), and max_length. `jit_compile`
    compiles the model part with XLA (TF Serving then needs `--xla_cpu_compilation_enabled`).
    `text_server`: the task's (Task.text_server), for a task that serves text otherwise."""
    max_length = _max_length(tf_transform_output)
    serving_lengths = sorted(set(serving_lengths or []) | set(_short_request_lengths(max_length))
                             | {max_length})
    task_object = get_task(task)
    module = _ServingModule(model, tf_transform_output, text_features, label_feature,
                            label_names, task_object, serving_lengths, jit_compile, text_server,
                            (long_text or {}).get("aggregation", windows.MEAN_LOGITS))
    serving_inputs = task_object.serving_text_inputs(list(text_features))
    tf.saved_model.save(module, export_dir, signatures=module.signatures())
    write_requirements(export_dir, {"tensorflow": tf.__version__,
                                    "tensorflow-text": tensorflow_text.__version__})
    ModelInfo(task=task, text_features=serving_inputs, label_names=list(label_names),
              tensorflow_text_version=tensorflow_text.__version__,
              serving_lengths=serving_lengths, long_text=long_text).write(export_dir)
    texts = warmup_texts(module.row_lengths, serving_lengths, max_words=max_length)
    # A task's own text server names its inputs; else the warm-up fills the windowed text.
    write_warmup_requests(export_dir, serving_inputs if text_server is not None
                          else module.warmup_features, texts)
    return export_dir


def _batch_size(raw_feature) -> tf.Tensor:
    """Rows of a parsed raw feature (dense [batch, 1], or sparse)."""
    if isinstance(raw_feature, tf.sparse.SparseTensor):
        return raw_feature.dense_shape[0]
    return tf.shape(raw_feature, out_type=tf.int64)[0]


def _short_request_lengths(max_length: int) -> List[int]:
    """16, 24, 32, 48, 64, 96, ... below max_length: requests shorter than the training rows
    are padded by at most half their length (powers of two alone: up to double)."""
    lengths = [n for k in range(4, max_length.bit_length()) for n in (2 ** k, 3 * 2 ** (k - 1))]
    return sorted(n for n in lengths if n < max_length)


def _max_length(tf_transform_output: tft.TFTransformOutput) -> int:
    """The length the transform graph pads the model inputs to."""
    return int(tf_transform_output.transformed_feature_spec()["input_ids"].shape[-1])
