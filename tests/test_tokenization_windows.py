"""Overflow windows: InGraphTokenizer(return_overflowing_tokens=True, stride=S) returns exactly
the rows of 🤗's `tokenizer(texts, truncation=True, max_length=L, stride=S,
return_overflowing_tokens=True)` (ids, masks, type ids, offsets, overflow_to_sample_mapping) for
WordPiece, SentencePiece Unigram and byte-level BPE tokenizers built here, on texts of 1 to 40
windows (non-ASCII, added tokens), single texts and pairs (windows over the second text,
`only_second`, as 🤗), and the `max_windows` cap."""
import numpy as np
import pytest
import tensorflow as tf

from tfx_hf.components.input_error import InputError
from tfx_hf.components.tokenization import InGraphTokenizer
from test_tokenization_parity import CORPUS, _assert_same

transformers = pytest.importorskip("transformers")

# (max_length, stride): no overlap, some, and the most 🤗 allows (budget - 1) at a short length.
WINDOWINGS = [(16, 0), (32, 8), (64, 31), (12, 9)]
MAX_WINDOWS = 40
FAMILIES = ["wordpiece", "unigram", "bpe"]


def _long_texts():
    """From one word to the whole corpus: texts of 1 to 40+ windows at every windowing."""
    whole = " ".join(CORPUS[:18] + CORPUS[23:28])  # every script, emoji, controls, no repeats
    texts = [whole[:n] for n in (1, 40, 90, 200, 400, 700, 1000, 1400)]
    texts += [whole[-n:] for n in (60, 300, 650)] + [CORPUS[2], CORPUS[11], "", "x"]
    return texts


TEXTS = _long_texts()


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """One checkpoint per family, built as the families' parity tests build theirs."""
    import test_tokenization_bpe as bpe
    import test_tokenization_parity as wordpiece
    import test_tokenization_sentencepiece as unigram

    folder = tmp_path_factory.mktemp("windows")
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(wordpiece._vocab(CORPUS)) + "\n", encoding="utf-8")
    transformers.BertTokenizerFast(vocab_file=str(vocab_file), model_max_length=512,
                                   do_lower_case=False).save_pretrained(str(folder / "wp"))
    return {"wordpiece": str(folder / "wp"), "unigram": unigram._train(str(folder), "xlmr"),
            "bpe": bpe._build(folder / "bpe", "roberta")}


@pytest.fixture(scope="module")
def references(checkpoints):
    return {family: transformers.AutoTokenizer.from_pretrained(path)
            for family, path in checkpoints.items()}


def _windows_tokenizer(path, max_length, stride, **options):
    return InGraphTokenizer.from_pretrained(path, max_length=max_length, padding="longest",
                                            return_overflowing_tokens=True, stride=stride,
                                            **options)


def _offsets_supported(path):
    try:
        InGraphTokenizer.from_pretrained(path, max_length=16, return_offsets_mapping=True)
        return True
    except InputError:
        return False


def _expected(reference, args, max_length, stride, **options):
    expected = dict(reference(*args, padding="longest", truncation=options.pop(
        "truncation", True), max_length=max_length, stride=stride,
        return_overflowing_tokens=True, **options))
    if "offset_mapping" in expected:
        expected["offset_mapping"] = [[list(o) for o in row] for row in expected["offset_mapping"]]
    return expected


def _windows_per_text(expected, n_texts):
    return np.bincount(np.asarray(expected["overflow_to_sample_mapping"]), minlength=n_texts)


@pytest.mark.parametrize("family", FAMILIES)
def test_single_text_windows(checkpoints, references, family):
    offsets = _offsets_supported(checkpoints[family])
    spans = set()
    for max_length, stride in WINDOWINGS:
        ours = _windows_tokenizer(checkpoints[family], max_length, stride,
                                  return_offsets_mapping=offsets)
        got = dict(ours(tf.constant(TEXTS)))
        expected = _expected(references[family], (TEXTS,), max_length, stride,
                             return_offsets_mapping=offsets)
        counts = _windows_per_text(expected, len(TEXTS))
        np.testing.assert_array_equal(got.pop("num_windows").numpy(), counts)
        _assert_same(got, expected, (family, max_length, stride))
        spans |= set(counts.tolist())
    assert 1 in spans and max(spans) >= MAX_WINDOWS, spans  # the texts span 1..40 windows


