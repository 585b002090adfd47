"""The token-length section: how many tokens each row keeps after the transform graph (its
non-padding positions, the lengths training batches are bucketed on), with `max_length`
marked, and the share of rows truncated to it.

The Transform component does not materialize transformed examples, so the transform graph
is applied here to the raw Examples, as the Trainer does. Whether a row was truncated needs
its length before truncation: the same tokenizer, read from the trained model's Format-HF/
files, encodes the texts without the packer's cut.
"""
from typing import Any, Dict, Optional

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the ops the transform graph is made of)
from tfx.types import artifact_utils

from tfx_hf.components.contracts import hf_format_dir
from tfx_hf.components.hub_paths import is_local_path
from tfx_hf.components.task import TaskConfig
from tfx_hf.components.tokenization import InGraphTokenizer, TokenizerFilesError
from tfx_hf.components.tokenization.packer import special_token_count
from tfx_hf.components.trainer.bucketing import row_lengths
from tfx_hf.components.transform.features import dense_column
from tfx_hf.pipelines.report import plots
from tfx_hf.pipelines.report.dataset import read_split
from tfx_hf.pipelines.report.run_record import RunRecord

MAX_ROWS_TOKENIZED = 5_000  # per split: the histogram's shape is settled long before this


def _task_config(record: RunRecord) -> Optional[TaskConfig]:
    """The TaskConfig Transform ran with (its custom_config exec property)."""
    for component in record.components:
        config = component.json_property("custom_config")
        if component.outputs.get("transform_graph") and config:
            return TaskConfig.from_custom_config(config)
    return None


def _untruncating_tokenizer(record: RunRecord, config: TaskConfig):
    """The checkpoint's tokenizer (from the trained model's Format-HF/, else the checkpoint
    folder); None when neither is here."""
    model = record.output("Model")
    folders = [hf_format_dir(model.uri)] if model is not None else []
    if is_local_path(config.checkpoint):  # a Hub id would be a download: not for a report
        folders.append(config.checkpoint)
    for folder in folders:
        if tf.io.gfile.isdir(folder):
            try:
                return InGraphTokenizer.from_pretrained(folder, max_length=config.max_length)
            except TokenizerFilesError:
                continue  # e.g. a checkpoint folder that has moved on since the run
    return None


def _lengths(examples, split: str, transform_output, tokenizer, config: TaskConfig):
    """(kept tokens per row, tokens before truncation per row or None, max_length)."""
    layer = transform_output.transform_features_layer()
    kept, full, max_length = [], [], None
    template_tokens = None
    if tokenizer is not None:
        single, pair = tokenizer.tokenizer_config.templates()
        template_tokens = special_token_count(single if len(config.text_features) == 1
                                              else pair)
    for raw in read_split(examples, split, transform_output.raw_feature_spec(),
                          MAX_ROWS_TOKENIZED):
        transformed = layer(raw)
        max_length = int(transformed["attention_mask"].shape[-1])
        kept.append(row_lengths(transformed).numpy())
        if tokenizer is not None:
            encoded = [tokenizer.encode(dense_column(raw[f], "")).row_lengths()
                       for f in config.text_features]
            full.append((tf.add_n(encoded) + template_tokens).numpy())
    return (np.concatenate(kept) if kept else np.zeros(0, np.int64),
            np.concatenate(full) if full else None, max_length)


def token_length_section(record: RunRecord) -> Optional[Dict[str, Any]]:
    """None when the run has no transform graph or no Examples."""
    import tensorflow_transform as tft

    transform_graph, examples = record.output("TransformGraph"), record.output("Examples")
    config = _task_config(record)
    if transform_graph is None or examples is None or config is None:
        return None
    transform_output = tft.TFTransformOutput(transform_graph.uri)
    tokenizer = _untruncating_tokenizer(record, config)
    kept, before, splits, max_length = {}, {}, [], config.max_length
    for split in artifact_utils.decode_split_names(examples.split_names):
        lengths, full, width = _lengths(examples, split, transform_output, tokenizer, config)
        max_length = width or max_length
        kept[split] = lengths
        if full is not None:
            before[split] = full
        truncated = int((full > max_length).sum()) if full is not None else None
        splits.append({
            "name": split, "rows": len(lengths),
            "median": float(np.median(lengths)) if len(lengths) else None,
            "p95": float(np.percentile(lengths, 95)) if len(lengths) else None,
            "truncated": truncated,
            "truncated_share": truncated / len(lengths) if truncated is not None and len(
                lengths) else None,
            "longest_before_truncation": int(full.max()) if full is not None and len(full)
            else None,
        })
    return {"max_length": max_length, "splits": splits, "tokenizer_found": tokenizer is not None,
            "max_rows": MAX_ROWS_TOKENIZED, "checkpoint": config.checkpoint,
            "plot": plots.token_lengths(kept, max_length, before or None),
            "statistics": _token_length_statistics(record)}


def _token_length_statistics(record: RunRecord) -> Optional[Dict[str, Any]]:
    """TokenLengthStatisticsGen's figures of the run (quantiles, unknown tokens, windows per
    text, what `--max-length auto` picked); None when the run has none."""
    from tfx_hf.components.token_lengths import artifact

    found = record.output(artifact.TYPE_NAME)
    return artifact.read(found.uri) if found is not None else None
