"""TokenLengthStatisticsGen: how long the run's texts are under the checkpoint's tokenizer."""
import json
from typing import Any, Dict, Optional

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import BaseChannel, channel, component_spec, standard_artifacts
from tfx.types.standard_component_specs import EXAMPLES_KEY

from tfx_hf.components.task.config import TaskConfig, check_int
from tfx_hf.components.token_lengths import executor
from tfx_hf.components.token_lengths.artifact import TokenLengthStatistics


class TokenLengthStatisticsGenSpec(component_spec.ComponentSpec):
    PARAMETERS = {
        executor.CUSTOM_CONFIG_KEY: component_spec.ExecutionParameter(type=str),
        executor.MAX_ROWS_KEY: component_spec.ExecutionParameter(type=int),
        executor.STRIDE_KEY: component_spec.ExecutionParameter(type=int),
        executor.MAX_LENGTH_AUTO_KEY: component_spec.ExecutionParameter(type=str,
                                                                        optional=True),
    }
    INPUTS = {EXAMPLES_KEY: component_spec.ChannelParameter(type=standard_artifacts.Examples)}
    OUTPUTS = {executor.TOKEN_LENGTHS_KEY: component_spec.ChannelParameter(
        type=TokenLengthStatistics)}


class TokenLengthStatisticsGen(base_component.BaseComponent):
    """Counts, per split of `examples` (the first `max_rows` rows of each), the tokens each
    row has under the checkpoint's tokenizer of `config` (a TaskConfig: checkpoint, text
    features, max_length), untruncated and with the template's special tokens, as 🤗's
    tokenizer counts them. The `token_lengths` artifact holds `token_lengths.json`: per split
    the rows, mean, min, max and quantiles (p50, p90, p95, p99) of the lengths, the share of
    rows longer than max_length (truncated), the share of tokens that are the unknown token,
    and windows per text (mean, max, total) as 🤗's `return_overflowing_tokens=True` with
    `stride` would make them (for a pair, over the second text). `max_length_auto` (how
    `max_length="auto"` was resolved before the run) is recorded beside them."""

    SPEC_CLASS = TokenLengthStatisticsGenSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, examples: BaseChannel, config: TaskConfig, stride: int = 0,
                 max_rows: int = executor.DEFAULT_MAX_ROWS,
                 max_length_auto: Optional[Dict[str, Any]] = None,
                 token_lengths: Optional[BaseChannel] = None):
        check_int("max_rows", max_rows, minimum=1)
        check_int("stride", stride, minimum=0)
        spec = TokenLengthStatisticsGenSpec(
            custom_config=json.dumps(config.to_custom_config(), sort_keys=True),
            max_rows=max_rows, stride=stride,
            max_length_auto=json.dumps(max_length_auto, sort_keys=True)
            if max_length_auto else None,
            examples=examples,
            token_lengths=token_lengths or channel.Channel(type=TokenLengthStatistics))
        super().__init__(spec=spec)
