"""Exact parity of InGraphTokenizer with 🤗 fast SentencePiece (Unigram) tokenizers: ALBERT-,
XLM-R- and T5-style checkpoints made at test time from a SentencePiece model trained on a small
multilingual corpus, on the hard corpus of test_tokenization_parity.py: every output tensor,
single texts and pairs, every truncation strategy, both padding modes."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_text as tf_text

from tfx_hf.components.tokenization import InGraphTokenizer, TokenizerFilesError
from test_tokenization_parity import CORPUS, PAIRS, _assert_same, _fits

spm = pytest.importorskip("sentencepiece")
transformers = pytest.importorskip("transformers")

# Special-token layouts of the real checkpoints' .model files.
FAMILIES = {
    "albert": ("AlbertTokenizerFast", dict(pad_id=0, unk_id=1, bos_id=-1, eos_id=-1,
                                           control_symbols=["[CLS]", "[SEP]", "[MASK]"])),
    "xlmr": ("XLMRobertaTokenizerFast", dict(unk_id=0, bos_id=1, eos_id=2, pad_id=-1)),
    "t5": ("T5TokenizerFast", dict(pad_id=0, eos_id=1, unk_id=2, bos_id=-1)),
}
# Rows whose best segmentations tie: pieces that are powers of one string ("é"×14, "é"×15, or
# "ha", "haha") can be swapped; 🤗 and SentencePiece break the tie in opposite orders.
TIES = [CORPUS[21], CORPUS[23], "ha" * 40 + " " + "abab" * 9 + " " + "lalala " * 5,
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz!!!!!!!!!!!!.........??????"]
# Pieces of several lengths that compose the same runs in several orders (`?!?!?!` is `?!?`
# `!` `?!` or `?!` `?!?` `!` or ...: the same pieces, the same score), and pieces whose scores
# differ by less than f32 resolution ("qq" beats "q" "q" by 1e-9): added to a trained vocabulary
# by `_with_tie_pieces`.
TIE_PIECES = [("?!", -5.123456789), ("?!?", -7.31415926), ("!", -2.718281828), ("?", -3.3),
              ("!?", -6.02214076), ("?!?!", -9.87654321), ("\u2581?!", -4.4), ("ab", -3.25),
              ("aba", -5.75), ("bab", -5.5), ("ba", -3.0), ("abab", -6.5), ("q", -4.2),
              ("qq", -8.399999999), ("qqq", -12.6), ("\u2581q", -4.2), ("xyz", -7.0),
              ("xy", -4.0), ("yz", -4.5), ("x", -2.5), ("z", -2.0), ("y", -2.5)]
TIE_RUNS = ["?!?!?!", "?!?!?!?!?!?", "!?!?!?!?", "?!?!?!? ?!?! !?!?!", "x?!?!?!y?!?!?!?",
            "abababab ababa babab bababab aba", "qqqqqqq qq qqq q qqqqqqqqqqqqqqqqq",
            "xyzxyzxyz xyxyzz zyx", "?!" * 25 + " " + "ab" * 30 + "a " + "q" * 41,
            "\u00bfqu\u00e9?!?! ab?!ab?! q?!q", "<mask>?!?!?<mask> ?!?!"]
ADDED_TOKEN_TEXTS = [
    "a [MASK] b  [MASK]c [CLS][SEP] [mask] <s>x</s> <pad> <unk> <UNK>",
    "hello <mask> world   <mask>x <MASK> ＜mask＞ \u3000<mask> <s></s>",
    "<extra_id_0> fill <extra_id_1>me<extra_id_99> <extra_id_100>",
    "\r\n\r\nCRLF\u00a0\u0301 a\u0300\u0300 \u212b \u0041\u030a \u1100\u1161 🇫🇷 \u0600a",
]


def _train(folder, family):
    corpus = os.path.join(folder, "corpus.txt")
    lines = [line for text in CORPUS for line in text.splitlines() if line.strip()]
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("\n".join(lines * 2) + "\n")
    class_name, ids = FAMILIES[family]
    prefix = os.path.join(folder, family)
    spm.SentencePieceTrainer.train(input=corpus, model_prefix=prefix, vocab_size=500,
                                   model_type="unigram", character_coverage=0.98,
                                   hard_vocab_limit=False, minloglevel=2, **ids)
    checkpoint = os.path.join(folder, family + "_checkpoint")
    getattr(transformers, class_name)(vocab_file=prefix + ".model").save_pretrained(checkpoint)
    return checkpoint


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("sentencepiece"))
    return {family: _train(folder, family) for family in FAMILIES}


@pytest.fixture(scope="module")
def references(checkpoints):
    return {family: transformers.AutoTokenizer.from_pretrained(path)
            for family, path in checkpoints.items()}


@pytest.mark.parametrize("family", FAMILIES)
def test_single_texts(checkpoints, references, family):
    texts = CORPUS + ADDED_TOKEN_TEXTS
    for max_length, padding, multiple in [(8, "max_length", None), (64, "longest", None),
                                          (512, "max_length", None), (512, "longest", 16)]:
        ours = InGraphTokenizer.from_pretrained(checkpoints[family], max_length=max_length,
                                                padding=padding, pad_to_multiple_of=multiple)
        expected = references[family](texts, padding=padding, truncation=True,
                                      max_length=max_length, pad_to_multiple_of=multiple)
        _assert_same(ours(tf.constant(texts)), expected, (family, max_length, padding))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("truncation", ["longest_first", "only_first", "only_second"])
def test_pairs(checkpoints, references, family, truncation):
    reference = references[family]
    for max_length, padding in [(9, "max_length"), (40, "longest"), (512, "longest")]:
        pairs = PAIRS
        if truncation != "longest_first":  # 🤗 fails a batch with a row it cannot cut enough
            pairs = [p for p in pairs if _fits(reference, p, max_length, truncation)]
        first, second = (list(side) for side in zip(*pairs))
        ours = InGraphTokenizer.from_pretrained(checkpoints[family], max_length=max_length,
                                                padding=padding, truncation=truncation)
        expected = reference(first, second, padding=padding, truncation=truncation,
                             max_length=max_length)
        _assert_same(ours(tf.constant(first), tf.constant(second)), expected,
                     (family, truncation, max_length, padding))


@pytest.mark.parametrize("family", FAMILIES)
def test_tied_segmentations_come_out_in_hf_order(checkpoints, references, family):
    ours = InGraphTokenizer.from_pretrained(checkpoints[family], max_length=512,
                                            padding="longest")
    got = ours(tf.constant(TIES))["input_ids"].numpy()
    expected = np.asarray(references[family](TIES, padding="longest", truncation=True,
                                             max_length=512)["input_ids"])
    np.testing.assert_array_equal(got, expected)


def _with_tie_pieces(checkpoint, folder):
    """The checkpoint with TIE_PIECES added to its Unigram vocabulary (those it lacks)."""
    with open(os.path.join(checkpoint, "tokenizer.json"), encoding="utf-8") as f:
        tokenizer = json.load(f)
    vocab = tokenizer["model"]["vocab"]
    known = {piece for piece, _ in vocab}
    vocab.extend([piece, score] for piece, score in TIE_PIECES if piece not in known)
    os.makedirs(folder)
    for name in os.listdir(checkpoint):
        if name != "tokenizer.json":
            with open(os.path.join(checkpoint, name), "rb") as src, \
                    open(os.path.join(folder, name), "wb") as dst:
                dst.write(src.read())
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    return folder


@pytest.mark.parametrize("family", FAMILIES)
def test_runs_of_tied_pieces_are_segmented_as_hf(tmp_path, checkpoints, family):
    """🤗's Viterbi keeps, among equally scored paths, the piece that starts earliest at each
    end position, adding f64 scores; SentencePiece's adds f32 ones, so it breaks these ties (and
    near-ties under f32 resolution) its own way."""
    checkpoint = _with_tie_pieces(checkpoints[family], str(tmp_path / family))
    reference = transformers.AutoTokenizer.from_pretrained(checkpoint)
    texts = TIE_RUNS + TIES + [" ".join(TIE_RUNS)]
    expected = reference(texts, padding="longest", truncation=True, max_length=512)
    pieces = [reference.convert_ids_to_tokens(ids) for ids in expected["input_ids"]]
    assert any(p.count("?!?") and p.count("?!") for p in pieces)  # the runs do tie
    ours = InGraphTokenizer.from_pretrained(checkpoint, max_length=512, padding="longest")
    _assert_same(ours(tf.constant(texts)), expected, family)


@pytest.mark.parametrize("family", FAMILIES)
def test_invalid_utf8_reads_as_replacement_character(checkpoints, references, family):
    raw = [b"caf\xe9 ok", b"\xff\xfe bad start", b"trunc\xe2\x82", b"mid\xc3(dle x",
           b"ok \xf0\x9f\x98\x80 \xed\xa0\x80 surrogate", b"\x80", b"a\xcc\x81\xff\xcc\x81"]
    texts = [r.decode("utf-8", errors="replace") for r in raw]
    ours = InGraphTokenizer.from_pretrained(checkpoints[family], max_length=32)
    _assert_same(ours(tf.constant(raw)), references[family](
        texts, padding="max_length", truncation=True, max_length=32), family)


def test_code_points_through_precompiled(checkpoints, references):
    """A sample of Unicode scalar values after a letter, a space and a combining base, through
    the whole XLM-R-style pipeline (Precompiled per grapheme, Metaspace, Unigram)."""
    cps = [cp for cp in range(0x20, 0x110000, 37) if not 0xD800 <= cp <= 0xDFFF]
    texts = [f"a{chr(cp)}b \u00a0{chr(cp)}\u0301 {chr(cp)}a" for cp in cps]
    ours = InGraphTokenizer.from_pretrained(checkpoints["xlmr"], max_length=24)
    got = ours(tf.constant(texts))["input_ids"].numpy()
    expected = np.asarray(references["xlmr"](texts, padding="max_length", truncation=True,
                                             max_length=24)["input_ids"])
    bad = np.flatnonzero((got != expected).any(axis=1))
    assert not len(bad), [hex(cps[i]) for i in bad[:20]]


@pytest.mark.slow
def test_saved_model_loads_with_tensorflow_text_only(tmp_path, checkpoints, references):
    tokenizer = InGraphTokenizer.from_pretrained(checkpoints["albert"], max_length=16)
    module = tf.Module()
    module.tokenizer = tokenizer
    module.tokenize = tf.function(lambda text, pair: tokenizer(text, pair),
                                  input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    tf.saved_model.save(module, str(tmp_path / "tok"))
    script = (
        "import sys, json, tensorflow as tf, tensorflow_text\n"
        f"m = tf.saved_model.load({str(tmp_path / 'tok')!r})\n"
        "out = m.tokenize(tf.constant(['Café [MASK] ÉTÉ']), tf.constant(['ß x']))\n"
        "assert 'transformers' not in sys.modules and 'sentencepiece' not in sys.modules\n"
        "print(json.dumps({k: v.numpy().tolist() for k, v in out.items()}))\n")
    env = dict(os.environ, PYTHONPATH="")  # no sentencepiece package there
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, env=env, cwd=str(tmp_path))
    got = json.loads(result.stdout.strip().splitlines()[-1])
    expected = references["albert"](["Café [MASK] ÉTÉ"], ["ß x"], padding="max_length",
                                    truncation=True, max_length=16)
    assert got == {k: list(v) for k, v in expected.items()}


@pytest.mark.slow
def test_built_inside_a_traced_function(checkpoints, references):
    checkpoint = checkpoints["t5"]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    def tokenize(text, pair):
        tokenizer = InGraphTokenizer.from_pretrained(checkpoint, max_length=24)
        return tokenizer(text, pair)

    _assert_same(tokenize(tf.constant(CORPUS[:10]), tf.constant(CORPUS[10:20])),
                 references["t5"](CORPUS[:10], CORPUS[10:20], padding="max_length",
                                  truncation=True, max_length=24), "t5 traced")


def test_unsupported_model_type_is_refused_by_name(tmp_path):
    (tmp_path / "tokenizer.json").write_text('{"model": {"type": "WordLevel"}}')
    with pytest.raises(TokenizerFilesError, match="'WordLevel' tokenizer.*WordPiece.*"
                                                  "SentencePiece Unigram.*byte-level BPE"):
        InGraphTokenizer.from_pretrained(str(tmp_path), max_length=8)


# 🤗's alignments through each normalizer step: Precompiled graphemes replaced whole ("e" +
# U+0301), expansions ("ﬁ", "½"), removals after an expansion ("™" U+001E) and at the start of
# a text (U+001E first: the chars after it take their predecessors' alignments), Replace of
# space runs, Strip, NFKD + StripAccents + Lowercase (ALBERT), added tokens with the whitespace
# lstrip took, in the raw and in the normalized text.
OFFSET_TEXTS = ["Hello world", "  a  b ", "\ufb01x \u00bd \x00ab", "\x00\x00ab",
                "e\u0301t\u00e9 \u0130x", "a <mask> b", "x\u200by", "a [MASK] b",
                "x   [MASK]  y", "a  <mask>   b", "x\u0301\u0316y z", "\u2122\x1eg", "\x1eab",
                "\ufb01\x1e\x1eb", "a``b''c", "\u00c5\u212b", "q  ", "\x1e\u2122 \x1e"]


@pytest.mark.parametrize("family", FAMILIES)
def test_offsets_mapping(checkpoints, references, family):
    """return_offsets_mapping: each token's code point range in its text, as 🤗's through the
    normalizer's alignments and Metaspace (a prepended "▁" at the first char), special and
    padding tokens (0, 0); single texts and pairs, cut by truncation."""
    texts = CORPUS + ADDED_TOKEN_TEXTS + TIE_RUNS + OFFSET_TEXTS
    for max_length, padding, pair in [(512, "longest", False), (20, "max_length", True)]:
        args = (texts, texts[::-1]) if pair else (texts,)
        ours = InGraphTokenizer.from_pretrained(checkpoints[family], max_length=max_length,
                                                padding=padding, return_offsets_mapping=True)
        expected = references[family](*args, padding=padding, truncation=True,
                                      max_length=max_length, return_offsets_mapping=True)
        expected["offset_mapping"] = [[list(o) for o in row]
                                      for row in expected["offset_mapping"]]
        if pair:  # traced, as a SavedModel runs it
            ours = tf.function(ours, input_signature=[tf.TensorSpec([None], tf.string)] * 2)
        _assert_same(ours(*(tf.constant(a) for a in args)), expected, (family, pair))


@pytest.mark.slow
def test_every_op_of_the_exported_tokenizer_is_allowed(tmp_path, checkpoints):
    """serve-check's allow-list covers the Unigram lattice and the offsets' ops."""
    from test_serve_check_ops import _assert_every_op_allowed
    tokenizer = InGraphTokenizer.from_pretrained(checkpoints["xlmr"], max_length=16,
                                                 return_offsets_mapping=True)
    module = tf.Module()
    module.tokenizer = tokenizer
    module.tokenize = tf.function(lambda text, pair: tokenizer(text, pair),
                                  input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    tf.saved_model.save(module, str(tmp_path / "tok"))
    assert {"Unique", "SparseToDense"} <= _assert_every_op_allowed(str(tmp_path / "tok"))


def test_offsets_through_a_composing_normalizer_are_refused_by_name(tmp_path, checkpoints):
    from tfx_hf.components.input_error import InputError
    with open(os.path.join(checkpoints["xlmr"], "tokenizer.json"), encoding="utf-8") as f:
        tokenizer = json.load(f)
    tokenizer["normalizer"] = {"type": "NFKC"}
    (tmp_path / "tokenizer.json").write_text(json.dumps(tokenizer), encoding="utf-8")
    for name in os.listdir(checkpoints["xlmr"]):
        if name != "tokenizer.json":
            (tmp_path / name).write_bytes(open(os.path.join(checkpoints["xlmr"], name),
                                               "rb").read())
    InGraphTokenizer.from_pretrained(str(tmp_path), max_length=8)  # ids alone are fine
    with pytest.raises(InputError, match="return_offsets_mapping.*NFC or NFKC"):
        InGraphTokenizer.from_pretrained(str(tmp_path), max_length=8,
                                         return_offsets_mapping=True)


def test_sentencepiece_model_without_tokenizer_json_is_named(tmp_path):
    (tmp_path / "spiece.model").write_bytes(b"")
    with pytest.raises(TokenizerFilesError, match="spiece.model.*no tokenizer.json"):
        InGraphTokenizer.from_pretrained(str(tmp_path), max_length=8)


# Rows of characters each normalizer step maps one by one take a string-level fast path
# (SentencePieceUnigram.normalize); the others the exact per-code-point one.
FAST_PATH_TEXTS = [
    "Plain ASCII, with punctuation: (a) [b] {c} 'q' \"qq\" ``quotes'' ~^|\\ 1,234.5% $9",
    "UPPER lower MiXeD  double  spaces   three\ttab\t\ttabs",
    "  leading and trailing spaces  ", " ", "", "x",
    "CR LF\r\nlone CR\rlone LF\n\n\r\r\n\r\n\n\rend",
    "controls\x00NUL\x01\x02\x07\x08\x0b\x0c\x0e\x1b\x1f\x7f end\x00",
    "£10m for the £ and pounds £", "\u00a0no-break\u00a0space \u00a0 ",
    "Latin-1: café naïve Ångström Æsir ø ß ÿ Ð þ ª º ¹ ² ½ µ ¿¡ × ÷ ¬ ´ ¸ ¨ ¯ \u00ad shy",
    "Latin Extended: ı İ ĳ ŉ ſ ǅ Ǆ ǳ ȸ ɐ ʰ ˆ ˜",
]
MUST_TAKE_EXACT_PATH = [
    "combining a\u0301 after ASCII", "\u212b Kelvin \u212a", "ﬁ ligature", "▁metaspace▁▁in text",
    "invalid \ufffd char", "emoji 😀 and ZWJ 👩\u200d💻", "한국어 텍스트", "ｆｕｌｌ width",
    "Greek Σίσυφος", "Cyrillic Привет", "mixed £ and € and \u2581",
]


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_fast_path_rows_match_reference(checkpoints, references, family):
    ours = InGraphTokenizer.from_pretrained(checkpoints[family], max_length=512,
                                            padding="longest")
    encoder = ours.encoder
    texts = FAST_PATH_TEXTS + MUST_TAKE_EXACT_PATH + [a + b for a, b in zip(
        FAST_PATH_TEXTS, MUST_TAKE_EXACT_PATH)]
    fast = tf.strings.regex_full_match(tf.constant(texts), encoder.fast_path.row_pattern).numpy()
    assert fast[:7].all() and not fast[len(FAST_PATH_TEXTS):].any(), (family, fast)
    # The normalized text itself (Metaspace and Unigram could hide a difference in spaces).
    normalizer = references[family].backend_tokenizer.normalizer
    got = [t.decode("utf-8") for t in tf.function(encoder.normalize)(tf.constant(texts)).numpy()]
    assert got == [normalizer.normalize_str(t) for t in texts], family
    # Batches of fast-path rows only, exact-path rows only, and both.
    for batch in (FAST_PATH_TEXTS, MUST_TAKE_EXACT_PATH, texts, texts[::-1]):
        expected = references[family](batch, padding="longest", truncation=True,
                                      max_length=512)
        _assert_same(ours(tf.constant(batch)), expected, (family, batch[0]))
    # Each row on its own (a batch of one row, which takes a single path).
    for text in texts:
        expected = references[family]([text], padding="longest", truncation=True,
                                      max_length=512)
        _assert_same(ours(tf.constant([text])), expected, (family, text))


def test_fast_path_characters_follow_the_normalizers(checkpoints):
    """XLM-R (Precompiled first) keeps most Latin-1 on the fast path; ALBERT (NFKD,
    StripAccents, Lowercase) only what those leave unchanged but ASCII lowering."""
    def fast(family, char):
        encoder = InGraphTokenizer.from_pretrained(checkpoints[family], max_length=8).encoder
        return bool(tf.strings.regex_full_match(char, encoder.fast_path.row_pattern).numpy())
    for family in FAMILIES:
        for char in "aZ \t\r\n\x00\x7f£":
            assert fast(family, char), (family, char)
        for char in "\u0301\ufffd\u2581½ﬁ€":
            assert not fast(family, char), (family, char)
    assert fast("xlmr", "é") and not fast("albert", "é")
    assert not fast("albert", "Ð") and not fast("albert", "\u00a0")


def test_get_config_round_trips_through_json(checkpoints):
    tokenizer = InGraphTokenizer.from_pretrained(checkpoints["xlmr"], max_length=24)
    rebuilt = InGraphTokenizer.from_config(json.loads(json.dumps(tokenizer.get_config())))
    assert rebuilt.tokenizer_config == tokenizer.tokenizer_config
    texts = tf.constant(ADDED_TOKEN_TEXTS)
    assert rebuilt(texts, texts)["input_ids"].numpy().tolist() == \
        tokenizer(texts, texts)["input_ids"].numpy().tolist()


@pytest.mark.slow
def test_built_without_the_sentencepiece_package(checkpoints):
    """Building needs neither the `sentencepiece` package (a test dependency only) nor a
    SentencePiece model proto: the Viterbi is 🤗's, in TF ops."""
    script = (
        "import sys, json\n"
        "sys.modules['sentencepiece'] = None  # as if it were not installed\n"
        "import tensorflow as tf\n"
        "from tfx_hf.components.tokenization import InGraphTokenizer\n"
        f"tokenizer = InGraphTokenizer.from_pretrained({checkpoints['albert']!r}, max_length=24)\n"
        f"out = tokenizer(tf.constant({ADDED_TOKEN_TEXTS!r}))\n"
        "assert 'transformers.utils.sentencepiece_model_pb2' not in sys.modules\n"
        "print(json.dumps(out['input_ids'].numpy().tolist()))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    expected = InGraphTokenizer.from_pretrained(checkpoints["albert"], max_length=24)(
        tf.constant(ADDED_TOKEN_TEXTS))["input_ids"].numpy().tolist()
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected


