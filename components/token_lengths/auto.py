"""`max_length="auto"`: a small pre-pass over the dataset, before the pipeline is built, picks
the max_length every component then gets as a number (Transform's graph, the parity check, the
Trainer's bucket and serving lengths all need it before they run).

The pick: the smallest multiple of 8 covering the 95th percentile of the token lengths of the
first split's texts (the first `max_rows` of them), capped by the model's longest sequence
(position embeddings, less RoBERTa's padding offset) and the tokenizer's model_max_length.
"""
import dataclasses
from typing import Any, Dict, Optional

import numpy as np
from absl import logging

from tfx_hf.components.hf_dataset_example_gen import dataset_source
from tfx_hf.components.hub_paths import is_local_path
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import TaskConfig
from tfx_hf.components.task.config import MAX_LENGTH_AUTO
from tfx_hf.components.token_lengths import counting, statistics

DEFAULT_MAX_ROWS = 10_000


def _texts(source: dataset_source.DatasetSource, split: str, config: TaskConfig,
           max_rows: int):
    """(index, texts as UTF-8 bytes) of the split's first `max_rows` rows, streamed."""
    streamed = dataclasses.replace(source, streaming=True)
    rows = dataset_source.load_split(streamed.to_json(), split)
    for index, row in enumerate(rows):
        if index >= max_rows:
            return
        yield index, tuple((row.get(f) or "").encode("utf-8", "replace")
                           if isinstance(row.get(f) or "", str) else str(row.get(f)).encode()
                           for f in config.text_features)


def model_cap(checkpoint: str, tokenizer_max_length: Optional[int]) -> Optional[int]:
    """The longest sequence the model takes: its position embeddings (a local checkpoint's
    config.json) and the tokenizer's model_max_length, whichever is smaller."""
    from tfx_hf.components.trainer.checkpoint import max_sequence_length

    caps = [c for c in (max_sequence_length(checkpoint) if is_local_path(checkpoint) else None,
                        tokenizer_max_length) if c]
    return min(caps) if caps else None


def pick_max_length(source: dataset_source.DatasetSource, split: str, config: TaskConfig,
                    max_rows: int = DEFAULT_MAX_ROWS) -> Dict[str, Any]:
    """How auto picks for this dataset: `picked`, the `p95` it covers, the `cap`, the `split`
    and `rows` it read."""
    counter = counting.TokenCounter(config.checkpoint, pair=len(config.text_features) > 1)
    counts = counting.count_rows(counter, _texts(source, split, config, max_rows))
    if not counts:
        raise InputError(f"max_length='auto': split {split!r} of {source.path} has no rows to "
                         "measure token lengths on; give max_length a number.")
    lengths = counts["lengths"]
    p95 = float(np.quantile(lengths, statistics.AUTO_QUANTILE))
    cap = model_cap(config.checkpoint, counter.model_max_length)
    picked = statistics.choose_max_length(p95, cap)
    return {"picked": picked, "p95": p95, "cap": cap, "split": split, "rows": int(lengths.size),
            "covered_share": float((lengths <= picked).mean())}


def resolve_max_length(config: TaskConfig, source: dataset_source.DatasetSource, split: str,
                       max_rows: int = DEFAULT_MAX_ROWS):
    """(config with a numeric max_length, how auto picked it or None)."""
    if config.max_length != MAX_LENGTH_AUTO:
        return config, None
    auto = pick_max_length(source, split, config, max_rows)
    message = (f"max_length auto: picked {auto['picked']} (95th percentile of token lengths "
               f"{auto['p95']:.1f} on {auto['rows']:,} rows of split {split!r}; covers "
               f"{auto['covered_share']:.1%}; model cap {auto['cap']})")
    logging.info(message)  # and recorded: TokenLengthStatistics, summary.json, the run output
    return dataclasses.replace(config, max_length=auto["picked"]), auto
