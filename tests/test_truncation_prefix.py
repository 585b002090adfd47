"""Only the kept part of a long text is tokenized (truncation_prefix.py), with 🤗's ids.

Long texts (the hard corpus repeated: every script, emoji, controls, whitespace runs) are cut
before tokenization; rows, offsets and pairs stay equal to 🤗's `tokenizer(...,
truncation=True)` for WordPiece, SentencePiece Unigram and byte-level BPE tokenizers built
here. The tests check that the cut happened, and that a prefix which yields too few tokens
(runs the normalizer removes) is encoded whole again."""
import numpy as np
import pytest
import tensorflow as tf

from tfx_hf.components.tokenization import InGraphTokenizer
from tfx_hf.components.tokenization.sentencepiece_unigram import _keeps_space_cuts
from tfx_hf.components.tokenization.truncation_prefix import (SLACK, can_cut, encode_kept,
                                                                 prefixes)
from test_tokenization_parity import CORPUS, _assert_same
from test_tokenization_windows import FAMILIES, _offsets_supported, checkpoints, references  # noqa: F401,E501

transformers = pytest.importorskip("transformers")

def _long_texts():
    whole = " ".join(CORPUS)
    texts = [(whole + " ") * 3, whole[::-1] * 2, "word " * 400, "a  b\tc " * 200,
             # the char before each space is not ASCII: no cut is allowed
             "é " * 400,
             # runs of chars BERT's clean_text removes: the prefix is too short
             ("\x01 " * 31 + "x ") * 8 + "tail " * 50,
             "x " * (128 + SLACK) + "y", "x " * (128 + SLACK + 1) + "y",
             CORPUS[2], "", "short text"]
    return texts


TEXTS = _long_texts()


def _expected(reference, args, max_length, **options):
    expected = dict(reference(*args, padding="max_length", truncation=options.pop(
        "truncation", True), max_length=max_length, **options))
    if "offset_mapping" in expected:
        expected["offset_mapping"] = [[list(o) for o in row] for row in expected["offset_mapping"]]
    return expected


def _python_cut(text, max_tokens):
    pieces = text.split(" ", max_tokens + SLACK)
    return len(pieces) > max_tokens + SLACK and "!" <= pieces[-2][-1:] <= "~"


def test_texts_are_cut_where_allowed():
    cut_texts, cut = prefixes(tf.constant(TEXTS), 16)
    cut = cut.numpy().tolist()
    assert cut == [_python_cut(text, 16) for text in TEXTS]
    assert cut[2] and cut[5] and not cut[3] and not cut[4] and not cut[-1], cut
    for text, cut_text, was_cut in zip(TEXTS, cut_texts.numpy(), cut):
        cut_text = cut_text.decode("utf-8")
        assert text.startswith(cut_text) and (len(cut_text) < len(text)) == was_cut
        if was_cut:
            assert text[len(cut_text)] == " " and cut_text[-1].isascii()


@pytest.mark.slow  # traces each family's tokenizer twice, offsets included (15-35 s each)
@pytest.mark.parametrize("family", FAMILIES)
def test_single_texts_equal_hf(checkpoints, references, family):  # noqa: F811
    """At a short max_length with offsets (where the family has them) and at 128; batches
    where some, every and no row is cut."""
    for max_length, offsets in ((16, _offsets_supported(checkpoints[family])), (128, False)):
        ours = InGraphTokenizer.from_pretrained(checkpoints[family], max_length=max_length,
                                                return_offsets_mapping=offsets)
        assert can_cut(ours.encoder, ours.tokenizer_config.added_tokens)
        traced = tf.function(ours, input_signature=[tf.TensorSpec([None], tf.string)])
        expected = _expected(references[family], (TEXTS,), max_length,
                             return_offsets_mapping=offsets)
        for rows in (slice(None), slice(0, 2), slice(-2, None)):
            _assert_same(dict(traced(tf.constant(TEXTS[rows]))),
                         {k: v[rows] for k, v in expected.items()}, (family, max_length, rows))


