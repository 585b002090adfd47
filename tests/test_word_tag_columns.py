"""HFDatasetExampleGen on word-tagged datasets (token classification): words and tags become
bytes and int64 lists, the tag names are recorded, and rows whose tag and word counts differ
are refused by name."""
import datasets
import pytest

from tfx_hf.components.contracts import LABEL_NAMES_PROPERTY, TAG_NAMES_PROPERTY
from tfx_hf.components.hf_dataset_example_gen.dataset_source import DatasetInputError
from test_hf_dataset_example_gen import _run, _values

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
FEATURES = datasets.Features({
    "id": datasets.Value("string"),
    "tokens": datasets.Sequence(datasets.Value("string")),
    "ner_tags": datasets.Sequence(datasets.ClassLabel(names=TAGS)),
})
ROWS = {"id": ["0", "1", "2"],
        "tokens": [["John", "lives", "in", "New", "York", "."], ["Zoë"], []],
        "ner_tags": [[1, 0, 0, 3, 4, 0], [1], []]}


def _save(tmp_path, rows=ROWS, features=FEATURES, name="data"):
    path = str(tmp_path / name)
    datasets.DatasetDict({"train": datasets.Dataset.from_dict(rows, features=features),
                          "test": datasets.Dataset.from_dict(rows, features=features)}
                         ).save_to_disk(path)
    return path


def test_words_and_tags_are_lists_and_tag_names_are_recorded(tmp_path):
    examples, out = _run(tmp_path, _save(tmp_path), splits={"train": "train", "test": "eval"},
                         word_tag_columns={"tokens": "ner_tags"})
    assert examples.get_json_value_custom_property(TAG_NAMES_PROPERTY) == {"ner_tags": TAGS}
    assert examples.get_json_value_custom_property(LABEL_NAMES_PROPERTY)["ner_tags"] == TAGS
    got = sorted((_values(e, "id")[0].decode(), [w.decode() for w in _values(e, "tokens") or []],
                  _values(e, "ner_tags") or []) for e in out["eval"])
    assert got == list(zip(ROWS["id"], ROWS["tokens"], ROWS["ner_tags"]))


def test_a_row_with_more_tags_than_words_is_named(tmp_path):
    rows = {k: v + v for k, v in ROWS.items()}
    rows["ner_tags"][4] = [1, 0]  # row 4 (the second "Zoë") has 1 word and 2 tags
    with pytest.raises(DatasetInputError, match=r"Row 4 of .*train.* 1 words in 'tokens' "
                                                r"but 2 tags in 'ner_tags'"):
        _run(tmp_path, _save(tmp_path, rows), splits={"train": "train", "test": "eval"},
             word_tag_columns={"tokens": "ner_tags"})


def test_streamed_rows_are_checked_as_they_are_written(tmp_path):
    rows = {k: v * 2 for k, v in ROWS.items()}
    rows["tokens"][3] = ["a", "b"]  # 2 words, 6 tags
    # Both splits read these rows: whichever Beam writes first stops the run.
    with pytest.raises(Exception, match=r"Row 3 of '(train|test) \(shard 0\)' has 2 words"):
        _run(tmp_path, _save(tmp_path, rows), streaming=True,
             splits={"train": "train", "test": "eval"}, word_tag_columns={"tokens": "ner_tags"})


@pytest.mark.parametrize("features, message", [
    (datasets.Features({**FEATURES, "tokens": datasets.Value("string")}),
     "Words column 'tokens' .* must be a list of strings"),
    (datasets.Features({**FEATURES, "ner_tags": datasets.Sequence(datasets.Value("int64"))}),
     r"Tags column 'ner_tags' .* Sequence\(ClassLabel"),
])
def test_columns_of_other_types_are_refused_by_name(tmp_path, features, message):
    rows = dict(ROWS, tokens=[" ".join(t) for t in ROWS["tokens"]]) \
        if features["tokens"] == datasets.Value("string") else ROWS
    with pytest.raises(DatasetInputError, match=message):
        _run(tmp_path, _save(tmp_path, rows, features), splits={"train": "train"},
             word_tag_columns={"tokens": "ner_tags"})
