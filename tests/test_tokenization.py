"""InGraphTokenizer against the checkpoint's own 🤗 fast tokenizer (first-version parity:
clean text in several scripts; the full hard-case corpus is its own issue)."""
import json
import os
import shutil
import subprocess
import sys

import pytest
import tensorflow as tf
import tensorflow_text as tf_text
from transformers import AutoTokenizer

from tfx_hf.components.tokenization import InGraphTokenizer, TokenizerFilesError
from tfx_hf.components.tokenization.packer import longest_first_lengths
from tfx_hf.pipelines.demo_data import minilm_checkpoint

TEXTS = [
    "Hello world, this is a test.",
    "The U.S. economy grew 3.5% in Q2 -- analysts didn't expect it!",
    "Café naïve résumé, Ünïcödé",
    "中文字符 and 日本語 mixed",
    "",
    "   ",
    "word " * 300,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "tab\tand\nnewline",
    # What clean_text drops: U+FFFD (as in one BBC News file), NUL, DEL, C1 and format chars.
    "a \ufffd15.8m signing",
    "nul\x00inside del\x7fhere c1\x85x",
    "zero\u200bwidth soft\u00adhyphen bidi\u202emark",
]


def _assert_same(ours, theirs):
    assert set(ours) == set(theirs)
    for key in ours:
        assert ours[key].dtype == tf.int64
        assert ours[key].numpy().tolist() == theirs[key].tolist(), key


PADDINGS = ["max_length", "longest"]


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("max_length", [16, 64])
def test_minilm_parity(padding, max_length):
    checkpoint = minilm_checkpoint()
    reference = AutoTokenizer.from_pretrained(checkpoint)
    ours = InGraphTokenizer.from_pretrained(checkpoint, max_length=max_length, padding=padding)
    expected = reference(TEXTS, padding=padding, truncation=True, max_length=max_length,
                         return_tensors="np")
    _assert_same(ours(tf.constant(TEXTS)), expected)


def test_pad_to_multiple_of(tiny_checkpoint):
    reference = AutoTokenizer.from_pretrained(tiny_checkpoint)
    texts = ["the match", "the bank said profit growth in the market"]
    for padding in PADDINGS:
        ours = InGraphTokenizer.from_pretrained(tiny_checkpoint, max_length=32, padding=padding,
                                                pad_to_multiple_of=8)
        expected = reference(texts, padding=padding, truncation=True, max_length=32,
                             pad_to_multiple_of=8, return_tensors="np")
        _assert_same(ours(tf.constant(texts)), expected)
    # As in 🤗: a max_length that is not a multiple cannot be honoured with truncation.
    with pytest.raises(ValueError, match="multiple"):
        InGraphTokenizer.from_pretrained(tiny_checkpoint, max_length=30, pad_to_multiple_of=8)


def test_vocab_txt_only_checkpoint(tmp_path, tiny_checkpoint):
    folder = tmp_path / "no_tokenizer_json"
    shutil.copytree(tiny_checkpoint, folder)
    os.remove(folder / "tokenizer.json")
    reference = AutoTokenizer.from_pretrained(tiny_checkpoint)
    ours = InGraphTokenizer.from_pretrained(str(folder), max_length=12)
    texts = ["The striker scored a goal", "Chip prices and network data"]
    _assert_same(ours(tf.constant(texts)),
                 reference(texts, padding="max_length", truncation=True, max_length=12,
                           return_tensors="np"))