@pytest.mark.parametrize("family", FAMILIES)
def test_pair_windows_run_over_the_second_text(checkpoints, references, family):
    """A question and a long context: the question is repeated in each window of the context
    (🤗's `only_second`); `only_first` the other way round."""
    firsts = ["Who scored?", "中文 question ¿qué?", "", "x " * 3] * 2
    seconds = TEXTS[:8]
    for truncation, (max_length, stride) in [("only_second", (32, 8)), ("only_second", (64, 31)),
                                             ("only_first", (40, 4))]:
        args = (firsts, seconds) if truncation == "only_second" else (seconds, firsts)
        ours = _windows_tokenizer(checkpoints[family], max_length, stride, truncation=truncation)
        got = dict(ours(*(tf.constant(a) for a in args)))
        expected = _expected(references[family], args, max_length, stride,
                             truncation=truncation)
        np.testing.assert_array_equal(got.pop("num_windows").numpy(),
                                      _windows_per_text(expected, len(firsts)))
        _assert_same(got, expected, (family, truncation, max_length, stride))


def test_max_windows_keeps_the_first_windows_and_counts_all(checkpoints, references):
    path, reference = checkpoints["wordpiece"], references["wordpiece"]
    ours = _windows_tokenizer(path, 16, 4, max_windows=3)
    got = dict(ours(tf.constant(TEXTS)))
    expected = _expected(reference, (TEXTS,), 16, 4)
    mapping = np.asarray(expected["overflow_to_sample_mapping"])
    rank = np.concatenate([np.arange(n) for n in np.bincount(mapping)])
    kept = np.flatnonzero(rank < 3)
    np.testing.assert_array_equal(got["overflow_to_sample_mapping"].numpy(), mapping[kept])
    np.testing.assert_array_equal(got["num_windows"].numpy(), np.bincount(mapping))
    assert (got["num_windows"].numpy() > 3).sum() >= 5  # the cap was hit, and counted
    width = got["input_ids"].shape[1]
    np.testing.assert_array_equal(got["input_ids"].numpy(),
                                  np.asarray(expected["input_ids"])[kept][:, :width])


def test_windows_inside_a_traced_function(checkpoints, references):
    """Traced once with an unknown batch size, as Transform and serving call it."""
    ours = _windows_tokenizer(checkpoints["wordpiece"], 32, 8)
    tokenize = tf.function(ours, input_signature=[tf.TensorSpec([None], tf.string)])
    expected = _expected(references["wordpiece"], (TEXTS[::-1],), 32, 8)
    got = dict(tokenize(tf.constant(TEXTS[::-1])))
    got.pop("num_windows")
    _assert_same(got, expected, "traced")
    assert tokenize(tf.constant([], tf.string))["input_ids"].shape[0] == 0


def test_window_options_are_checked(checkpoints):
    path = checkpoints["wordpiece"]
    with pytest.raises(InputError, match=r"stride=14: .* from 0 to 13"):
        _windows_tokenizer(path, 16, 14)  # 🤗 refuses (or panics) too
    with pytest.raises(InputError, match="max_windows=0"):
        _windows_tokenizer(path, 16, 2, max_windows=0)
    with pytest.raises(InputError, match="only_second"):
        _windows_tokenizer(path, 16, 2)(tf.constant(["a"]), tf.constant(["b"]))
    pair = _windows_tokenizer(path, 16, 4, truncation="only_second")
    with pytest.raises(tf.errors.InvalidArgumentError, match="smaller stride"):
        pair(tf.constant(["a b c d e f g h i j k"]), tf.constant(["word " * 30]))
    config = _windows_tokenizer(path, 16, 4, max_windows=5).get_config()
    assert (config["return_overflowing_tokens"], config["stride"], config["max_windows"]) == \
        (True, 4, 5)
