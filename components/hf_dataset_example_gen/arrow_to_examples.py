"""🤗 `datasets` Arrow batches to serialized tf.Examples, column-wise in C++.

tfx_bsl's encoder takes a RecordBatch of list arrays of int64, float32 or binary. Each 🤗
feature type maps onto one or more such columns:

- `Value`: bool and integers → int64 (uint64 above 2**63-1 fails); floats → float32;
  string/binary → bytes; timestamps, dates and times → int64 in their own unit.
- `ClassLabel` → int64 ids (names are recorded on the Examples artifact).
- `Sequence`/lists, at any depth → one flat list per row (nested lists are concatenated in
  row-major order; the nesting is not kept).
- dicts (structs) → one feature per leaf, named `parent.child`.
- `Image`/`Audio` → the encoded file bytes (read from the file when only its path is stored).
- A null value → the feature is absent from that example (never the string "None").
"""
from typing import Dict, List, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tfx_hf.components.input_error import InputError

_INT64_MAX = np.iinfo(np.int64).max


class FeatureConversionError(InputError):
    """A column whose 🤗 type has no tf.Example form."""


def _offsets_keeping_nulls(lists: pa.ListArray) -> pa.Array:
    valid = pc.is_valid(lists).to_numpy(zero_copy_only=False)
    offsets = lists.offsets.to_numpy(zero_copy_only=False)
    return pa.array(offsets, mask=np.concatenate([~valid, [False]]))


def _as_list_array(values: pa.Array) -> pa.Array:
    """Wraps a scalar column as a list column; a null scalar becomes a null list."""
    valid = pc.is_valid(values).to_numpy(zero_copy_only=False)
    offsets = np.concatenate([[0], np.cumsum(valid, dtype=np.int32)]).astype(np.int32)
    offsets_array = pa.array(offsets, mask=np.concatenate([~valid, [False]]))
    return pa.ListArray.from_arrays(offsets_array, pc.drop_null(values))


def _leaf_values(values: pa.Array, column: str) -> pa.Array:
    """Converts a flat array of primitives to int64, float32 or binary."""
    t = values.type
    if pa.types.is_boolean(t) or pa.types.is_signed_integer(t):
        return values.cast(pa.int64())
    if pa.types.is_unsigned_integer(t):
        largest = pc.max(values).as_py() if len(values) else None
        if largest is not None and largest > _INT64_MAX:
            raise FeatureConversionError(
                f"Column {column!r} holds {t} values above 2**63-1, which tf.Example int64 "
                "cannot hold. Cast the column to string or float first.")
        return values.cast(pa.int64())
    if pa.types.is_floating(t):
        return values.cast(pa.float32())
    if pa.types.is_string(t) or pa.types.is_binary(t):
        return values.cast(pa.binary())
    if pa.types.is_large_string(t) or pa.types.is_large_binary(t):
        return values.cast(pa.large_binary()).cast(pa.binary())
    if pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t) or \
            pa.types.is_duration(t):
        storage = pa.int32() if t in (pa.date32(), pa.time32("s"), pa.time32("ms")) else pa.int64()
        return values.cast(storage).cast(pa.int64())
    if pa.types.is_null(t):
        return pa.array([None] * len(values), pa.int64())
    raise FeatureConversionError(
        f"Column {column!r} has Arrow type {t}, which has no tf.Example form. Cast it (e.g. "
        "with `dataset.cast_column`) to a number, string or list of those, or drop it with "
        "`columns`.")


def _flatten_lists(values: pa.Array) -> pa.Array:
    """Concatenates nested lists into one list per row (row-major); null rows stay null."""
    rows = np.arange(len(values))  # for each element of `inner`, the row it belongs to
    inner = values
    while pa.types.is_list(inner.type) or pa.types.is_large_list(inner.type) or \
            pa.types.is_fixed_size_list(inner.type):
        parents = pc.list_parent_indices(inner).to_numpy(zero_copy_only=False)
        rows = rows[parents]
        inner = pc.list_flatten(inner)
    counts = np.bincount(rows, minlength=len(values))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    valid = pc.is_valid(values).to_numpy(zero_copy_only=False)
    return pa.ListArray.from_arrays(
        pa.array(offsets, mask=np.concatenate([~valid, [False]])), inner)


def _media_bytes(values: pa.StructArray) -> pa.Array:
    """The encoded bytes of Image/Audio values; a value stored only as a file path is read."""
    children = dict(zip([f.name for f in values.type], values.flatten()))
    data = children["bytes"]
    missing = pc.and_(pc.is_null(data), pc.is_valid(children["path"]))
    if pc.any(missing).as_py():
        import fsspec

        filled = []
        for content, path in zip(data.to_pylist(), children["path"].to_pylist()):
            if content is None and path is not None:
                with fsspec.open(path, "rb") as f:
                    content = f.read()
            filled.append(content)
        data = pa.array(filled, pa.binary())
    return data.cast(pa.binary())


def _convert(name: str, values: pa.Array, feature) -> List[Tuple[str, pa.Array]]:
    import datasets

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(feature, dict) and not isinstance(feature, datasets.Sequence):
        out = []
        for (child_name, child_feature), child in zip(feature.items(), values.flatten()):
            out += _convert(f"{name}.{child_name}", child, child_feature)
        return out
    if isinstance(feature, (datasets.Image, datasets.Audio)):
        return [(name, _as_list_array(_media_bytes(values)))]
    t = values.type
    if pa.types.is_struct(t):  # e.g. Sequence({...}) stored as a struct of lists
        return _convert(name, values, {f.name: None for f in t})
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        flat = _flatten_lists(values)
        leaves = _leaf_values(flat.flatten(), name)
        return [(name, pa.ListArray.from_arrays(_offsets_keeping_nulls(flat), leaves))]
    return [(name, _as_list_array(_leaf_values(values, name)))]


def to_example_batch(batch: pa.RecordBatch, features) -> pa.RecordBatch:
    """A 🤗 Arrow batch as a RecordBatch of list<int64|float32|binary> columns."""
    columns: Dict[str, pa.Array] = {}
    for name in batch.schema.names:
        for out_name, array in _convert(name, batch.column(name), features.get(name)):
            if out_name in columns:
                raise FeatureConversionError(
                    f"Two columns flatten to the same feature name {out_name!r}; rename one.")
            columns[out_name] = array
    return pa.RecordBatch.from_arrays(list(columns.values()), list(columns.keys()))