def test_missing_tokenizer_files_are_named(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(TokenizerFilesError, match="no tokenizer files"):
        InGraphTokenizer.from_pretrained(str(tmp_path), max_length=8)


def test_unsupported_tokenizer_type_is_named(tmp_path):
    (tmp_path / "tokenizer.json").write_text(json.dumps({"model": {"type": "WordLevel"}}))
    with pytest.raises(TokenizerFilesError, match="'WordLevel' tokenizer.*supports WordPiece"):
        InGraphTokenizer.from_pretrained(str(tmp_path), max_length=8)


@pytest.mark.slow
def test_saved_model_loads_with_tensorflow_text_only(tmp_path, tiny_checkpoint):
    copy = tmp_path / "checkpoint"
    shutil.copytree(tiny_checkpoint, copy)
    tokenizer = InGraphTokenizer.from_pretrained(str(copy), max_length=8)
    module = tf.Module()
    module.tokenizer = tokenizer
    module.tokenize = tf.function(lambda text: tokenizer(text),
                                  input_signature=[tf.TensorSpec([None], tf.string)])
    tf.saved_model.save(module, str(tmp_path / "tok"))
    shutil.rmtree(copy)  # the vocabulary lives in the graph, not in a file path
    script = (
        "import sys, tensorflow as tf, tensorflow_text\n"
        f"m = tf.saved_model.load({str(tmp_path / 'tok')!r})\n"
        "out = m.tokenize(tf.constant(['the match']))\n"
        "assert 'transformers' not in sys.modules\n"
        "print(out['input_ids'].numpy().tolist())\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    expected = tokenizer(tf.constant(["the match"]))["input_ids"].numpy().tolist()
    assert result.stdout.strip().splitlines()[-1] == str(expected)


HUB_SCRIPT = """
import sys
from tfx_hf.components.tokenization import InGraphTokenizer, TokenizerFilesError
try:
    tokenizer = InGraphTokenizer.from_pretrained(sys.argv[1], max_length=8)
    print("vocab ok")
except TokenizerFilesError as e:
    print("error", e)
"""


def test_hub_id_resolves_from_the_offline_cache(tmp_path, tiny_checkpoint):
    """A Hub id works offline when the 🤗 cache has it; otherwise the error names the id."""
    snapshot = tmp_path / "hub" / "models--acme--tiny-bert" / "snapshots" / "0123abcd"
    shutil.copytree(tiny_checkpoint, snapshot)
    (tmp_path / "hub" / "models--acme--tiny-bert" / "refs").mkdir()
    (tmp_path / "hub" / "models--acme--tiny-bert" / "refs" / "main").write_text("0123abcd")
    env = dict(os.environ, HF_HUB_CACHE=str(tmp_path / "hub"), HF_HUB_OFFLINE="1")
    for repo_id, expected in [("acme/tiny-bert", "vocab ok"),
                              ("acme/not-cached", "error Could not get the tokenizer files "
                                                  "of Hub checkpoint 'acme/not-cached'")]:
        out = subprocess.run([sys.executable, "-c", HUB_SCRIPT, repo_id], env=env,
                             capture_output=True, text=True, check=True).stdout
        assert out.strip().splitlines()[-1].startswith(expected), out


def test_get_config_round_trips_through_json(tiny_checkpoint):
    """config -> JSON -> from_config gives a layer with the same options and the same ids, as
    Keras needs to save and rebuild it."""
    tokenizer = InGraphTokenizer.from_pretrained(tiny_checkpoint, max_length=16, padding="longest",
                                                 truncation="only_first", pad_to_multiple_of=8)
    config = json.loads(json.dumps(tokenizer.get_config()))
    rebuilt = InGraphTokenizer.from_config(config)
    assert json.loads(json.dumps(rebuilt.get_config())) == config
    assert rebuilt.tokenizer_config == tokenizer.tokenizer_config
    texts, pairs = tf.constant(TEXTS[:4]), tf.constant(["the match"] * 4)
    got, expected = rebuilt(texts, pairs), tokenizer(texts, pairs)
    assert {k: v.numpy().tolist() for k, v in got.items()} == \
        {k: v.numpy().tolist() for k, v in expected.items()}


def test_is_a_keras_layer_in_a_functional_model(tiny_checkpoint):
    tokenizer = InGraphTokenizer.from_pretrained(tiny_checkpoint, max_length=12)
    text = tf.keras.Input(shape=(), dtype=tf.string)
    model = tf.keras.Model(text, tokenizer(text))
    texts = ["The striker scored a goal", "Chip prices and network data"]
    _assert_same(model(tf.constant(texts)),
                 AutoTokenizer.from_pretrained(tiny_checkpoint)(
                     texts, padding="max_length", truncation=True, max_length=12,
                     return_tensors="np"))


@pytest.mark.slow  # runs a Beam pipeline
def test_inside_a_tf_transform_preprocessing_fn(tmp_path, tiny_checkpoint):
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

    texts = ["The striker scored a goal", "Chip prices and network data", ""]

    def preprocessing_fn(inputs):
        tokenizer = InGraphTokenizer.from_pretrained(tiny_checkpoint, max_length=10)
        return tokenizer(inputs["text"])

    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(
        {"text": tf.io.FixedLenFeature([], tf.string)}))
    with tft_beam.Context(temp_dir=str(tmp_path)):
        (rows, _), _ = ([{"text": t} for t in texts], metadata) | \
            tft_beam.AnalyzeAndTransformDataset(preprocessing_fn)
    expected = AutoTokenizer.from_pretrained(tiny_checkpoint)(
        texts, padding="max_length", truncation=True, max_length=10)
    assert {key: [list(row[key]) for row in rows] for key in expected} == \
        {key: list(values) for key, values in expected.items()}


# Pairs of lengths 0..11 ("a" is one token), for 🤗's longest_first against tf_text's trimmers.
PAIR_LENGTHS = [(n1, n2) for n1 in range(12) for n2 in range(12)]
# Where each of tensorflow-text's pair trimmers keeps other lengths than 🤗's longest_first:
# both give the odd token of an odd budget that both texts exceed by half to a fixed text
# (RoundRobin to the first, ShrinkLongest to the second), where 🤗 gives it to the longer text
# (the second on a tie).
TRIMMER_DIFFERENCES = {
    "RoundRobinTrimmer": lambda n1, n2, budget: budget % 2 == 1 and 2 * min(n1, n2) > budget
    and n1 <= n2,
    "ShrinkLongestTrimmer": lambda n1, n2, budget: budget % 2 == 1 and 2 * min(n1, n2) > budget
    and n1 > n2,
}


@pytest.fixture(scope="module")
def hf_longest_first_lengths():
    """{budget: [(kept of the first text, kept of the second), ...] for PAIR_LENGTHS}."""
    reference = AutoTokenizer.from_pretrained(minilm_checkpoint())
    first, second = ([" ".join(["a"] * n) for n in side] for side in zip(*PAIR_LENGTHS))
    lengths = {}
    for budget in (4, 5, 6, 7):  # [CLS] A [SEP] B [SEP]: max_length = budget + 3
        encoded = reference(first, second, truncation="longest_first", max_length=budget + 3)
        kept_second = [sum(types) - 1 for types in encoded["token_type_ids"]]
        lengths[budget] = [(len(ids) - 3 - k2, k2)
                           for ids, k2 in zip(encoded["input_ids"], kept_second)]
    return lengths


@pytest.mark.parametrize("trimmer", sorted(TRIMMER_DIFFERENCES))
def test_tf_text_trimmers_against_hf_longest_first(hf_longest_first_lengths, trimmer):
    """Why the packer computes longest_first's lengths itself: each trimmer differs from 🤗
    exactly where TRIMMER_DIFFERENCES says (and nowhere for even budgets)."""
    first, second = (tf.ragged.constant([[1] * n for n in side], tf.int64,
                                        row_splits_dtype=tf.int64)
                     for side in zip(*PAIR_LENGTHS))
    for budget, expected in hf_longest_first_lengths.items():
        kept = getattr(tf_text, trimmer)(budget).trim([first, second])
        got = list(zip(*(k.row_lengths().numpy().tolist() for k in kept)))
        differs = {pair for pair, g, e in zip(PAIR_LENGTHS, got, expected) if g != e}
        assert differs == {(n1, n2) for n1, n2 in PAIR_LENGTHS
                           if TRIMMER_DIFFERENCES[trimmer](n1, n2, budget)}, budget


def test_packer_longest_first_lengths_are_hf(hf_longest_first_lengths):
    n1, n2 = (tf.constant(side, tf.int64) for side in zip(*PAIR_LENGTHS))
    for budget, expected in hf_longest_first_lengths.items():
        kept = longest_first_lengths(n1, n2, budget)
        assert list(zip(*(k.numpy().tolist() for k in kept))) == expected, budget
