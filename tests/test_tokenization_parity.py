"""Exact parity of InGraphTokenizer with the 🤗 fast tokenizer on a hard multilingual corpus:
every output tensor, for each BertNormalizer variant, single texts and pairs, every truncation
strategy, both padding modes and several max_lengths. Also checks the stored Unicode tables
against their generator and every code point through the whole pipeline."""
import os
import random
import unicodedata

import numpy as np
import pytest
import tensorflow as tf
from transformers import AutoTokenizer, BertTokenizerFast

from tfx_hf.components.tokenization import InGraphTokenizer, make_unicode_tables
from tfx_hf.pipelines.demo_data import minilm_checkpoint

LONG_WORD = "pneumonoultramicroscopicsilicovolcanoconiosis" * 3  # 135 chars
CORPUS = [
    "Hello world, this is a test.",
    "The U.S. economy grew 3.5% in Q2 -- analysts didn't expect it!!!...???",
    "中文字符和日本語のテキスト，한국어 텍스트。𠀀𪜀 豈 mixed",
    "Η Οδύσσεια ΣΟΦΟΣ σοφός ΟΔΥΣΣΕΥΣ ς",
    "Съешь же ещё этих мягких французских булок, да выпей чаю. ЁЛКА",
    "Բարեւ աշխարհ ՀԱՅԱՍՏԱՆ և",
    "مرحبا بالعالم، كيف حالك؟ ١٢٣",
    "नमस्ते दुनिया। हिन्दी क्षत्रिय",
    "สวัสดีชาวโลก ภาษาไทย",
    "İstanbul ISPARTA ıspanak iı İİ DİYARBAKIR",
    "Straße STRASSE ẞ groß GROẞ",
    "emoji 😀👍🏽👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ skin 👋🏿",
    "Café naïve résumé Ünïcödé Å Å é é ñ",  # precomposed and decomposed
    "a \ufffd15.8m signing \ufffd\ufffd",
    "nul\x00inside del\x7fhere c1\x85x bell\x07 esc\x1b",
    "zero\u200bwidth non\u00a0breaking soft\u00adhyphen bidi\u202emark zwj\u200dzwnj\u200c "
    "bom\ufeff ideographic\u3000space narrow\u202fnbsp line\u2028sep",
    "tab\tand\nnewline\r\ncarriage\x0bvt\x0cff",
    "",
    "   ",
    "\t\n \u3000",
    LONG_WORD + " " + LONG_WORD[:100] + " " + LONG_WORD[:101],
    "é" * 99 + " " + "é" * 100 + " " + "é" * 101 + " " + "中" * 120 + " " + "ж" * 101,
    "ü" * 60 + " " + "ß" * 50 + "a" * 60,
    "!!!???...---,,,;;;::: $$$ +++ <<<>>> ^^^ ``` ||| ~~~ ¿¡ «» „“ — – … ‰ † ¶ § © ® ™ € £ ¥",
    "[CLS] inline [SEP] special [MASK] tokens [PAD][UNK] and [sep] lowercase",
    "ﬁnancial ﬃ ① ² ½ Ⅳ ｆｕｌｌｗｉｄｔｈ ＡＢＣ ﾊﾝｶｸ",
    "x\u0301\u0316y \u0915\u094d\u0937 a\u0300\u0300\u0300",
    "ǅungla ǈ ǋ ΐ ΰ ﬀ Ǆ ꭰ Ꭰ ᏸ ȿ",
    " ".join(["word"] * 200),
    ("The quick brown fox jumps over the lazy dog. " * 40).strip(),
]
PAIRS = [(CORPUS[i], CORPUS[-1 - i]) for i in range(len(CORPUS))] + [
    ("short", "a much longer second sequence " * 10),
    ("a much longer first sequence " * 10, "short"),
    ("equal length text here", "equal length text also"),
    ("", ""), ("", "only second"), ("only first", ""),
]


