"""The `preprocessing_fn` for the standard Transform component (give it by import path:
`preprocessing_fn="tfx_hf.components.transform.preprocessing.preprocessing_fn"` with
`custom_config=TextClassificationConfig(...).to_custom_config()`).

The checkpoint's tokenizer is built into the transform graph, so training (which applies this
graph to raw examples) and the exported serving model tokenize with the very same ops.
"""
from typing import Any, Dict

import tensorflow as tf
import tensorflow_transform as tft

from tfx_hf.components.text_classification.config import LABEL_ID_FEATURE, TextClassificationConfig
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


def preprocessing_fn(inputs: Dict[str, Any], custom_config: Dict[str, Any]) -> Dict[str, Any]:
    config = TextClassificationConfig.from_custom_config(custom_config)
    if config.text_feature not in inputs:
        raise ValueError(f"Text feature {config.text_feature!r} is not in the examples; "
                         f"features: {sorted(inputs)}.")
    tokenizer = InGraphTokenizer.from_pretrained(
        config.checkpoint, max_length=config.max_length, padding="max_length")
    outputs = dict(tokenizer(_dense_column(inputs[config.text_feature], "")))
    if config.label_feature in inputs:
        label = inputs[config.label_feature]
        if label.dtype == tf.string:
            outputs[LABEL_ID_FEATURE] = tft.compute_and_apply_vocabulary(
                _dense_column(label, ""), vocab_filename=LABEL_VOCABULARY)
        else:
            outputs[LABEL_ID_FEATURE] = _dense_column(tf.cast(label, tf.int64), -1)
    return outputs
