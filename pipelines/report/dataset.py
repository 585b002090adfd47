"""The dataset section: rows per split, label distribution per split, invalid UTF-8 lines
replaced, from the Examples artifact HFDatasetExampleGen wrote (its properties, then its
records for the label counts)."""
import os
from typing import Any, Dict, Iterator, Optional

import numpy as np
import tensorflow as tf
from tfx.types import artifact_utils

from tfx_hf.components.contracts import (INVALID_UTF8_PROPERTY, LABEL_NAMES_PROPERTY,
                                         ROW_COUNTS_PROPERTY)
from tfx_hf.pipelines.report import plots
from tfx_hf.pipelines.report.run_record import RunRecord

# Rows read per split for the label counts: enough for exact counts on most datasets; beyond
# it the distribution is that of the first rows, and the report says so.
MAX_ROWS_READ = 200_000
BATCH = 1024


def split_files(examples, split: str) -> str:
    """The file pattern of one split of an Examples artifact."""
    return os.path.join(artifact_utils.get_split_uri([examples], split), "*")


def read_split(examples, split: str, feature_spec: Dict[str, Any],
               max_rows: int) -> Iterator[Dict[str, tf.Tensor]]:
    """Batches of `feature_spec` parsed from the first `max_rows` tf.Examples of a split."""
    files = tf.io.gfile.glob(split_files(examples, split))
    compression = "GZIP" if all(f.endswith(".gz") for f in files) else ""
    records = tf.data.TFRecordDataset(sorted(files), compression_type=compression)
    return iter(records.take(max_rows).batch(BATCH)
                .map(lambda batch: tf.io.parse_example(batch, feature_spec)))


def _label_counts(examples, split: str, label_feature: str, num_classes: int):
    """(counts per class id, rows read) of a split; a multi-label row counts once per label."""
    counts = np.zeros(num_classes, dtype=np.int64)
    rows = 0
    for batch in read_split(examples, split, {label_feature: tf.io.VarLenFeature(tf.int64)},
                            MAX_ROWS_READ):
        ids = batch[label_feature].values.numpy()
        rows += int(batch[label_feature].dense_shape[0])
        counts += np.bincount(ids[(ids >= 0) & (ids < num_classes)], minlength=num_classes)
    return counts, rows


def dataset_section(record: RunRecord) -> Optional[Dict[str, Any]]:
    """None when the run wrote no Examples."""
    examples = record.output("Examples")
    if examples is None:
        return None
    producer = record.producer(examples)
    splits = artifact_utils.decode_split_names(examples.split_names)
    row_counts = (examples.get_json_value_custom_property(ROW_COUNTS_PROPERTY)
                  if examples.has_custom_property(ROW_COUNTS_PROPERTY) else {}) or {}
    label_names = (examples.get_json_value_custom_property(LABEL_NAMES_PROPERTY)
                   if examples.has_custom_property(LABEL_NAMES_PROPERTY) else {}) or {}
    section = {
        "uri": examples.uri,
        "dataset": producer.exec_properties.get("dataset") if producer else None,
        "splits": [{"name": s, "rows": int(row_counts[s]) if s in row_counts else None}
                   for s in splits],
        "invalid_utf8_mode": producer.exec_properties.get("invalid_utf8") if producer else None,
        "invalid_utf8_lines": examples.get_int_custom_property(INVALID_UTF8_PROPERTY)
        if examples.has_custom_property(INVALID_UTF8_PROPERTY) else None,
        "label_feature": None, "label_names": [], "distribution": None, "plot": None,
        "partial_splits": [],
    }
    if not label_names:
        return section  # no class labels (regression, or labels not class-encoded)
    label_feature, names = next(iter(label_names.items()))
    counts = {}
    for split in splits:
        counts[split], rows = _label_counts(examples, split, label_feature, len(names))
        if split in row_counts and rows < int(row_counts[split]):
            section["partial_splits"].append({"name": split, "rows_read": rows})
    section.update(
        label_feature=label_feature, label_names=list(names),
        distribution=[{"label": name, "counts": {s: int(counts[s][i]) for s in splits}}
                      for i, name in enumerate(names)],
        plot=plots.label_distribution(names, {s: counts[s] for s in splits}))
    return section