def _vocab(texts, extra=()):
    """A vocabulary from the words of `texts` (whole words and many subwords)."""
    reference = BertTokenizerFast(vocab_file=minilm_vocab(), do_lower_case=False,
                                  strip_accents=False)
    words = set()
    for text in texts:
        for word, _ in reference.backend_tokenizer.pre_tokenizer.pre_tokenize_str(text):
            if len(word) <= 40:  # tensorflow-text refuses vocab tokens over 256 bytes
                words.update([word, word.lower()])
    rng = random.Random(0)
    pieces = set()
    for word in sorted(words):
        for cut in rng.sample(range(1, max(2, len(word))), min(2, max(1, len(word) - 1))):
            pieces.add(word[:cut])
            pieces.add("##" + word[cut:])
        pieces.update(word)
        pieces.update("##" + c for c in word)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens = {t for t in words | pieces | set(extra)
              if t.removeprefix("##") and t.isprintable() and " " not in t}
    return specials + sorted(tokens - set(specials))


def minilm_vocab():
    return os.path.join(minilm_checkpoint(), "vocab.txt")


VARIANTS = {
    # name: BertTokenizerFast options
    "cased": dict(do_lower_case=False),
    "lower_no_strip": dict(do_lower_case=True, strip_accents=False),
    "strip_no_lower": dict(do_lower_case=False, strip_accents=True),
    "no_chinese_chars": dict(do_lower_case=True, tokenize_chinese_chars=False),
}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    paths = {"minilm_uncased": minilm_checkpoint()}
    vocab = _vocab(CORPUS)
    for name, options in VARIANTS.items():
        folder = tmp_path_factory.mktemp(name)
        vocab_file = folder / "vocab.txt"
        vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
        BertTokenizerFast(vocab_file=str(vocab_file), model_max_length=512,
                          **options).save_pretrained(str(folder))
        paths[name] = str(folder)
    return paths


def _assert_same(ours, theirs, context):
    assert set(ours) == set(theirs), context
    for key in theirs:
        assert ours[key].dtype == tf.int64
        got, expected = ours[key].numpy(), np.asarray(theirs[key])
        if got.shape != expected.shape or (got != expected).any():
            for row, (g, e) in enumerate(zip(got.tolist(), expected.tolist())):
                assert g == e, f"{context} {key} row {row}"
            assert got.shape == expected.shape, f"{context} {key}"


CHECKPOINTS = ["minilm_uncased", *VARIANTS]


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_single_texts(checkpoints, name):
    reference = AutoTokenizer.from_pretrained(checkpoints[name])
    for max_length, padding in [(8, "max_length"), (64, "longest"), (512, "max_length")]:
        ours = InGraphTokenizer.from_pretrained(checkpoints[name], max_length=max_length,
                                                padding=padding)
        expected = reference(CORPUS, padding=padding, truncation=True, max_length=max_length)
        _assert_same(ours(tf.constant(CORPUS)), expected, (name, max_length, padding))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["minilm_uncased", "cased"])
