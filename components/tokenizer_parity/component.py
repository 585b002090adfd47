"""TokenizerParityCheck: before training, the in-graph tokenizer must give the checkpoint's own
ids on the run's own rows."""
import json
from typing import Optional

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import BaseChannel, channel, component_spec, standard_artifacts
from tfx.types.standard_component_specs import EXAMPLES_KEY

from tfx_hf.components.task.config import TaskConfig, check_int
from tfx_hf.components.tokenizer_parity import executor
from tfx_hf.components.tokenizer_parity.artifact import TokenizerParity
from tfx_hf.components.tokenizer_parity.parity import DEFAULT_SAMPLE_SIZE


class TokenizerParityCheckSpec(component_spec.ComponentSpec):
    PARAMETERS = {
        executor.CUSTOM_CONFIG_KEY: component_spec.ExecutionParameter(type=str),
        executor.SAMPLE_SIZE_KEY: component_spec.ExecutionParameter(type=int),
        executor.ALLOW_MISMATCH_KEY: component_spec.ExecutionParameter(type=int),
    }
    INPUTS = {EXAMPLES_KEY: component_spec.ChannelParameter(type=standard_artifacts.Examples)}
    OUTPUTS = {executor.TOKENIZER_PARITY_KEY: component_spec.ChannelParameter(
        type=TokenizerParity)}


class TokenizerParityCheck(base_component.BaseComponent):
    """Tokenizes a sample of each split of `examples` with the in-graph tokenizer, exactly as
    the Transform graph of `config` (a TaskConfig: checkpoint, max_length, text features,
    text pairs) calls it, and with the checkpoint's 🤗 fast tokenizer (`AutoTokenizer`, local
    files, no remote code), and compares every model input row by row.

    The sample is `sample_size` rows per split: every row with non-ASCII characters first,
    then the first ASCII rows. The `tokenizer_parity` artifact holds `tokenizer_parity.json`
    (rows compared and exact per split, the first differing rows with their texts and both
    id lists) and records `exact_rows`, `rows_compared` and `exact_row_rate` in MLMD.

    Any differing row fails the component with an InputError that shows them, so a pipeline
    whose Trainer waits for it stops before training; `allow_tokenizer_mismatch=True` records
    the differences (and `allowed_mismatch`) and lets the run go on.
    """

    SPEC_CLASS = TokenizerParityCheckSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, examples: BaseChannel, config: TaskConfig,
                 sample_size: int = DEFAULT_SAMPLE_SIZE, allow_tokenizer_mismatch: bool = False,
                 tokenizer_parity: Optional[BaseChannel] = None):
        check_int("sample_size", sample_size, minimum=1)
        spec = TokenizerParityCheckSpec(
            custom_config=json.dumps(config.to_custom_config(), sort_keys=True),
            sample_size=sample_size,
            allow_tokenizer_mismatch=int(bool(allow_tokenizer_mismatch)),
            examples=examples,
            tokenizer_parity=tokenizer_parity or channel.Channel(type=TokenizerParity))
        super().__init__(spec=spec)
