"""Overflowing windows of long texts, as 🤗 tokenizers cut them with `stride` and
`return_overflowing_tokens=True` (its `Encoding::truncate`, direction right).

A sequence of n tokens cut to windows of `size` tokens with `stride` tokens of overlap: the
windows start at 0, size - stride, 2 (size - stride), ... and the last is the first that reaches
the end: 1 window if n <= size, else 1 + ceil((n - size) / (size - stride)). 🤗 returns the
first window as the row of its text and the others as its overflowing rows, in order; its
`overflow_to_sample_mapping` names each row's text.

Everything here works on whole batches at once (no loop over texts or windows): the windows'
token positions are computed for the batch, then one gather takes them.
"""
from typing import NamedTuple, Optional

import tensorflow as tf


class Windows(NamedTuple):
    """Where each window of a batch lies: `mapping` ([windows] int64, the text of each window,
    ascending), `starts`/`stops` ([windows] int64, its token range in its text), and
    `num_windows` ([batch] int64, each text's windows before any `max_windows` cap)."""
    mapping: tf.Tensor
    starts: tf.Tensor
    stops: tf.Tensor
    num_windows: tf.Tensor


def overflow_windows(lengths: tf.Tensor, size, stride: int,
                     max_windows: Optional[int] = None) -> Windows:
    """The windows of texts of `lengths` tokens ([batch] int64): `size` tokens each (a scalar,
    or [batch] for a size per text), `stride` tokens shared by consecutive windows; only the
    first `max_windows` of a text are kept when given. `size` must exceed `stride` where a text
    needs more than one window (the caller checks it)."""
    lengths = tf.convert_to_tensor(lengths, tf.int64)
    size = tf.broadcast_to(tf.cast(size, tf.int64), tf.shape(lengths, out_type=tf.int64))
    step = tf.maximum(size - stride, 1)  # >= 1 where it matters (checked by the caller)
    overflow = tf.maximum(lengths - size, 0)
    num_windows = 1 + (overflow + step - 1) // step
    kept = num_windows if max_windows is None else tf.minimum(num_windows, max_windows)
    mapping = tf.repeat(tf.range(tf.size(lengths, out_type=tf.int64)), kept)
    index = tf.ragged.range(kept).flat_values  # each window's rank within its text
    starts = index * tf.gather(step, mapping)
    stops = tf.minimum(starts + tf.gather(size, mapping), tf.gather(lengths, mapping))
    return Windows(mapping, starts, stops, num_windows)


def take_windows(tokens: tf.RaggedTensor, windows: Windows) -> tf.RaggedTensor:
    """[batch, (n)] per-token values → [windows, (window tokens)]: each window's slice of its
    text's tokens."""
    tokens = tokens.with_row_splits_dtype(tf.int64)
    first = tf.gather(tokens.row_starts(), windows.mapping) + windows.starts
    positions = tf.ragged.range(first, first + windows.stops - windows.starts)
    return tf.RaggedTensor.from_row_splits(tf.gather(tokens.flat_values, positions.flat_values),
                                           positions.row_splits, validate=False)