@pytest.mark.parametrize("truncation", [True, "longest_first", "only_first", "only_second"])
def test_pairs(checkpoints, name, truncation):
    reference = AutoTokenizer.from_pretrained(checkpoints[name])
    first, second = zip(*PAIRS)
    for max_length, padding in [(7, "max_length"), (8, "longest"), (33, "max_length"),
                                (512, "longest")]:
        context = (name, truncation, max_length, padding)
        ours = InGraphTokenizer.from_pretrained(checkpoints[name], max_length=max_length,
                                                padding=padding, truncation=truncation)
        if truncation in ("only_first", "only_second"):
            # 🤗 fails the whole batch when a row cannot be cut enough; so do we.
            keep = [i for i, p in enumerate(PAIRS) if _fits(reference, p, max_length, truncation)]
            first_kept, second_kept = [first[i] for i in keep], [second[i] for i in keep]
            if len(keep) < len(PAIRS):
                with pytest.raises(Exception, match="Sequence to truncate too short"):
                    reference(list(first), list(second), truncation=truncation,
                              max_length=max_length)
                with pytest.raises(tf.errors.InvalidArgumentError, match="too short"):
                    ours(tf.constant(first), tf.constant(second))
        else:
            first_kept, second_kept = list(first), list(second)
        if not first_kept:
            continue
        expected = reference(first_kept, second_kept, padding=padding, truncation=truncation,
                             max_length=max_length)
        _assert_same(ours(tf.constant(first_kept), tf.constant(second_kept)), expected, context)


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_offsets_mapping(checkpoints, name):
    """return_offsets_mapping: each token's code point range in its text, as 🤗's (through
    NFD, dropped accents and controls, "İ" lowercased to two chars, CJK, [UNK] words, added
    tokens), special and padding tokens (0, 0); single texts and pairs, cut by truncation."""
    reference = AutoTokenizer.from_pretrained(checkpoints[name])
    texts = CORPUS + ["[CLS] a [SEP]b  [MASK]", "İİ x\u0301\u0316y ﬁ \ufdd0x", "a" * 120 + " b"]
    for max_length, padding, pair in [(512, "longest", False), (20, "max_length", True)]:
        args = (texts, texts[::-1]) if pair else (texts,)
        ours = InGraphTokenizer.from_pretrained(checkpoints[name], max_length=max_length,
                                                padding=padding, return_offsets_mapping=True)
        expected = reference(*args, padding=padding, truncation=True, max_length=max_length,
                             return_offsets_mapping=True)
        expected["offset_mapping"] = [[list(o) for o in row]
                                      for row in expected["offset_mapping"]]
        _assert_same(ours(*(tf.constant(a) for a in args)), expected, (name, pair))


def _fits(reference, pair, max_length, truncation):
    try:
        reference([pair[0]], [pair[1]], truncation=truncation, max_length=max_length)
        return True
    except Exception:  # 🤗 raises its own error types (from Rust or from Python)
        return False


def test_fast_path_texts(checkpoints):
    """Printable ASCII with £ € (the rows tensorflow-text's FastBertTokenizer handles), with
    runs around max_input_chars_per_word in bytes and characters."""
    rng = random.Random(1)
    alphabet = [chr(c) for c in range(0x20, 0x7F)] + ["\t", "\n", "\r", "£", "€"] + [" "] * 8
    texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 300))) for _ in range(300)]
    texts += ["a" * 100, "a" * 101, "£" * 60, "£" * 100 + " x", "€" * 101, "£" * 40 + "a" * 30,
              "Price: £15.8m (€20m) -- THE Bank's [SEP] x [MASK]", "x" * 99 + "£"]
    for name in ["minilm_uncased", "cased", "strip_no_lower"]:
        reference = AutoTokenizer.from_pretrained(checkpoints[name])
        ours = InGraphTokenizer.from_pretrained(checkpoints[name], max_length=256,
                                                padding="longest")
        _assert_same(ours(tf.constant(texts)),
                     reference(texts, padding="longest", truncation=True, max_length=256), name)


