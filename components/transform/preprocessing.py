"""The `preprocessing_fn` for the standard Transform component (give it by import path:
`preprocessing_fn="tfx_hf.components.transform.preprocessing.preprocessing_fn"` with
`custom_config=TaskConfig(...).to_custom_config()`).

The checkpoint's tokenizer is built into the transform graph, so training (which applies this
graph to raw examples) and the exported serving model tokenize with the very same ops.
"""
from typing import Any, Dict

import tensorflow as tf
import tensorflow_transform as tft

from tfx_hf.components.task.config import LABEL_ID_FEATURE, MULTI_LABEL, REGRESSION, TaskConfig
from tfx_hf.components.tokenization import InGraphTokenizer

LABEL_VOCABULARY = "label_vocabulary"  # for string labels not already class ids


def _dense_column(tensor, default_value) -> tf.Tensor:
    """A `[batch]` tensor from a `[batch, 1]` dense or sparse/ragged feature (missing → default)."""
    if isinstance(tensor, tf.sparse.SparseTensor):
        tensor = tf.sparse.to_dense(
            tf.sparse.reset_shape(tensor, [tf.shape(tensor, out_type=tf.int64)[0], 1]),
            default_value=default_value)
    elif isinstance(tensor, tf.RaggedTensor):
        tensor = tensor[:, :1].to_tensor(default_value=default_value, shape=[None, 1])
    return tf.reshape(tensor, [-1])


def _label(label, task: str):
    """The label as training wants it: a class id, the class ids (multi-label), or a float."""
    if task == MULTI_LABEL:  # a list per row: kept as a sparse list, multi-hot in the Trainer
        if not isinstance(label, tf.sparse.SparseTensor):
            label = tf.sparse.from_dense(label) if isinstance(label, tf.Tensor) \
                else label.to_sparse()
        return tf.sparse.SparseTensor(label.indices, tf.cast(label.values, tf.int64),
                                      label.dense_shape)
    if task == REGRESSION:
        return _dense_column(tf.cast(label, tf.float32), float("nan"))
    if label.dtype == tf.string:
        return tft.compute_and_apply_vocabulary(_dense_column(label, ""),
                                                vocab_filename=LABEL_VOCABULARY)
    return _dense_column(tf.cast(label, tf.int64), -1)


def preprocessing_fn(inputs: Dict[str, Any], custom_config: Dict[str, Any]) -> Dict[str, Any]:
    config = TaskConfig.from_custom_config(custom_config)
    for feature in config.text_features:
        if feature not in inputs:
            raise ValueError(f"Text feature {feature!r} is not in the examples; features: "
                             f"{sorted(inputs)}.")
    tokenizer = InGraphTokenizer.from_pretrained(
        config.checkpoint, max_length=config.max_length, padding="max_length")
    texts = [_dense_column(inputs[f], "") for f in config.text_features]
    outputs = dict(tokenizer(*texts))
    if config.label_feature in inputs:
        outputs[LABEL_ID_FEATURE] = _label(inputs[config.label_feature], config.task)
    return outputs
