"""The `preprocessing_fn` for the standard Transform component (give it by import path:
`preprocessing_fn="tfx_hf.components.transform.preprocessing.preprocessing_fn"` with
`custom_config=TaskConfig(...).to_custom_config()`).

The checkpoint's tokenizer is built into the transform graph, so training (which applies this
graph to raw examples) and the exported serving model tokenize with the very same ops.
"""
from typing import Any, Dict

from tfx_hf.components.contracts import LABEL_ID_FEATURE
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import TaskConfig, get_task
from tfx_hf.components.task.config import MAX_LENGTH_AUTO
from tfx_hf.components.tokenization import InGraphTokenizer
from tfx_hf.components.transform.features import dense_column


def preprocessing_fn(inputs: Dict[str, Any], custom_config: Dict[str, Any]) -> Dict[str, Any]:
    config = TaskConfig.from_custom_config(custom_config)
    for feature in config.text_features:
        if feature not in inputs:
            raise InputError(f"Text feature {feature!r} is not in the examples; features: "
                             f"{sorted(inputs)}.")
    outputs = tokenize(in_graph_tokenizer(config), inputs, config)
    if config.label_feature in inputs:
        outputs[LABEL_ID_FEATURE] = get_task(config.task).transform_label(
            inputs[config.label_feature])
    return outputs


def in_graph_tokenizer(config: TaskConfig) -> InGraphTokenizer:
    """The checkpoint's tokenizer with the options the transform graph gives it (the tokenizer
    TokenizerParityCheck compares with the 🤗 fast tokenizer)."""
    if config.max_length == MAX_LENGTH_AUTO:
        raise InputError("max_length='auto' reached a component unresolved: create_pipeline "
                         "picks the number before the run (token_lengths.auto."
                         "resolve_max_length); give components a TaskConfig with a number.")
    return InGraphTokenizer.from_pretrained(
        config.checkpoint, max_length=config.max_length, padding="max_length")


def tokenize(tokenizer: InGraphTokenizer, inputs: Dict[str, Any],
             config: TaskConfig) -> Dict[str, Any]:
    """The model inputs of the text features of `inputs` (parsed tf.Example features: dense
    `[batch, 1]`, sparse or ragged; a missing text is "")."""
    texts = [dense_column(inputs[f], "") for f in config.text_features]
    return dict(tokenizer(*texts))
