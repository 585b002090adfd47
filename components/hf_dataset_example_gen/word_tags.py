"""Word-tagged columns (token classification): a list of words per row and a list of tags, one
per word, such as CoNLL-2003's `tokens` (`Sequence(Value("string"))`) and `ner_tags`
(`Sequence(ClassLabel)`).

Both are written as any list column is (bytes and int64 lists); what is checked here is that
they are what the task reads: the words are strings, the tags are class ids with names, and
every row has as many tags as words. A row that does not is an input error naming the split
and the row, never a row dropped or cut.
"""
from typing import Any, Dict, List

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tfx_hf.components.hf_dataset_example_gen.dataset_source import DatasetInputError


def _inner(feature):
    """The element feature of a list feature (`Sequence(x)` or `[x]`), else None."""
    import datasets

    if isinstance(feature, datasets.Sequence):
        return feature.feature
    if isinstance(feature, list) and len(feature) == 1:
        return feature[0]
    return None


def check_types(features, word_tag_columns: Dict[str, str], where: str) -> Dict[str, List[str]]:
    """Checks each (words, tags) column pair's 🤗 types; {tags column: tag names in id order}."""
    import datasets

    tag_names = {}
    for words, tags in word_tag_columns.items():
        for column in (words, tags):
            if column not in features:
                raise DatasetInputError(
                    f"Word-tag column {column!r} is not in dataset {where!r}; its columns are: "
                    f"{', '.join(features)}.")
        word = _inner(features[words])
        if getattr(word, "dtype", None) not in ("string", "large_string"):
            raise DatasetInputError(
                f"Words column {words!r} of {where!r} holds {features[words]}; it must be a "
                "list of strings per row (Sequence(Value('string'))), e.g. CoNLL's `tokens`.")
        tag = _inner(features[tags])
        if not isinstance(tag, datasets.ClassLabel):
            raise DatasetInputError(
                f"Tags column {tags!r} of {where!r} holds {features[tags]}; it must be a list "
                "of class ids with names, Sequence(ClassLabel(names=[...])) (cast it with "
                f"`dataset.cast_column({tags!r}, Sequence(ClassLabel(names=[...])))`).")
        if len(tag.names) < 2:
            raise DatasetInputError(
                f"Tags column {tags!r} of {where!r} has {len(tag.names)} tag ({tag.names}); "
                "tagging needs at least 2 (e.g. O and B-X).")
        tag_names[tags] = list(tag.names)
    return tag_names


def check_row_lengths(table: pa.Table, word_tag_columns: Dict[str, str], where: str,
                      first_row: int = 0) -> None:
    """Each row of `table` has as many tags as words; the first that does not is named by its
    index in its split (`first_row` is the index of the table's first row)."""
    for words, tags in word_tag_columns.items():
        n_words, n_tags = (np.asarray(pc.fill_null(pc.list_value_length(
            table.column(name).combine_chunks()), 0)) for name in (words, tags))
        differ = np.flatnonzero(n_words != n_tags)
        if len(differ):
            row = int(differ[0])
            raise DatasetInputError(
                f"Row {first_row + row} of {where!r} has {n_words[row]} words in "
                f"{words!r} but {n_tags[row]} tags in {tags!r} ({len(differ)} such "
                "row(s) in all): each word needs exactly one tag. Fix or filter those rows.")


def check_splits(datasets_by_split: Dict[str, Any], word_tag_columns: Dict[str, str],
                 where: str, streaming: bool) -> Dict[str, List[str]]:
    """Types of the first split, and row lengths of every split (a streamed one is checked
    as it is written, by the shard that reads it); {tags column: tag names}."""
    if not word_tag_columns:
        return {}
    first = next(iter(datasets_by_split.values()))
    tag_names = check_types(first.features, word_tag_columns, where)
    if not streaming:
        for split, dataset in datasets_by_split.items():
            columns = sorted(set(word_tag_columns) | set(word_tag_columns.values()))
            table = dataset.with_format("arrow", columns=columns)[:]  # memory-mapped
            check_row_lengths(table, word_tag_columns, f"{where}[{split}]")
    return tag_names
