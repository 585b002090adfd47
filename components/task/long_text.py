"""Long texts as overlapping windows (TaskConfig `long_text="windows"`).

A text longer than max_length becomes 🤗's overflowing windows (`tokenizer(text,
truncation=True, max_length=L, stride=S, return_overflowing_tokens=True)`; of a text pair, the
windows run over the second text, 🤗's `only_second`), at most `max_windows` per text:
- Transform: each window is a row of the transform graph's output, with its text's label (the
  graph's batch grows: every output shares the new batch dimension) and three window features
  below;
- Trainer: trains on the windows as on any rows, and logs how many windows the documents make;
- serving: the model runs on all windows of a request at once and each text's logits are
  aggregated over its windows (`mean_logits`: their mean; `max_logits`: their maximum per
  class) before the task's outputs (softmax, label): one answer per text, as the Python
  reference in the tests computes it from the Format-HF twin.
"""
from typing import Dict, Optional

import tensorflow as tf

TRUNCATE, WINDOWS = "truncate", "windows"
LONG_TEXT_MODES = (TRUNCATE, WINDOWS)
MEAN_LOGITS, MAX_LOGITS = "mean_logits", "max_logits"
AGGREGATIONS = (MEAN_LOGITS, MAX_LOGITS)

# Transform graph outputs of a windowed text (beside the model inputs and the label):
WINDOW_TEXT_FEATURE = "overflow_to_sample_mapping"  # the row of the input batch it comes from
WINDOW_INDEX_FEATURE = "window_index"  # its rank among its text's windows (0: first)
TEXT_WINDOWS_FEATURE = "text_num_windows"  # its text's windows before the max_windows cap
WINDOW_FEATURES = (WINDOW_TEXT_FEATURE, WINDOW_INDEX_FEATURE, TEXT_WINDOWS_FEATURE)


def window_features(tokenized: Dict[str, tf.Tensor]) -> Dict[str, tf.Tensor]:
    """The tokenizer's windows outputs (`overflow_to_sample_mapping`, `num_windows` per text)
    → the model inputs and the window features, one row per window."""
    tokenized = dict(tokenized)
    mapping = tokenized.pop("overflow_to_sample_mapping")
    num_windows = tokenized.pop("num_windows")
    first = tf.searchsorted(mapping, tf.range(tf.size(num_windows, out_type=tf.int64)),
                            side="left", out_type=tf.int64)  # each text's first window
    tokenized[WINDOW_TEXT_FEATURE] = mapping
    tokenized[WINDOW_INDEX_FEATURE] = tf.range(tf.size(mapping, out_type=tf.int64)) - \
        tf.gather(first, mapping)
    tokenized[TEXT_WINDOWS_FEATURE] = tf.gather(num_windows, mapping)
    return tokenized


def gather_rows(value, rows: tf.Tensor):
    """Rows `rows` of a per-text value (dense, or sparse such as a multi-label list)."""
    if isinstance(value, tf.sparse.SparseTensor):
        ragged = tf.RaggedTensor.from_sparse(value)
        return tf.gather(ragged, rows).to_sparse()
    return tf.gather(value, rows)


def first_windows(transformed: Dict[str, tf.Tensor]) -> tf.Tensor:
    """The rows of a windowed batch that are their text's first window (one per text)."""
    return tf.reshape(tf.where(tf.equal(transformed[WINDOW_INDEX_FEATURE], 0)), [-1])


def aggregate_logits(logits: tf.Tensor, window_text: tf.Tensor, num_texts,
                     aggregation: str) -> tf.Tensor:
    """[windows, classes] logits → [texts, classes]: each text's windows' mean (or maximum)."""
    window_text = tf.cast(window_text, tf.int32)
    num_texts = tf.cast(num_texts, tf.int32)
    if aggregation == MAX_LOGITS:
        return tf.math.unsorted_segment_max(logits, window_text, num_texts)
    return tf.math.unsorted_segment_mean(logits, window_text, num_texts)


def window_counts(window_index, text_num_windows, max_windows: Optional[int]) -> Dict[str, float]:
    """What the windows of some documents amount to, from their rows' window features:
    documents, windows (rows), mean and largest windows per document, documents cut by
    `max_windows`."""
    import numpy as np

    first = np.asarray(window_index) == 0
    per_document = np.asarray(text_num_windows)[first]
    documents = int(first.sum())
    return {
        "documents": documents, "windows": int(len(first)),
        "mean_windows_per_document": float(per_document.mean()) if documents else 0.0,
        "max_windows_per_document": int(per_document.max()) if documents else 0,
        "documents_over_max_windows": int((per_document > max_windows).sum())
        if max_windows else 0,
    }
