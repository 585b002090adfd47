"""InGraphTokenizer against the checkpoint's own 🤗 fast tokenizer (first-version parity:
clean text in several scripts; the full hard-case corpus is its own issue)."""
import json
import os
import shutil
import subprocess
import sys

import pytest
import tensorflow as tf
from transformers import AutoTokenizer

from tfx_hf.components.tokenization import InGraphTokenizer, TokenizerFilesError
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
    (tmp_path / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE"}}))
    with pytest.raises(TokenizerFilesError, match="'BPE' tokenizer.*supports WordPiece"):
        InGraphTokenizer.from_pretrained(str(tmp_path), max_length=8)


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
