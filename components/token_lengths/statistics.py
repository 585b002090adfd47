"""Token-length statistics from token counts: pure functions, no TensorFlow.

A text's length is what 🤗's tokenizer gives it untruncated: its tokens plus the special tokens
of the template (`[CLS] A [SEP]`, `<s> A </s></s> B </s>`). Windows per text are the rows
🤗's `tokenizer(text, truncation=True, max_length=L, stride=S,
return_overflowing_tokens=True)` makes (for a pair, `only_second`: windows over the second
text), counted from the lengths alone.
"""
import math
from typing import Any, Dict, Optional

import numpy as np

QUANTILES = (0.5, 0.9, 0.95, 0.99)
AUTO = "auto"  # max_length="auto"
AUTO_QUANTILE = 0.95  # the share of texts the picked max_length covers
AUTO_MULTIPLE = 8


def windows_per_text(content_lengths, max_length: int, special_tokens: int, stride: int = 0,
                     first_lengths=None) -> np.ndarray:
    """Rows 🤗's overflowing truncation makes of each text: 1 if its `content_lengths`
    (tokens without special tokens; for a pair, the second text's) fit in what `max_length`
    leaves after the special tokens (and the first text of a pair), else one more for each
    `capacity - stride` tokens beyond. Where nothing or only the stride fits (🤗 raises
    there), one token per window is counted."""
    content = np.asarray(content_lengths, dtype=np.int64)
    capacity = max_length - special_tokens - (
        np.asarray(first_lengths, dtype=np.int64) if first_lengths is not None else 0)
    capacity = np.maximum(capacity, 1)
    step = np.maximum(capacity - stride, 1)
    beyond = np.maximum(content - capacity, 0)
    return 1 + -(-beyond // step)  # ceil


def choose_max_length(length_at_quantile: float, cap: Optional[int]) -> int:
    """The smallest multiple of 8 that is at least `length_at_quantile` (at least 8), but no
    more than `cap` (the model's longest sequence)."""
    chosen = max(AUTO_MULTIPLE, AUTO_MULTIPLE * math.ceil(length_at_quantile / AUTO_MULTIPLE))
    return min(chosen, cap) if cap else chosen


def split_statistics(lengths, windows, unknown_tokens: int, tokens: int,
                     max_length: int) -> Dict[str, Any]:
    """One split's figures: rows, mean and quantiles of `lengths` (with special tokens), the
    share longer than `max_length` (truncated), the share of tokens that are the unknown
    token, and windows per text (mean, max, the share of texts with more than one)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    windows = np.asarray(windows, dtype=np.int64)
    rows = int(lengths.size)
    if not rows:
        return {"rows": 0}
    return {
        "rows": rows,
        "mean": float(lengths.mean()),
        "min": int(lengths.min()),
        "max": int(lengths.max()),
        "quantiles": {f"p{round(q * 100)}": float(np.quantile(lengths, q)) for q in QUANTILES},
        "truncated": int((lengths > max_length).sum()),
        "truncated_share": float((lengths > max_length).mean()),
        "unknown_token_share": unknown_tokens / tokens if tokens else 0.0,
        "unknown_tokens": int(unknown_tokens),
        "tokens": int(tokens),
        "windows_per_text": {"mean": float(windows.mean()), "max": int(windows.max()),
                             "total": int(windows.sum()),
                             "texts_with_several": int((windows > 1).sum())},
    }