@pytest.mark.parametrize("family, texts", [("xlmr", (["Hello world"], ["Café"])),
                                           ("t5", (["Hello world"],))])
def test_combine_segments_is_not_the_hf_template(references, checkpoints, family, texts):
    """Why the packer applies templates itself: tf_text.combine_segments writes one start and
    one end token per segment, so XLM-R's pair `<s> A </s></s> B </s>` loses a `</s>` and T5's
    `A </s>` gains a start token."""
    reference = references[family]
    ours = InGraphTokenizer.from_pretrained(checkpoints[family], max_length=24)
    segments = [ours.encode(tf.constant(t)) for t in texts]
    start = reference.bos_token_id if family == "xlmr" else reference.pad_token_id
    combined, _ = tf_text.combine_segments(segments, start_of_sequence_id=start,
                                           end_of_segment_id=reference.eos_token_id)
    expected = reference(*texts)["input_ids"][0]
    if family == "xlmr":  # <s> A </s></s> B </s>: one </s> of the middle two
        between = 1 + len(segments[0][0])
        assert expected[between:between + 2] == [reference.eos_token_id] * 2
        assert combined[0].numpy().tolist() == expected[:between] + expected[between + 1:]
    else:  # A </s>: no start token
        assert combined[0].numpy().tolist() == [start] + expected