def test_widened_fast_path_texts(checkpoints):
    """Rows of the characters FastBertTokenizer was probed to treat as 🤗 does (accented
    letters, curly quotes, dashes, symbols, CJK, emoji, ...) take the fast path, with the same
    ids, in random mixes and next to each other (case, accents, word limits in bytes)."""
    from tfx_hf.components.tokenization.fast_bert_tables import FAST_RANGES
    rng = random.Random(2)
    for name in ["minilm_uncased", "cased", "no_chinese_chars"]:
        reference = AutoTokenizer.from_pretrained(checkpoints[name])
        ours = InGraphTokenizer.from_pretrained(checkpoints[name], max_length=256,
                                                padding="longest")
        ranges = FAST_RANGES[reference.do_lower_case]
        sample = [chr(rng.randint(first, last)) for first, last in rng.choices(ranges, k=4000)]
        sample += list("éÉèçñÑöÖüÜßÆøÅ“”‘’—–«»€£¥©®™°±×÷¿¡中日本語한國" + "😀👍🏽❤")
        alphabet = sample + [chr(c) for c in range(0x20, 0x7F)] + [" "] * 30
        texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 200))) for _ in range(400)]
        texts += ["é" * 50, "é" * 51 + " x", "Ω" * 101, "José “Zoë” Müller — 5€ … naïve",
                  "ΣΑΣ Σ ς İstanbul"]
        fast = tf.strings.regex_full_match(tf.constant(texts), ours.encoder._fast_path_text)
        if name != "no_chinese_chars":
            assert fast.numpy()[:400].mean() > 0.9, name
        _assert_same(ours(tf.constant(texts)),
                     reference(texts, padding="longest", truncation=True, max_length=256), name)


def test_added_tokens_next_to_invalid_utf8(checkpoints):
    """A batch holding no added token skips the split (added_tokens.py); one whose only
    added tokens follow or precede invalid UTF-8 still finds them, as 🤗 does in the text
    decoded with errors="replace"."""
    reference = AutoTokenizer.from_pretrained(checkpoints["minilm_uncased"])
    ours = InGraphTokenizer.from_pretrained(checkpoints["minilm_uncased"], max_length=24)
    for raw in ([b"caf\xe9 ok", b"\xff\xfe bad [CL\xffS] x", b"trunc\xe2\x82"],
                [b"\xff[MASK]x", b"ok", b"\xe2\x82[SEP]\xc3", b"a [CL\xffS] [PAD]\x80"]):
        texts = [r.decode("utf-8", errors="replace") for r in raw]
        _assert_same(ours(tf.constant(raw)),
                     reference(texts, padding="max_length", truncation=True, max_length=24),
                     raw)


def test_stand_in_texts(checkpoints):
    """Rows with characters FastBertTokenizer normalizes unlike 🤗 while 🤗 leaves them as they
    are (…, ß, ², ½, ligatures, fullwidth letters, ‥: in the vocabulary or not) take the fast
    path renamed to stand-ins, with 🤗's ids; so do Hangul syllables (decomposed alike), up to
    the word limit in characters after decomposition; rows holding a stand-in itself take the
    exact path, with 🤗's ids too."""
    from tfx_hf.components.tokenization.fast_bert_tables import PLAIN_OUTSIDE
    rng = random.Random(3)
    for name in ["minilm_uncased", "cased"]:
        reference = AutoTokenizer.from_pretrained(checkpoints[name])
        ours = InGraphTokenizer.from_pretrained(checkpoints[name], max_length=256,
                                                padding="longest")
        stand_ins = ours.encoder._stand_ins
        plain = [chr(rng.randint(first, last)) for ranges in
                 PLAIN_OUTSIDE[reference.do_lower_case].values()
                 for first, last in rng.choices(ranges, k=300)]
        vocab_chars = set("".join(reference.vocab))
        in_vocab = [chr(cp) for cp in stand_ins.renamed if chr(cp) in vocab_chars][:300]
        alphabet = plain + in_vocab + list("…ß²½ﬁｆ‥한국어뉴스") + [
            chr(c) for c in range(0x20, 0x7F)] + [" "] * 40
        texts = ["".join(rng.choices(alphabet, k=rng.randint(1, 200))) for _ in range(300)]
        own = [chr(cp) for cp in sorted(set(stand_ins.renamed.values()))[:20]]
        held = ["x" + c + "y … ß" for c in own]  # a stand-in itself
        texts += held + ["straße … Größe² ½ ﬁne ‥ ｆｕｌｌ", "한" * 33, "한" * 34 + " x", "가" * 50,
                         "뉴스 " * 40, "…" * 101]
        renamed = tf.strings.regex_full_match(tf.constant(texts), ours.encoder._renamable_text)
        fast = tf.strings.regex_full_match(tf.constant(texts), ours.encoder._fast_path_text)
        renamed, fast = renamed.numpy(), fast.numpy()
        assert (renamed & ~fast)[:300].mean() > 0.8, name
        assert not renamed[300:300 + len(held)].any(), name
        _assert_same(ours(tf.constant(texts)),
                     reference(texts, padding="longest", truncation=True, max_length=256), name)


