"""HFDatasetExampleGen: executor Do with temp-dir artifacts, on real `datasets` sources."""
import glob
import json
import os
import shutil
import subprocess
import sys

import datasets
import pyarrow as pa
import pytest
import tensorflow as tf
from tfx.proto import example_gen_pb2
from tfx.types import standard_artifacts
from tfx.utils import proto_utils

from tfx_hf.components.contracts import (INVALID_UTF8_PROPERTY, LABEL_NAMES_PROPERTY,
                                         ROW_COUNTS_PROPERTY)
from tfx_hf.components.hf_dataset_example_gen import executor
from tfx_hf.components.hf_dataset_example_gen.component import HFDatasetExampleGen
from tfx_hf.components.hf_dataset_example_gen.dataset_source import DatasetInputError


def _run(tmp_path, dataset, splits=None, output_config=None, **props):
    """Runs the executor as TFX would and returns (artifact, {split: [tf.Example]})."""
    component = HFDatasetExampleGen(dataset=dataset, splits=splits, output_config=output_config,
                                    **props)
    exec_properties = {}
    for key, value in component.exec_properties.items():
        if hasattr(value, "DESCRIPTOR"):
            value = proto_utils.proto_to_json(value)
        exec_properties[key] = value
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    executor.Executor().Do({}, {"examples": [examples]}, exec_properties)
    out = {}
    for split in json.loads(examples.split_names):
        files = glob.glob(os.path.join(examples.uri, f"Split-{split}", "*.gz"))
        out[split] = [tf.train.Example.FromString(r.numpy()) for r in
                      tf.data.TFRecordDataset(files, compression_type="GZIP")]
    return examples, out


def _values(example, name):
    feature = example.features.feature[name]
    kind = feature.WhichOneof("kind")
    return list(getattr(feature, kind).value) if kind else None


def test_save_to_disk_split_mapping_and_label_names(tmp_path, topic_dataset):
    examples, out = _run(tmp_path, topic_dataset, splits={"train": "train", "test": "eval"})
    assert examples.split_names == '["train", "eval"]'
    assert {k: len(v) for k, v in out.items()} == {"train": 90, "eval": 30}
    assert examples.get_json_value_custom_property(ROW_COUNTS_PROPERTY) == {
        "train": 90, "eval": 30}
    assert examples.get_json_value_custom_property(LABEL_NAMES_PROPERTY) == {
        "label": ["sport", "business", "tech"]}
    expected = datasets.load_from_disk(topic_dataset)["test"]
    got = sorted((_values(e, "text")[0].decode(), _values(e, "label")[0]) for e in out["eval"])
    assert got == sorted(zip(expected["text"], expected["label"]))


def test_single_split_is_hash_partitioned_without_losing_rows(tmp_path, topic_dataset):
    examples, out = _run(tmp_path, topic_dataset, columns=["text", "label"])
    assert set(out) == {"train", "eval"}
    assert len(out["train"]) + len(out["eval"]) == 90
    assert 30 < len(out["train"]) < 90
    assert set(out["train"][0].features.feature) == {"text", "label"}
    # Deterministic: the same rows land in the same split on a second run.
    _, again = _run(tmp_path / "again", topic_dataset, columns=["text", "label"])
    assert sorted(_values(e, "text") for e in again["eval"]) == \
        sorted(_values(e, "text") for e in out["eval"])


