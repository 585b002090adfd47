"""Parity of SplitWordsTokenizer with 🤗 on pre-tokenized rows: ids, masks and type ids as
`tokenizer(words, is_split_into_words=True, truncation=True, max_length=L)` gives them, word
ids as its `word_ids()`, and labels aligned as 🤗's token-classification example
(`run_ner.py`) aligns them, for WordPiece, SentencePiece Unigram and byte-level BPE
checkpoints, on the hard corpora of the tokenizer parity tests cut into words."""
import pytest
import tensorflow as tf

from tfx_hf.components.tokenization.split_words import (
    IGNORED_LABEL, NO_WORD, SplitWordsTokenizer, b_to_i_ids)
from tfx_hf.pipelines.demo_data import minilm_checkpoint
from test_tokenization_bpe import BPE_TEXTS
from test_tokenization_bpe import _build as build_bpe
from test_tokenization_parity import CORPUS
from test_tokenization_sentencepiece import ADDED_TOKEN_TEXTS
from test_tokenization_sentencepiece import _train as train_sentencepiece

transformers = pytest.importorskip("transformers")

TAG_NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-MISC"]  # B-MISC has no I-MISC
# Rows of words: the corpora cut at single spaces (so words keep other whitespace, and some
# are empty), and words 🤗 treats specially: several pre-tokens in one word, a special token
# as a word, words that encode to nothing, a row of empty words, long rows that truncation
# cuts inside a word.
ROWS = [text.split(" ") for text in CORPUS + BPE_TEXTS + ADDED_TOKEN_TEXTS if text] + [
    ["New York", "[CLS]", "<s>", "<mask>", "x"], ["\x07", "a", "\x00"], ["", "", ""], [""],
    ["é" * 30] * 6, ["Zoë", "Ødegaard", "São Paulo", "-", "(", "Hello", ")", "!"],
]


def _tags(rows):
    return [[(i * 7 + len(word)) % len(TAG_NAMES) for i, word in enumerate(row)] for row in rows]


def _expected_labels(encoding, tags, label_all_tokens):
    """run_ner.py's tokenize_and_align_labels for one row."""
    b_to_i = b_to_i_ids(TAG_NAMES)
    labels, previous = [], None
    for word in encoding.word_ids:
        if word is None:
            labels.append(IGNORED_LABEL)
        elif word != previous:
            labels.append(tags[word])
        else:
            labels.append(b_to_i[tags[word]] if label_all_tokens else IGNORED_LABEL)
        previous = word
    return labels


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("split_words")
    paths = {"wordpiece": minilm_checkpoint()}
    for family in ("xlmr", "t5"):
        paths[family] = train_sentencepiece(str(folder), family)
    for style in ("roberta", "gpt2"):
        paths[style] = build_bpe(folder / style, style)
    return paths


FAMILIES = ["wordpiece", "xlmr", "t5", "roberta", "gpt2"]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("label_all_tokens", [False, True])
def test_ids_word_ids_and_labels_equal_transformers(checkpoints, family, label_all_tokens):
    # RoBERTa and GPT-2 take pre-tokenized input only with add_prefix_space=True.
    reference = transformers.AutoTokenizer.from_pretrained(
        checkpoints[family], **({"add_prefix_space": True}
                                if family in ("roberta", "gpt2") else {}))
    tags = _tags(ROWS)
    for max_length in (12, 128):
        ours = SplitWordsTokenizer.from_pretrained(
            checkpoints[family], max_length=max_length, label_all_tokens=label_all_tokens,
            label_names=TAG_NAMES)
        got = ours(tf.ragged.constant(ROWS, tf.string), tf.ragged.constant(tags, tf.int64))
        expected = reference(ROWS, is_split_into_words=True, truncation=True,
                             max_length=max_length, padding="max_length")
        assert set(got) == set(expected) | {"word_ids", "labels"}
        for row in range(len(ROWS)):
            context = (family, max_length, row, ROWS[row][:4])
            for name in expected:
                assert got[name][row].numpy().tolist() == expected[name][row], (name, context)
            encoding = expected.encodings[row]
            assert got["word_ids"][row].numpy().tolist() == [
                NO_WORD if w is None else w for w in encoding.word_ids], context
            assert got["labels"][row].numpy().tolist() == _expected_labels(
                encoding, tags[row], label_all_tokens), context


def test_rows_without_tags_give_no_labels(checkpoints):
    ours = SplitWordsTokenizer.from_pretrained(checkpoints["wordpiece"], max_length=16)
    got = ours(tf.ragged.constant([["Hello", "world"]], tf.string))
    assert "labels" not in got and got["word_ids"][0, :4].numpy().tolist() == [-1, 0, 1, -1]


def test_a_row_with_more_tags_than_words_fails(checkpoints):
    ours = SplitWordsTokenizer.from_pretrained(checkpoints["wordpiece"], max_length=16)
    with pytest.raises(tf.errors.InvalidArgumentError, match="number of tags and words"):
        ours(tf.ragged.constant([["a", "b"]], tf.string), tf.ragged.constant([[1, 2, 3]]))


def test_b_to_i_turns_each_begin_tag_into_its_inside_tag():
    assert b_to_i_ids(TAG_NAMES) == [0, 2, 2, 4, 4, 5]
    assert b_to_i_ids(["O"]) == [0]
