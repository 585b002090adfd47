"""Batches padded to a few fixed lengths chosen from the data, instead of to `max_length`.

Short texts padded to `max_length` spend most of the compute on padding; padding each batch to
its own longest row gives XLA a new shape (and a recompilation) for almost every batch. A small
set of bucket lengths, chosen to pad the training data's lengths least, does both jobs: a
bounded number of compiled shapes, and little padding.
"""
import math
from typing import Dict, List, Sequence

import numpy as np
import tensorflow as tf

from tfx_hf.components.contracts import MODEL_INPUT_NAMES
from tfx_hf.components.input_error import InputError

LENGTH_MULTIPLE = 8  # accelerators like lengths that are multiples of 8


def choose_bucket_lengths(lengths: Sequence[int], max_length: int, num_buckets: int) -> List[int]:
    """At most `num_buckets` lengths (multiples of 8, the last `max_length`, so every row fits)
    that minimize the padded tokens of `lengths`: an exact small dynamic programme over the
    multiples of 8 up to max_length."""
    if num_buckets < 1:
        raise InputError(f"num_buckets={num_buckets}: need at least 1.")
    candidates = sorted({min(max_length, int(math.ceil(max(n, 1) / LENGTH_MULTIPLE))
                             * LENGTH_MULTIPLE) for n in lengths} | {max_length})
    counts = np.array([0] * len(candidates))
    for n in lengths:
        counts[np.searchsorted(candidates, min(max_length, max(n, 1)))] += 1
    before = np.concatenate([[0], np.cumsum(counts)])  # rows in candidates[:j]
    # cost[t][j]: fewest padded tokens for the rows up to candidates[j] with t buckets, the
    # last one candidates[j]; best[t][j] remembers the previous bucket.
    m = len(candidates)
    cost = np.full((num_buckets + 1, m), np.inf)
    best = np.full((num_buckets + 1, m), -1)
    for j in range(m):
        cost[1][j] = candidates[j] * before[j + 1]
    for t in range(2, num_buckets + 1):
        for j in range(m):
            for i in range(j):
                value = cost[t - 1][i] + candidates[j] * (before[j + 1] - before[i + 1])
                if value < cost[t][j]:
                    cost[t][j], best[t][j] = value, i
    t = int(np.argmin(cost[:, m - 1]))
    chosen, j = [], m - 1
    while j >= 0 and t >= 1:
        chosen.append(candidates[j])
        j, t = best[t][j], t - 1
    return sorted(chosen)


def row_lengths(features: Dict[str, tf.Tensor]) -> tf.Tensor:
    """Real (non-padding) tokens per row of padded model inputs."""
    return tf.reduce_sum(tf.cast(features["attention_mask"], tf.int32), axis=-1)


def bucketed_batches(rows: tf.data.Dataset, bucket_lengths: List[int], batch_size: int,
                     pad_id: int, token_labels: bool = False,
                     label_pad: int = -100) -> tf.data.Dataset:
    """(features, label) rows padded to max_length → batches of `batch_size` rows padded to the
    smallest bucket length that holds them. Every batch is full (static batch dimension).
    `token_labels`: the label is one per token, cut and padded (with `label_pad`) alike."""

    def trim(features, label):
        length = row_lengths(features)
        return {k: (v[:length] if k in MODEL_INPUT_NAMES else v)
                for k, v in features.items()}, label[:length] if token_labels else label

    def element_length(features, label):
        return tf.shape(features["input_ids"])[0]

    padding_values = ({k: tf.constant(pad_id if k == "input_ids" else 0, dtype=spec.dtype)
                       for k, spec in rows.element_spec[0].items()},
                      tf.constant(label_pad if token_labels else 0,
                                  dtype=rows.element_spec[1].dtype))
    return rows.map(trim, num_parallel_calls=tf.data.AUTOTUNE).bucket_by_sequence_length(
        element_length,
        # Bucket i holds lengths < bucket_lengths[i] + 1 and pads to exactly bucket_lengths[i].
        bucket_boundaries=[length + 1 for length in bucket_lengths],
        bucket_batch_sizes=[batch_size] * (len(bucket_lengths) + 1),
        padding_values=padding_values,
        pad_to_bucket_boundary=True,
        drop_remainder=True)