def test_csv_with_string_labels_is_class_encoded(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("review,sentiment\ngreat film,pos\nawful plot,neg\n\"fine, really\",pos\n")
    examples, out = _run(tmp_path, str(path), splits={"train": "train"},
                         rename_columns={"review": "text"}, class_label_columns=["sentiment"])
    assert examples.get_json_value_custom_property(LABEL_NAMES_PROPERTY) == {
        "sentiment": ["neg", "pos"]}
    rows = sorted((_values(e, "text")[0], _values(e, "sentiment")[0]) for e in out["train"])
    assert rows == [(b"awful plot", 0), (b"fine, really", 1), (b"great film", 1)]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_data_files_jsonl_and_parquet(tmp_path, fmt):
    ds = datasets.Dataset.from_dict({"text": ["a", "b", None], "score": [0.5, 1.5, 2.5]})
    path = str(tmp_path / f"data.{fmt}")
    ds.to_json(path) if fmt == "jsonl" else ds.to_parquet(path)
    _, out = _run(tmp_path, path, splits={"train": "train"})
    rows = [(_values(e, "text"), _values(e, "score")) for e in out["train"]]
    assert len(rows) == 3
    assert sorted(r[1][0] for r in rows) == [0.5, 1.5, 2.5]
    # A null string is an empty string (as a CSV reader reads an empty cell), never "None".
    assert sorted(r[0][0] for r in rows) == [b"", b"a", b"b"]


def test_data_files_mapping_selects_splits(tmp_path):
    for name, texts in {"tr": ["a", "b"], "te": ["c"]}.items():
        datasets.Dataset.from_dict({"text": texts}).to_csv(str(tmp_path / f"{name}.csv"))
    _, out = _run(tmp_path, "csv", splits={"train": "train", "test": "eval"},
                  data_files={"train": str(tmp_path / "tr.csv"), "test": str(tmp_path / "te.csv")})
    assert {k: len(v) for k, v in out.items()} == {"train": 2, "eval": 1}


def test_slice_of_saved_split(tmp_path, topic_dataset):
    _, out = _run(tmp_path, topic_dataset, splits={"train[:10]": "train", "test[50%:]": "eval"})
    assert {k: len(v) for k, v in out.items()} == {"train": 10, "eval": 15}


def test_missing_path_column_and_split_are_named(tmp_path, topic_dataset):
    with pytest.raises(DatasetInputError, match="does not exist"):
        _run(tmp_path, str(tmp_path / "nope"), splits={"train": "train"})
    with pytest.raises(DatasetInputError, match="'headline'.*columns are: text, label, topic"):
        _run(tmp_path, topic_dataset, splits={"train": "train"}, columns=["headline"])
    with pytest.raises(DatasetInputError, match="no split 'validation'.*train, test"):
        _run(tmp_path, topic_dataset, splits={"validation": "eval"})


def test_empty_split_is_an_error(tmp_path):
    path = tmp_path / "empty"
    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"text": ["x"]}),
                          "test": datasets.Dataset.from_dict({"text": []})}).save_to_disk(str(path))
    with pytest.raises(DatasetInputError, match="Split 'test'.*has no rows"):
        _run(tmp_path, str(path), splits={"train": "train", "test": "eval"})


def test_invalid_utf8_csv_names_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"text,label\nfine,0\ncaf\xe9 au lait,1\n")
    with pytest.raises(DatasetInputError, match=r"bad.csv, line 3: invalid UTF-8"):
        _run(tmp_path, str(path), splits={"train": "train"})


@pytest.mark.slow
def test_multi_processing_direct_runner(tmp_path, topic_dataset):
    """Beam workers in other processes re-open the dataset themselves and count the same."""
    from tfx.dsl.components.base import base_beam_executor

    component = HFDatasetExampleGen(dataset=topic_dataset,
                                    splits={"train": "train", "test": "eval"})
    exec_properties = {k: proto_utils.proto_to_json(v) if hasattr(v, "DESCRIPTOR") else v
                       for k, v in component.exec_properties.items()}
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    context = base_beam_executor.BaseBeamExecutor.Context(
        # A worker image, even one the DirectRunner never uses, stops TFX from building an
        # sdist of itself for the executor.
        beam_pipeline_args=["--direct_running_mode=multi_processing", "--direct_num_workers=2",
                            "--sdk_container_image=tfx-hf:latest"])
    executor.Executor(context).Do({}, {"examples": [examples]}, exec_properties)
    assert examples.get_json_value_custom_property(ROW_COUNTS_PROPERTY) == {
        "train": 90, "eval": 30}


def test_integer_label_column_gets_names_and_missing_labels_are_refused(tmp_path):
    path = tmp_path / "ints.csv"
    path.write_text("text,label\na,0\nb,2\nc,1\n")
    examples, out = _run(tmp_path, str(path), splits={"train": "train"},
                         class_label_columns=["label"])
    assert examples.get_json_value_custom_property(LABEL_NAMES_PROPERTY) == {
        "label": ["0", "1", "2"]}
    assert sorted(_values(e, "label")[0] for e in out["train"]) == [0, 1, 2]

    holes = tmp_path / "holes.csv"
    holes.write_text("text,label\na,pos\nb,\nc,neg\n")
    with pytest.raises(DatasetInputError, match="'label' has 1 missing values in split 'train'"):
        _run(tmp_path / "h", str(holes), splits={"train": "train"}, class_label_columns=["label"])


def test_streaming_reads_every_row(tmp_path, topic_dataset):
    examples, out = _run(tmp_path, topic_dataset, splits={"train": "train", "test": "eval"},
                         streaming=True)
    assert examples.get_json_value_custom_property(ROW_COUNTS_PROPERTY) == {
        "train": 90, "eval": 30}
    expected = datasets.load_from_disk(topic_dataset)["train"]["text"]
    assert sorted(_values(e, "text")[0].decode() for e in out["train"]) == sorted(expected)