def test_no_fast_character_normalizes_into_a_renamed_one():
    """FastBert meets what a fast-path character normalizes into: that must be neither a
    renamed character (its token is renamed) nor a stand-in (it would read as the character it
    stands for). Checked with Python's own NFD and lowercasing over every fast-path character."""
    from tfx_hf.components.tokenization.tokenizer_files import read_tokenizer_config
    from tfx_hf.components.tokenization.wordpiece_stand_ins import StandIns
    config = read_tokenizer_config(minilm_checkpoint())
    stand_ins = StandIns(config.vocab, config.unk_token, "##", lowercase=True)
    vocab_chars = {ord(c) for token in config.vocab for c in token}
    watched = {cp for cp in stand_ins.renamed if cp in vocab_chars} | set(
        stand_ins.renamed.values())
    assert len(watched) > 200
    reaching = [hex(cp) for first, last in stand_ins.fast for cp in range(first, last + 1)
                if not 0xD800 <= cp <= 0xDFFF and
                {ord(c) for c in unicodedata.normalize("NFD", chr(cp)).lower()} - {cp} & watched]
    assert not reaching


def test_stand_ins_keep_tokens_within_tensorflow_text_limit():
    """A character whose stand-in would take a vocabulary token past tensorflow-text's 256
    bytes keeps its name (its rows take the exact path); the others are still renamed."""
    from tfx_hf.components.tokenization.wordpiece_stand_ins import StandIns
    stand_ins = StandIns(["[UNK]", "ß" * 50 + "a" * 60, "##ß", "…"], "[UNK]", "##",
                         lowercase=True)
    assert ord("ß") not in stand_ins.renamed and ord("…") in stand_ins.renamed
    assert max(len(token.encode("utf-8")) for token in stand_ins.vocab) == 160


def test_invalid_utf8_reads_as_replacement_character(checkpoints):
    """Bytes that are not UTF-8 give what 🤗 gives for the text decoded with errors="replace"."""
    raw = [b"caf\xe9 ok", b"\xff\xfe bad start", b"trunc\xe2\x82", b"mid\xc3(dle x",
           b"ok \xf0\x9f\x98\x80 \xed\xa0\x80 surrogate", b"\x80"]
    texts = [r.decode("utf-8", errors="replace") for r in raw]
    for name in ["minilm_uncased", "cased"]:
        reference = AutoTokenizer.from_pretrained(checkpoints[name])
        ours = InGraphTokenizer.from_pretrained(checkpoints[name], max_length=32)
        _assert_same(ours(tf.constant(raw)),
                     reference(texts, padding="max_length", truncation=True, max_length=32),
                     name)


@pytest.mark.parametrize("file_name", sorted(make_unicode_tables.TABLES))
def test_unicode_tables_are_what_the_generator_writes(file_name):
    """Each stored table equals the generator's output from the installed `tokenizers` (and
    `regex`), version header included; if not, rerun make_unicode_tables.py."""
    path = os.path.join(os.path.dirname(make_unicode_tables.__file__), file_name)
    with open(path, encoding="utf-8") as f:
        stored = f.read()
    assert stored == make_unicode_tables.TABLES[file_name](), file_name


