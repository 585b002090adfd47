"""The `preprocessing_fn` for the standard Transform component (give it by import path:
`preprocessing_fn="tfx_hf.components.transform.preprocessing.preprocessing_fn"` with
`custom_config=TaskConfig(...).to_custom_config()`).

The checkpoint's tokenizer is built into the transform graph, so training (which applies this
graph to raw examples) and the exported serving model tokenize with the very same ops.

With `long_text="windows"` the graph returns one row per window of each text (the batch
grows; every output, the label included, has one row per window) with the window features
of task/long_text.py.
"""
from typing import Any, Dict

from tfx_hf.components.contracts import LABEL_ID_FEATURE
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import TaskConfig, get_task
from tfx_hf.components.task.long_text import (WINDOW_TEXT_FEATURE, gather_rows,
                                              window_features)
from tfx_hf.components.task.config import MAX_LENGTH_AUTO
from tfx_hf.components.tokenization import InGraphTokenizer
from tfx_hf.components.transform.features import dense_column


def preprocessing_fn(inputs: Dict[str, Any], custom_config: Dict[str, Any]) -> Dict[str, Any]:
    config = TaskConfig.from_custom_config(custom_config)
    for feature in config.text_features:
        if feature not in inputs:
            raise InputError(f"Text feature {feature!r} is not in the examples; features: "
                             f"{sorted(inputs)}.")
    task = get_task(config.task)
    outputs = task.transform_features(inputs, config)
    if outputs is not None:
        return outputs
    if config.windows:
        outputs = window_features(tokenize(windows_tokenizer(config), inputs, config))
    else:
        outputs = tokenize(in_graph_tokenizer(config), inputs, config)
    if config.label_feature in inputs:
        # Per text (a vocabulary of string labels counts texts, not windows), then per row.
        label_id = task.transform_label(inputs[config.label_feature])
        outputs[LABEL_ID_FEATURE] = gather_rows(label_id, outputs[WINDOW_TEXT_FEATURE]) \
            if config.windows else label_id
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


def windows_tokenizer(config: TaskConfig) -> InGraphTokenizer:
    """The tokenizer of `long_text="windows"`: every window of a long text (of a pair, of its
    second text, as 🤗's `only_second`), at most `max_windows`."""
    return InGraphTokenizer.from_pretrained(
        config.checkpoint, max_length=config.max_length, padding="max_length",
        truncation="only_second" if config.text_pair_feature else True,
        return_overflowing_tokens=True, stride=config.stride, max_windows=config.max_windows)


def tokenize(tokenizer: InGraphTokenizer, inputs: Dict[str, Any],
             config: TaskConfig) -> Dict[str, Any]:
    """The model inputs of the text features of `inputs` (parsed tf.Example features: dense
    `[batch, 1]`, sparse or ragged; a missing text is "")."""
    texts = [dense_column(inputs[f], "") for f in config.text_features]
    return dict(tokenizer(*texts))