def test_streaming_data_files_in_several_shards(tmp_path):
    for i in range(3):
        datasets.Dataset.from_dict({"text": [f"row {i}-{j}" for j in range(7)]}).to_json(
            str(tmp_path / f"part{i}.jsonl"))
    files = [str(tmp_path / f"part{i}.jsonl") for i in range(3)]
    _, out = _run(tmp_path, "json", splits={"train": "train"}, data_files={"train": files},
                  streaming=True)
    assert sorted(_values(e, "text")[0] for e in out["train"]) == sorted(
        f"row {i}-{j}".encode() for i in range(3) for j in range(7))


def test_streaming_refuses_string_labels_it_cannot_enumerate(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("text,label\na,pos\n")
    with pytest.raises(DatasetInputError, match="streaming does not make"):
        _run(tmp_path, str(path), splits={"train": "train"}, class_label_columns=["label"],
             streaming=True)


def test_parquet_payload(tmp_path, topic_dataset):
    import pyarrow.parquet as pq
    from tfx.components.util import examples_utils

    examples, _ = _run(tmp_path, topic_dataset, splits={"train": "train", "test": "eval"},
                       columns=["text", "label"],
                       output_data_format=example_gen_pb2.FORMAT_PARQUET)
    assert examples_utils.get_payload_format(examples) == example_gen_pb2.FORMAT_PARQUET
    table = pq.read_table(glob.glob(os.path.join(examples.uri, "Split-eval", "*.parquet")))
    assert table.num_rows == 30
    assert table.schema.field("text").type == pa.list_(pa.binary())
    expected = datasets.load_from_disk(topic_dataset)["test"]
    assert sorted(t[0] for t in table.column("text").to_pylist()) == sorted(
        t.encode() for t in expected["text"])


def test_parquet_payload_with_hash_partition(tmp_path, topic_dataset):
    import pyarrow.parquet as pq

    examples, _ = _run(tmp_path, topic_dataset, columns=["text", "label"],
                       output_data_format=example_gen_pb2.FORMAT_PARQUET)
    counts = examples.get_json_value_custom_property(ROW_COUNTS_PROPERTY)
    for split, count in counts.items():
        files = glob.glob(os.path.join(examples.uri, f"Split-{split}", "*.parquet"))
        assert pq.read_table(files).num_rows == count
    assert sum(counts.values()) == 90


def test_partition_feature_name_keeps_groups_together(tmp_path):
    path = str(tmp_path / "users")
    datasets.Dataset.from_dict({"text": [f"t{i}" for i in range(100)],
                                "user": [f"u{i % 20}" for i in range(100)]}).save_to_disk(path)
    output_config = example_gen_pb2.Output(split_config=example_gen_pb2.SplitConfig(
        splits=[example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=1),
                example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1)],
        partition_feature_name="user"))
    _, out = _run(tmp_path, path, output_config=output_config)
    users = {split: {_values(e, "user")[0] for e in rows} for split, rows in out.items()}
    assert users["train"] and users["eval"] and not users["train"] & users["eval"]
    assert sum(len(rows) for rows in out.values()) == 100


def test_invalid_utf8_replace_mode_counts_lines(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"text,label\nfine,0\ncaf\xe9 au lait,1\nna\xefve \xff,0\n")
    examples, out = _run(tmp_path, str(path), splits={"train": "train"}, invalid_utf8="replace")
    assert examples.get_int_custom_property(INVALID_UTF8_PROPERTY) == 2
    texts = sorted(_values(e, "text")[0].decode() for e in out["train"])
    assert texts == ["caf\ufffd au lait", "fine", "na\ufffdve \ufffd"]


def test_text_files_and_folders(tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("first line\nsecond line\n")
    (folder / "b.txt").write_text("third line\n")
    _, out = _run(tmp_path, str(folder), splits={"train": "train"})
    assert sorted(_values(e, "text")[0] for e in out["train"]) == [
        b"first line", b"second line", b"third line"]


@pytest.mark.slow
def test_offline_cache_for_data_files(tmp_path, monkeypatch):
    """With HF_DATASETS_OFFLINE=1 a local dataset loads from files and the 🤗 cache only."""
    path = tmp_path / "data.csv"
    path.write_text("text\nx\ny\n")
    script = f"""
import os, json
from tfx_hf.components.hf_dataset_example_gen import dataset_source
src = dataset_source.DatasetSource(path={str(path)!r})
print(json.dumps(len(dataset_source.load_split(src.to_json(), "train"))))
"""
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1",
               HF_DATASETS_CACHE=str(tmp_path / "cache"))
    for _ in range(2):  # the second run reads the cache the first one wrote
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, check=True).stdout
        assert out.strip().splitlines()[-1] == "2"
    assert os.listdir(tmp_path / "cache")