@pytest.mark.slow
@pytest.mark.parametrize("name", CHECKPOINTS)
def test_every_code_point(checkpoints, name):
    """Each Unicode scalar value between two letters, against 🤗's normalizer + pre-tokenizer +
    WordPiece (ids with [UNK] for out-of-vocabulary words)."""
    reference = AutoTokenizer.from_pretrained(checkpoints[name])
    texts = [f"a{chr(cp)}b" for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
    # A different sample of code points per variant keeps the run short.
    texts = texts[CHECKPOINTS.index(name)::7] if name == "minilm_uncased" else \
        texts[CHECKPOINTS.index(name)::13]
    ours = InGraphTokenizer.from_pretrained(checkpoints[name], max_length=8,
                                            padding="max_length")
    got = ours(tf.constant(texts))["input_ids"].numpy()
    expected = np.asarray(reference(texts, padding="max_length", truncation=True,
                                    max_length=8)["input_ids"])
    bad = np.flatnonzero((got != expected).any(axis=1))
    assert not len(bad), [(hex(ord(texts[i][1])), got[i].tolist(), expected[i].tolist())
                          for i in bad[:10]]


@pytest.mark.slow
def test_built_inside_a_traced_function(checkpoints):
    """As in a tf.Transform preprocessing_fn: the tokenizer is made while tracing a graph."""
    checkpoint = checkpoints["cased"]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    def tokenize(text, pair):
        tokenizer = InGraphTokenizer.from_pretrained(checkpoint, max_length=24)
        return tokenizer(text), tokenizer(text, pair)

    single, pairs = tokenize(tf.constant(CORPUS[:12]), tf.constant(CORPUS[12:24]))
    reference = AutoTokenizer.from_pretrained(checkpoint)
    options = dict(padding="max_length", truncation=True, max_length=24)
    _assert_same(single, reference(CORPUS[:12], **options), "single")
    _assert_same(pairs, reference(CORPUS[:12], CORPUS[12:24], **options), "pairs")


def test_unsupported_model_types_are_refused_by_name(tmp_path):
    """A tokenizer model type in-graph tokenization lacks: the error says which are supported."""
    from tfx_hf.components.tokenization import TokenizerFilesError
    (tmp_path / "tokenizer.json").write_text('{"model": {"type": "WordLevel"}}')
    with pytest.raises(TokenizerFilesError, match="'WordLevel' tokenizer.*supports WordPiece"):
        InGraphTokenizer.from_pretrained(str(tmp_path), max_length=8)


def test_bert_processing_post_processor(tmp_path):
    """A tokenizer.json with the older BertProcessing post-processor."""
    import json
    import shutil
    for name in ["tokenizer.json", "tokenizer_config.json", "vocab.txt",
                 "special_tokens_map.json"]:
        shutil.copy(os.path.join(minilm_checkpoint(), name), tmp_path / name)
    spec = json.loads((tmp_path / "tokenizer.json").read_text(encoding="utf-8"))
    spec["post_processor"] = {"type": "BertProcessing", "sep": ["[SEP]", 102],
                              "cls": ["[CLS]", 101]}
    (tmp_path / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    reference = AutoTokenizer.from_pretrained(str(tmp_path))
    ours = InGraphTokenizer.from_pretrained(str(tmp_path), max_length=16)
    options = dict(padding="max_length", truncation=True, max_length=16)
    _assert_same(ours(tf.constant(CORPUS)), reference(CORPUS, **options), "single")
    _assert_same(ours(tf.constant(CORPUS), tf.constant(CORPUS[::-1])),
                 reference(CORPUS, CORPUS[::-1], **options), "pairs")


def test_vocabulary_tensorflow_text_cannot_hold_is_named(tmp_path):
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n" + "x" * 300 + "\n")
    from tfx_hf.components.tokenization import TokenizerFilesError
    with pytest.raises(TokenizerFilesError, match="tensorflow-text cannot build"):
        InGraphTokenizer.from_pretrained(str(tmp_path), max_length=8)