@pytest.mark.parametrize("family", FAMILIES)
def test_pairs_equal_hf(checkpoints, references, family):  # noqa: F811
    """`only_second` cuts the second text, `only_first` the first; `longest_first` compares
    whole lengths and cuts neither."""
    questions = ["Who scored?", "中文 question ¿qué?", "", "x " * 3] * 2
    contexts = TEXTS[:8]
    ours_of = {}
    for truncation in ("only_second", "only_first", "longest_first"):
        args = (contexts, questions) if truncation == "only_first" else (questions, contexts)
        if truncation == "longest_first":
            args = (contexts, contexts[::-1])
        ours_of[truncation] = ours = InGraphTokenizer.from_pretrained(
            checkpoints[family], max_length=64, truncation=truncation)
        expected = _expected(references[family], args, 64, truncation=truncation)
        _assert_same(dict(ours(*(tf.constant(a) for a in args))), expected,
                     (family, truncation))
    assert ours_of["only_second"]._truncated(2) == (False, True)
    assert ours_of["longest_first"]._truncated(2) == (False, False)


def test_a_prefix_with_too_few_tokens_is_encoded_whole(checkpoints, references):  # noqa: F811
    ours = InGraphTokenizer.from_pretrained(checkpoints["wordpiece"], max_length=16)
    batches = []

    def encode(text):
        batches.append(int(tf.size(text)))
        return ours.encode(text)

    texts = [TEXTS[5], TEXTS[2], "short"]
    ids = encode_kept(encode, tf.constant(texts), 16)
    assert batches == [3, 1]  # all rows, then the one whose prefix gave one token
    expected = references["wordpiece"](texts, add_special_tokens=False)["input_ids"]
    assert [row[:16] for row in ids.to_list()] == [row[:16] for row in expected]
    assert len(ids.to_list()[1]) < len(expected[1])  # the cut row was not encoded whole


def test_an_added_token_with_a_space_turns_the_cut_off(checkpoints, tmp_path):  # noqa: F811
    reference = transformers.AutoTokenizer.from_pretrained(checkpoints["wordpiece"])
    reference.add_tokens([transformers.AddedToken("word word", normalized=False)])
    reference.save_pretrained(str(tmp_path))
    reference = transformers.AutoTokenizer.from_pretrained(str(tmp_path))
    ours = InGraphTokenizer.from_pretrained(str(tmp_path), max_length=16)
    assert not can_cut(ours.encoder, ours.tokenizer_config.added_tokens)
    texts = ["word " * 400]
    _assert_same(dict(ours(tf.constant(texts))), _expected(reference, (texts,), 16), "added")


def test_windows_see_every_token(checkpoints, references):  # noqa: F811
    ours = InGraphTokenizer.from_pretrained(checkpoints["wordpiece"], max_length=32,
                                            return_overflowing_tokens=True, stride=4)
    assert ours._truncated(1) == (False,)
    windows = ours(tf.constant(["word " * 400]))["num_windows"].numpy()
    assert windows[0] == len(references["wordpiece"](
        ["word " * 400], truncation=True, max_length=32, stride=4,
        return_overflowing_tokens=True)["input_ids"])


def test_unigram_normalizers_that_may_join_across_a_space_turn_the_cut_off():
    assert _keeps_space_cuts({"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "})
    assert _keeps_space_cuts({"type": "Replace", "pattern": {"String": "``"}, "content": '"'})
    assert _keeps_space_cuts({"type": "Precompiled", "precompiled_charsmap": ""})
    assert not _keeps_space_cuts({"type": "Replace", "pattern": {"String": "a b"},
                                  "content": "x"})
    assert not _keeps_space_cuts({"type": "Replace", "pattern": {"Regex": "\\s+"},
                                  "content": "x"})


def test_cut_ids_equal_whole_text_ids_on_real_articles():
    """The demo's checkpoint on BBC News articles (most far over 128 tokens)."""
    from tfx_hf.pipelines.demo_data import minilm_checkpoint, read_bbc_news
    articles = read_bbc_news()[0][:300]
    assert np.mean(prefixes(tf.constant(articles), 128)[1].numpy()) > 0.5
    reference = transformers.AutoTokenizer.from_pretrained(minilm_checkpoint())
    ours = InGraphTokenizer.from_pretrained(minilm_checkpoint(), max_length=128)
    _assert_same(dict(ours(tf.constant(articles))), _expected(reference, (articles,), 128),
                 "bbc")