def test_image_and_audio_columns_are_encoded_bytes(tmp_path):
    import io

    import numpy as np
    from PIL import Image

    image_path = tmp_path / "dot.png"
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(image_path)
    wav = tmp_path / "beep.wav"
    wav.write_bytes(b"RIFF....WAVEfmt ")  # stored as bytes; never decoded here
    ds = datasets.Dataset.from_dict(
        {"image": [str(image_path), None], "audio": [{"bytes": wav.read_bytes(), "path": None},
                                                     {"bytes": None, "path": None}]},
        features=datasets.Features({"image": datasets.Image(), "audio": {
            "bytes": datasets.Value("binary"), "path": datasets.Value("string")}}))
    # Audio's encoder needs soundfile; casting the stored struct does not.
    ds = ds.cast_column("audio", datasets.Audio(decode=False))
    ds.save_to_disk(str(tmp_path / "media"))
    _, out = _run(tmp_path, str(tmp_path / "media"), splits={"train": "train"})
    rows = {bool(_values(e, "image")): e for e in out["train"]}
    assert _values(rows[True], "image") == [image_path.read_bytes()]
    assert Image.open(io.BytesIO(_values(rows[True], "image")[0])).size == (2, 2)
    assert _values(rows[True], "audio") == [wav.read_bytes()]
    assert _values(rows[False], "audio") in (None, [])


OFFLINE_HUB_SCRIPT = """
import json, sys
from tfx.types import standard_artifacts
from tfx.utils import proto_utils
from tfx_hf.components.contracts import ROW_COUNTS_PROPERTY
from tfx_hf.components.hf_dataset_example_gen import executor
from tfx_hf.components.hf_dataset_example_gen.component import HFDatasetExampleGen
spec = HFDatasetExampleGen(dataset="acme/tiny-news", splits={"train": "train", "test": "eval"})
props = {k: proto_utils.proto_to_json(v) if hasattr(v, "DESCRIPTOR") else v
         for k, v in spec.exec_properties.items()}
examples = standard_artifacts.Examples()
examples.uri = sys.argv[1]
executor.Executor().Do({}, {"examples": [examples]}, props)
print(json.dumps(examples.get_json_value_custom_property(ROW_COUNTS_PROPERTY)))
"""

CACHE_HUB_DATASET = """
import sys, datasets
from datasets.packaged_modules.parquet.parquet import Parquet
for split, rows in (("train", 5), ("test", 2)):
    datasets.Dataset.from_dict({"text": ["x"] * rows}).to_parquet(f"{sys.argv[1]}/{split}.parquet")
# What `load_dataset("acme/tiny-news")` leaves in the cache after a download.
Parquet(dataset_name="tiny-news", repo_id="acme/tiny-news", hash="0123abcd",
        data_files={s: f"{sys.argv[1]}/{s}.parquet" for s in ("train", "test")}
        ).download_and_prepare()
"""


