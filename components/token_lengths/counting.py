"""Counting tokens of texts with the checkpoint's in-graph tokenizer (the transform graph's own
encoder, untruncated), and the statistics of a split of tf.Examples from the counts."""
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from tfx_hf.components.tokenization import InGraphTokenizer
from tfx_hf.components.tokenization.packer import special_token_count
from tfx_hf.components.tokenization.tokenizer_files import (ByteLevelBPEConfig,
                                                           SentencePieceConfig, TokenizerConfig)
from tfx_hf.components.token_lengths import statistics

BATCH = 512


def unknown_token_id(config: TokenizerConfig) -> Optional[int]:
    """The id of the unknown token (`[UNK]`, `<unk>`); None when the tokenizer has none (a
    byte-level BPE with every byte in its vocabulary)."""
    if isinstance(config, SentencePieceConfig):
        return config.unk_id
    if isinstance(config, ByteLevelBPEConfig) and not config.unk_token:
        return None
    try:
        return config.token_id(config.unk_token)
    except Exception:  # an unk_token the vocabulary lacks: nothing can be unknown
        return None


class TokenCounter:
    """Token counts of texts (one per text feature; two for a pair) under `checkpoint`'s
    tokenizer: length with the template's special tokens, the last text's own length (what
    windows run over), and unknown tokens."""

    def __init__(self, checkpoint: str, pair: bool):
        self.tokenizer = InGraphTokenizer.from_pretrained(checkpoint)
        config = self.tokenizer.tokenizer_config
        single, pair_template = config.templates()
        self.special_tokens = special_token_count(pair_template if pair else single)
        self.unk_id = unknown_token_id(config)
        self.model_max_length = config.model_max_length
        self.pair = pair

    def count(self, columns: Sequence[Sequence[bytes]]) -> Dict[str, np.ndarray]:
        """`columns`: one list of texts per text feature, same length."""
        ids = [self.tokenizer.encode(tf.constant(list(column), tf.string)) for column in columns]
        per_text = [i.row_lengths().numpy() for i in ids]
        unknown = sum(tf.reduce_sum(tf.cast(tf.equal(i, self.unk_id), tf.int64),
                                    axis=1).numpy() for i in ids) \
            if self.unk_id is not None else np.zeros_like(per_text[0])
        return {"lengths": sum(per_text) + self.special_tokens, "last": per_text[-1],
                "first": per_text[0] if self.pair else None,
                "tokens": sum(per_text), "unknown": unknown}


def count_rows(counter: TokenCounter, rows: Iterable[Tuple[int, Tuple[bytes, ...]]],
               max_rows: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Counts of `rows` ((index, texts) as tokenizer_parity.read_text_rows reads them), by
    batches, the first `max_rows` only when given."""
    parts: Dict[str, List[np.ndarray]] = {}
    batch: List[Tuple[bytes, ...]] = []

    def flush():
        if batch:
            for name, value in counter.count(list(zip(*batch))).items():
                if value is not None:
                    parts.setdefault(name, []).append(value)
            batch.clear()

    for read, (_, texts) in enumerate(rows):
        if max_rows is not None and read >= max_rows:
            break
        batch.append(texts)
        if len(batch) >= BATCH:
            flush()
    flush()
    return {name: np.concatenate(values) for name, values in parts.items()}


def statistics_of_counts(counts: Dict[str, np.ndarray], counter: TokenCounter,
                         max_length: int, stride: int) -> Dict[str, Any]:
    if not counts:
        return {"rows": 0}
    windows = statistics.windows_per_text(counts["last"], max_length, counter.special_tokens,
                                          stride, counts.get("first"))
    return statistics.split_statistics(counts["lengths"], windows, int(counts["unknown"].sum()),
                                       int(counts["tokens"].sum()), max_length)
