"""Every 🤗 feature type the encoder handles, checked on the tf.Example it produces."""
import datasets
import numpy as np
import pyarrow as pa
import pytest
import tensorflow as tf
from tfx_bsl.coders import example_coder

from tfx_hf.components.hf_dataset_example_gen import arrow_to_examples


def _examples(ds):
    """The tf.Examples of every row, encoded as the executor's Beam step encodes them."""
    batch = ds.with_format("arrow")[:].to_batches()[0]
    return [tf.train.Example.FromString(b) for b in example_coder.RecordBatchToExamples(
        arrow_to_examples.to_example_batch(batch, ds.features))]


def _encode(rows, features):
    return _examples(datasets.Dataset.from_list(rows, features=datasets.Features(features)))


def _values(example, name):
    if name not in example.features.feature:
        return "absent"
    feature = example.features.feature[name]
    kind = feature.WhichOneof("kind")
    return list(getattr(feature, kind).value) if kind else None


def test_scalars_lists_dicts_and_nulls():
    features = {
        "i8": datasets.Value("int8"), "u32": datasets.Value("uint32"),
        "flag": datasets.Value("bool"), "f64": datasets.Value("float64"),
        "s": datasets.Value("string"), "b": datasets.Value("binary"),
        "c": datasets.ClassLabel(names=["x", "y"]),
        "seq": datasets.Sequence(datasets.Value("float32")),
        "nested": datasets.Sequence(datasets.Sequence(datasets.Value("string"))),
        "d": {"a": datasets.Value("int64"), "b": {"c": datasets.Value("string")}},
    }
    rows = [
        {"i8": -3, "u32": 7, "flag": True, "f64": 0.25, "s": "héllo", "b": b"\x00\xff",
         "c": 1, "seq": [1.0, 2.0], "nested": [["a"], ["b", "c"]],
         "d": {"a": 5, "b": {"c": "deep"}}},
        {"i8": None, "u32": None, "flag": None, "f64": None, "s": None, "b": None,
         "c": None, "seq": None, "nested": [], "d": {"a": None, "b": {"c": None}}},
    ]
    first, second = _encode(rows, features)
    assert _values(first, "i8") == [-3] and _values(first, "u32") == [7]
    assert _values(first, "flag") == [1] and _values(first, "f64") == [0.25]
    assert _values(first, "s") == ["héllo".encode()] and _values(first, "b") == [b"\x00\xff"]
    assert _values(first, "c") == [1] and _values(first, "seq") == [1.0, 2.0]
    assert _values(first, "nested") == [b"a", b"b", b"c"]
    assert _values(first, "d.a") == [5] and _values(first, "d.b.c") == [b"deep"]
    for name in ["i8", "u32", "flag", "f64", "s", "b", "c", "seq", "d.a", "d.b.c"]:
        assert _values(second, name) in (None, "absent"), name
    assert _values(second, "nested") == []


def test_timestamp_is_int64():
    table = pa.table({"t": pa.array([np.datetime64("2024-01-02T03:04:05", "s")],
                                    pa.timestamp("s"))})
    ds = datasets.Dataset(table)
    (example,) = _examples(ds)
    assert _values(example, "t") == [1704164645]


def test_unsupported_type_names_the_column():
    table = pa.table({"price": pa.array([1], pa.decimal128(5, 2))})
    with pytest.raises(arrow_to_examples.FeatureConversionError, match="'price'"):
        arrow_to_examples.to_example_batch(table.to_batches()[0], {})


def test_uint64_overflow_names_the_column():
    table = pa.table({"big": pa.array([2**64 - 1], pa.uint64())})
    with pytest.raises(arrow_to_examples.FeatureConversionError, match="'big'"):
        arrow_to_examples.to_example_batch(table.to_batches()[0], {})