def test_hub_id_in_the_datasets_cache_works_offline(tmp_path):
    env = dict(os.environ, HF_DATASETS_CACHE=str(tmp_path / "cache"))
    subprocess.run([sys.executable, "-c", CACHE_HUB_DATASET, str(tmp_path)], env=env,
                   check=True, capture_output=True)
    env.update(HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1")
    result = subprocess.run([sys.executable, "-c", OFFLINE_HUB_SCRIPT, str(tmp_path / "ex")],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"train": 5, "eval": 2}


def test_single_saved_dataset_is_the_train_split(tmp_path):
    path = str(tmp_path / "single")
    datasets.Dataset.from_dict({"text": ["a", "b", "c"]}).save_to_disk(path)
    _, out = _run(tmp_path, path)  # default: hash-partition "train" into train/eval
    assert sum(len(v) for v in out.values()) == 3
    with pytest.raises(DatasetInputError, match="single Dataset"):
        _run(tmp_path / "x", path, splits={"test": "eval"})


def test_dataset_scripts_do_not_run_unless_trusted(tmp_path):
    folder = tmp_path / "scripted"
    folder.mkdir()
    marker = tmp_path / "script_ran"
    (folder / "scripted.py").write_text(f"""
import datasets
open({str(marker)!r}, "w").write("ran")

class Scripted(datasets.GeneratorBasedBuilder):
    def _info(self):
        return datasets.DatasetInfo(
            features=datasets.Features({{"text": datasets.Value("string")}}))
    def _split_generators(self, dl_manager):
        return [datasets.SplitGenerator(name="train")]
    def _generate_examples(self):
        yield 0, {{"text": "from a script"}}
""")
    with pytest.raises(DatasetInputError, match="trust_remote_code is off.*trust_remote_code=True"):
        _run(tmp_path, str(folder), splits={"train": "train"})
    assert not marker.exists()
    _, out = _run(tmp_path / "trusted", str(folder), splits={"train": "train"},
                  trust_remote_code=True)
    assert [_values(e, "text") for e in out["train"]] == [[b"from a script"]]
    assert marker.exists()


# Bad input found in the driver, in one line (issue 15) ---------------------------------------

TEXTS = ["a film", "", None, "the end"]  # an empty and a null text among real ones
TITLES = [None, "t", "", "u"]


def _write_texts(tmp_path, reader):
    """The same four rows (empty and null texts in two text columns) as `reader` reads them."""
    rows = datasets.Dataset.from_dict({"text": TEXTS, "title": TITLES, "label": [0, 1, 0, 1]})
    if reader == "csv":  # empty cells, as spreadsheets write them; the reader makes them null
        path = tmp_path / "rows.csv"
        path.write_text('text,title,label\n"a film",,0\n,t,1\n"",,0\n"the end",u,1\n')
    elif reader == "json":
        path = tmp_path / "rows.jsonl"
        rows.to_json(str(path))
    elif reader == "parquet":
        path = tmp_path / "rows.parquet"
        rows.to_parquet(str(path))
    else:
        path = tmp_path / "saved"
        datasets.DatasetDict({"train": rows}).save_to_disk(str(path))
    return str(path)


@pytest.mark.parametrize("reader", ["csv", "json", "parquet", "save_to_disk"])
def test_null_and_empty_texts_are_empty_texts_for_every_reader(tmp_path, reader):
    examples, out = _run(tmp_path, _write_texts(tmp_path, reader), splits={"train": "train"},
                         class_label_columns=["label"])
    assert examples.get_json_value_custom_property(ROW_COUNTS_PROPERTY) == {"train": 4}
    rows = sorted(((_values(e, "text"), _values(e, "title")) for e in out["train"]), key=repr)
    # Every row has both text features, one string each: "" for an empty or a null text.
    assert rows == sorted((([t.encode()], [u.encode()]) for t, u in
                           zip(["a film", "", "", "the end"], ["", "t", "", "u"])), key=repr)


def test_text_column_of_numbers_is_refused(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("text,score,label\nfine,3,pos\nbad,1,neg\n")
    with pytest.raises(DatasetInputError, match=r"Text column 'score' of dataset .* holds "
                       r"Value\(dtype='int64'.*not text"):
        _run(tmp_path, str(path), splits={"train": "train"}, text_columns=["score"],
             class_label_columns=["label"])


def test_single_class_is_refused(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("text,label\ngood,pos\nfine,pos\n")
    with pytest.raises(DatasetInputError, match=r"'label' .* has 1 class \(\['pos'\]\); a "
                       "classifier needs at least 2"):
        _run(tmp_path, str(path), splits={"train": "train"}, class_label_columns=["label"])
    saved = str(tmp_path / "saved")
    datasets.Dataset.from_dict({"text": ["a", "b"], "label": [0, 0]}, features=datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["only"])})
    ).save_to_disk(saved)
    with pytest.raises(DatasetInputError, match=r"has 1 class \(\['only'\]\)"):
        _run(tmp_path / "s", saved, class_label_columns=["label"], streaming=True)


def test_jsonl_column_of_mixed_types_names_file_column_and_line(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"text": "fine", "label": 0}\n{"text": ["a", "list"], "label": 1}\n'
                    '{"text": "again a string", "label": 0}\n')
    with pytest.raises(DatasetInputError) as error:
        _run(tmp_path, str(path), splits={"train": "train"})
    message = str(error.value)
    assert "\n" not in message
    assert f"column 'text' changed from string to array in row 1 (file {path}, line 2)" in \
        message, message


def test_save_to_disk_folder_with_a_missing_arrow_file_is_named(tmp_path, topic_dataset):
    folder = tmp_path / "copy"
    shutil.copytree(topic_dataset, folder)
    (arrow,) = glob.glob(str(folder / "test" / "*.arrow"))
    os.remove(arrow)
    with pytest.raises(DatasetInputError, match=f"is incomplete: {arrow} is missing"):
        _run(tmp_path, str(folder), splits={"train": "train", "test": "eval"})
