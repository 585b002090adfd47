"""Tokenizer parity on the run's own rows: the sample, both tokenizers, the comparison.

The in-graph side is the transform graph's own tokenizer and call
(`transform.preprocessing.in_graph_tokenizer` and `tokenize`: same max_length, padding,
truncation and text pairs); the 🤗 side is `AutoTokenizer` on the same checkpoint folder,
fast, without remote code, called with the options those names mean to 🤗. A row is exact
when every model input (`input_ids`, `attention_mask`, `token_type_ids`) is identical.
"""
import os
from typing import Dict, Iterator, List, Sequence, Tuple

import numpy as np
import tensorflow as tf

from tfx_hf.components.contracts import MODEL_INPUT_NAMES
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import TaskConfig
from tfx_hf.components.tokenization.tokenizer_files import tokenizer_folder
from tfx_hf.components.tokenizer_parity.certificate import DifferingRow, SplitParity
from tfx_hf.components.transform import preprocessing

DEFAULT_SAMPLE_SIZE = 2_000
MAX_DIFFERING_ROWS = 5  # kept with their texts and ids; every difference is counted
READ_BATCH = 1_024
TOKENIZE_BATCH = 512

# (row index in its split, one text per text feature) as the split's tf.Examples hold them.
TextRow = Tuple[int, Tuple[bytes, ...]]


def read_text_rows(split_uri: str, text_features: Sequence[str]) -> Iterator[TextRow]:
    """Each row of a split of tf.Examples (gzipped or plain TFRecords), in file order, with the
    first value of each text feature (missing: b"", as the transform graph reads it)."""
    files = sorted(tf.io.gfile.glob(os.path.join(split_uri, "*")))
    if not files:
        return
    compression = "GZIP" if all(f.endswith(".gz") for f in files) else ""
    spec = {f: tf.io.VarLenFeature(tf.string) for f in text_features}
    records = tf.data.TFRecordDataset(files, compression_type=compression).batch(READ_BATCH)
    index = 0
    for batch in records.map(lambda b: tf.io.parse_example(b, spec)):
        columns = []
        for feature in text_features:
            dense = tf.sparse.to_dense(batch[feature], default_value=b"").numpy()
            columns.append(dense[:, 0] if dense.shape[1] else
                           np.full(dense.shape[0], b"", dtype=object))
        for texts in zip(*columns):
            yield index, tuple(texts)
            index += 1


def is_ascii(texts: Tuple[bytes, ...]) -> bool:
    return all(text.isascii() for text in texts)


def choose_sample(rows: Iterator[TextRow], sample_size: int) -> Tuple[List[TextRow], int, int]:
    """(sample, rows read, non-ASCII rows in the sample): every row with a non-ASCII byte
    first (the rows where tokenizers part ways: accents, scripts, case folding, U+FFFD), then
    the first ASCII rows, `sample_size` in all, each group in split order. Reading stops once
    `sample_size` non-ASCII rows are found."""
    non_ascii, ascii_rows, read = [], [], 0
    for row in rows:
        read += 1
        if not is_ascii(row[1]):
            non_ascii.append(row)
            if len(non_ascii) >= sample_size:
                break
        elif len(ascii_rows) < sample_size:
            ascii_rows.append(row)
    return non_ascii + ascii_rows[:sample_size - len(non_ascii)], read, len(non_ascii)


def hf_fast_tokenizer(checkpoint: str):
    """The checkpoint's 🤗 fast tokenizer from the folder the in-graph tokenizer reads (for a
    Hub id, the tokenizer files already fetched into the 🤗 cache): no remote code, no
    download."""
    from transformers import AutoTokenizer

    folder = tokenizer_folder(checkpoint)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, use_fast=True,
                                                  trust_remote_code=False, local_files_only=True)
    except Exception as e:  # custom tokenizer code, unreadable files
        raise InputError(f"Checkpoint {checkpoint!r}: its 🤗 tokenizer could not be loaded to "
                         f"check the in-graph tokenizer against it ({type(e).__name__}: {e}). "
                         "trust_remote_code is off.") from e
    if not tokenizer.is_fast:
        raise InputError(f"Checkpoint {checkpoint!r} has no 🤗 fast tokenizer to compare the "
                         "in-graph tokenizer with: save one there with `AutoTokenizer."
                         "from_pretrained(...).save_pretrained(dir)` (it writes tokenizer.json).")
    return tokenizer


