"""TokenLengthStatisticsGen executor: counts the tokens of every row of each split (up to
`max_rows`) with the checkpoint's in-graph tokenizer, untruncated, and writes the statistics.

Not a Beam executor: it reads only the text features and tokenizes in this process, as
TokenizerParityCheck does (in-graph tokenization runs at tens of thousands of rows a second).
"""
import json

from absl import logging
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.types.standard_component_specs import EXAMPLES_KEY

from tfx_hf.components.task import TaskConfig
from tfx_hf.components.token_lengths import artifact, counting
from tfx_hf.components.tokenizer_parity.parity import read_text_rows

CUSTOM_CONFIG_KEY = "custom_config"  # TaskConfig JSON, as Transform and the Trainer get it
MAX_ROWS_KEY = "max_rows"
STRIDE_KEY = "stride"
MAX_LENGTH_AUTO_KEY = "max_length_auto"  # JSON: how `--max-length auto` picked, or ""
TOKEN_LENGTHS_KEY = "token_lengths"
DEFAULT_MAX_ROWS = 100_000


def token_length_statistics(examples, config: TaskConfig, stride: int, max_rows: int) -> dict:
    counter = counting.TokenCounter(config.checkpoint, pair=len(config.text_features) > 1)
    splits = {}
    for split in artifact_utils.decode_split_names(examples.split_names):
        counts = counting.count_rows(
            counter, read_text_rows(artifact_utils.get_split_uri([examples], split),
                                    config.text_features), max_rows)
        splits[split] = counting.statistics_of_counts(counts, counter, config.max_length,
                                                      stride)
        logging.info("Token lengths of split %s: %s", split, splits[split])
    return {"checkpoint": config.checkpoint, "max_length": config.max_length,
            "stride": stride, "special_tokens": counter.special_tokens,
            "text_features": config.text_features, "max_rows": max_rows, "splits": splits}


def record_on_artifact(output, found: dict) -> None:
    output.set_int_custom_property(artifact.MAX_LENGTH_PROPERTY, found["max_length"])
    shares = [s["truncated_share"] for s in found["splits"].values() if s.get("rows")]
    if shares:
        output.set_float_custom_property(artifact.TRUNCATED_SHARE_PROPERTY, max(shares))
    p95 = [s["quantiles"]["p95"] for s in found["splits"].values() if s.get("rows")]
    if p95:
        output.set_float_custom_property(artifact.P95_PROPERTY, max(p95))


class Executor(base_executor.BaseExecutor):
    """Writes `token_lengths.json` into the artifact and its main figures into MLMD."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        config = TaskConfig.from_custom_config(json.loads(exec_properties[CUSTOM_CONFIG_KEY]))
        max_rows = int(exec_properties.get(MAX_ROWS_KEY) or DEFAULT_MAX_ROWS)
        stride = int(exec_properties.get(STRIDE_KEY) or 0)
        examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY])
        output = artifact_utils.get_single_instance(output_dict[TOKEN_LENGTHS_KEY])
        found = token_length_statistics(examples, config, stride, max_rows)
        auto = exec_properties.get(MAX_LENGTH_AUTO_KEY)
        found["max_length_auto"] = json.loads(auto) if auto else None
        artifact.write(output.uri, found)
        record_on_artifact(output, found)