def _model_inputs(outputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    return {name: np.asarray(outputs[name], dtype=np.int64) for name in MODEL_INPUT_NAMES
            if name in outputs}


def tokenize_both(rows: Sequence[TextRow], config: TaskConfig, in_graph, hf_tokenizer
                  ) -> Tuple[Dict[str, np.ndarray], Dict[str, np.ndarray]]:
    """(in-graph outputs, 🤗 outputs) of `rows`, each `[rows, max_length]` int64 per model
    input."""
    ours: Dict[str, List[np.ndarray]] = {}
    theirs: Dict[str, List[np.ndarray]] = {}
    for start in range(0, len(rows), TOKENIZE_BATCH):
        batch = rows[start:start + TOKENIZE_BATCH]
        columns = list(zip(*(texts for _, texts in batch)))
        inputs = {feature: tf.constant([[text] for text in column], dtype=tf.string)
                  for feature, column in zip(config.text_features, columns)}
        in_graph_outputs = preprocessing.tokenize(in_graph, inputs, config)
        for name, value in _model_inputs({k: v.numpy() for k, v in
                                          in_graph_outputs.items()}).items():
            ours.setdefault(name, []).append(value)
        # 🤗 gets Python strings: bytes that are not UTF-8 become U+FFFD, as in-graph.
        decoded = [[text.decode("utf-8", "replace") for text in column] for column in columns]
        encoded = hf_tokenizer(decoded[0], decoded[1] if len(decoded) > 1 else None,
                               max_length=config.max_length, truncation=True,
                               padding="max_length", return_tensors="np")
        for name, value in _model_inputs(dict(encoded)).items():
            theirs.setdefault(name, []).append(value)
    return ({k: np.concatenate(v) for k, v in ours.items()},
            {k: np.concatenate(v) for k, v in theirs.items()})


def differing_outputs(ours: Dict[str, np.ndarray], theirs: Dict[str, np.ndarray],
                      row: int) -> List[str]:
    """The model inputs whose values differ in `row`. A `token_type_ids` one side leaves out is
    all zeros (what a 🤗 model uses without it); any other input missing on one side differs."""
    names = [n for n in MODEL_INPUT_NAMES if n in ours or n in theirs]
    differ = []
    for name in names:
        a, b = ours.get(name), theirs.get(name)
        if name == "token_type_ids":
            a = np.zeros_like(b) if a is None else a
            b = np.zeros_like(a) if b is None else b
        if a is None or b is None or a[row].shape != b[row].shape or (a[row] != b[row]).any():
            differ.append(name)
    return differ


def _unpadded_ids(outputs: Dict[str, np.ndarray], row: int) -> List[int]:
    ids = outputs.get("input_ids")
    if ids is None:
        return []
    mask = outputs.get("attention_mask")
    kept = ids[row] if mask is None else ids[row][mask[row] == 1]
    return [int(i) for i in kept]


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def compare_split(split: str, rows: Sequence[TextRow], rows_read: int, non_ascii: int,
                  config: TaskConfig, in_graph, hf_tokenizer,
                  max_differing_rows: int = MAX_DIFFERING_ROWS
                  ) -> Tuple[SplitParity, List[DifferingRow]]:
    """The split's parity and its first `max_differing_rows` differing rows."""
    shown: List[DifferingRow] = []
    exact = 0
    if rows:
        ours, theirs = tokenize_both(rows, config, in_graph, hf_tokenizer)
        for i, (index, texts) in enumerate(rows):
            differ = differing_outputs(ours, theirs, i)
            if not differ:
                exact += 1
            elif len(shown) < max_differing_rows:
                shown.append(DifferingRow(
                    split=split, row=index, text=_text(texts[0]),
                    text_pair=_text(texts[1]) if len(texts) > 1 else None,
                    in_graph_ids=_unpadded_ids(ours, i), hf_ids=_unpadded_ids(theirs, i),
                    differing_outputs=differ))
    return SplitParity(split=split, rows=rows_read, rows_compared=len(rows), exact_rows=exact,
                       non_ascii_rows_compared=non_ascii), shown


def mismatch_message(checkpoint: str, splits: Sequence[SplitParity],
                     differing: Sequence[DifferingRow], shown: int = 3) -> str:
    """The error that stops the run: how many rows differ, and the first few."""
    compared = sum(s.rows_compared for s in splits)
    exact = sum(s.exact_rows for s in splits)
    rows = "; ".join(row.describe() for row in differing[:shown])
    return (f"Tokenizer parity: {compared - exact} of {compared} rows tokenize differently "
            f"in-graph than with checkpoint {checkpoint!r}'s 🤗 fast tokenizer (exact-row rate "
            f"{exact / compared:.4f}), so the served model would not get the ids the checkpoint "
            f"expects. First differing rows: {rows}. Check the checkpoint's tokenizer files "
            "(tokenizer.json, tokenizer_config.json), or pass --allow-tokenizer-mismatch "
            "(allow_tokenizer_mismatch=True) to train anyway.")

