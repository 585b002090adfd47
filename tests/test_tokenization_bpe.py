"""Exact parity of InGraphTokenizer with 🤗 fast byte-level BPE tokenizers (ByteLevel
pre-tokenizer + BPE model): RoBERTa-, GPT-2-, DeBERTa-v1-style and other checkpoints whose BPE is
trained here with 🤗 `tokenizers` on the hard corpus, compared on every output tensor for single
texts and pairs, every truncation strategy and both padding modes; and the tokenizer files
in-graph BPE refuses, each by name."""
import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tfx_hf.components.tokenization import InGraphTokenizer, TokenizerFilesError
from tfx_hf.components.tokenization.byte_level_bpe import ByteLevelBPE, token_bytes
from tfx_hf.components.tokenization.tokenizer_files import (
    GPT2_SPLIT_PATTERN, config_from_dict, config_to_dict)
from test_tokenization_parity import CORPUS, PAIRS, _assert_same, _fits

tokenizers = pytest.importorskip("tokenizers")
transformers = pytest.importorskip("transformers")
from tokenizers import decoders, models, pre_tokenizers, processors, trainers  # noqa: E402

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
# What the GPT-2 split regex treats specially, beyond CORPUS's scripts, emoji and controls.
BPE_TEXTS = [
    "it's IT'S we're WE'RE they've I'm you'll he'd 'S 'T 'Re 'VE 'M 'LL 'D ’s",
    "x's's 's 're's ''s '''re don'tknow 'sa 'll'll 5's $'s \t's \u00a0'd \n'm ' s '",
    "a  b   c \t d\t\te \n\n f \u00a0 g\u00a0\u00a0h\u3000i \u3000 j\u2028k\u0085l\x1c\x1dm",
    "   leading and trailing   ", " x", "  x", "\tx", "\u00a0x", "x ", "x  ", "x \t", " ",
    "  ", "\t", "\n\n", "\u3000", "a\u200bb a\ufeffb a\u00adb",
    "123 4567 1,234.56 ١٢٣ ½ ² Ⅳ ①x 12abc abc12 12 34  56",
    "mixed中文abc русский123 😀😀 👨‍👩‍👧 🏳️‍🌈x a\u0301\u0316 \u0915\u094d\u0937",
    "<s> inline </s><pad> <mask> <unk><s>x</s> <mask>y  <mask>\t<mask> <MASK> < s>",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbb abab" * 2,
    "ééééééééééééééééééééééééé 中中中中中中中中中中中 " + "x" * 300,
    "!!!???... --- ((( ))) ,,, $$$ +++ <<< >>> ^^^ ``` ||| ~~~ ¿¡ «» — … € £",
    "\x00\x01\x07\x1b\x7f\x85 nul\x00in del\x7fhere \ufffd\ufffd",
]
INVALID_UTF8 = [b"caf\xe9 ok", b"\xff\xfe bad start", b"trunc\xe2\x82", b"mid\xc3(dle x",
                b"ok \xf0\x9f\x98\x80 \xed\xa0\x80 surrogate", b"\x80", b" \xff's \xff 's"]
TEXTS = CORPUS + BPE_TEXTS


def _train(vocab_size=1500, unk_token=None, alphabet=True, **trainer_options):
    model = models.BPE(unk_token=unk_token)
    tokenizer = tokenizers.Tokenizer(model)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet() if alphabet else [],
        **trainer_options)
    lines = [line for text in TEXTS for line in text.splitlines()]
    if not alphabet:  # ASCII only: the other bytes are not in the vocabulary
        lines = [line for line in lines if line.isascii()]
    tokenizer.train_from_iterator(lines * 3, trainer)
    return tokenizer


def _roberta(tokenizer):
    ids = {token: tokenizer.token_to_id(token) for token in SPECIALS}
    tokenizer.post_processor = processors.RobertaProcessing(
        ("</s>", ids["</s>"]), ("<s>", ids["<s>"]), add_prefix_space=False)
    return transformers.RobertaTokenizerFast(tokenizer_object=tokenizer, add_prefix_space=False)


def _gpt2(tokenizer):
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return transformers.GPT2TokenizerFast(
        tokenizer_object=tokenizer, add_prefix_space=True, bos_token="<s>", eos_token="</s>",
        unk_token="<unk>", pad_token="<pad>")


def _deberta(tokenizer):
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> $B:1 </s>:1",
        special_tokens=[(t, tokenizer.token_to_id(t)) for t in ("<s>", "</s>")])
    return transformers.DebertaTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", sep_token="</s>",
        cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>")


def _generic(tokenizer, **options):
    """PreTrainedTokenizerFast: returns token_type_ids (A 0, B 1 with no post-processor)."""
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>",
                                                **options)


def _sequence_post_processor(tokenizer):
    """A Sequence post-processor: ByteLevel's offset trimming, then a template."""
    tokenizer.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=True, add_prefix_space=False),
        processors.TemplateProcessing(
            single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
            special_tokens=[(t, tokenizer.token_to_id(t)) for t in ("<s>", "</s>")])])
    return _generic(tokenizer)


def _split_then_byte_level(tokenizer):
    """The GPT-2 regex as a Split pre-tokenizer, then ByteLevel without its own regex."""
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(tokenizers.Regex(GPT2_SPLIT_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    return _roberta(tokenizer)


def _no_regex(tokenizer):
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=False)
    return _generic(tokenizer)


def _shuffled_merges(tokenizer):
    """The same vocabulary with merges in a random order: merges can make pairs ranked lower
    than themselves, so the in-graph loop merges one pair per word and round."""
    spec = json.loads(tokenizer.to_str())
    random.Random(0).shuffle(spec["model"]["merges"])
    return _roberta(tokenizers.Tokenizer.from_str(json.dumps(spec)))


STYLES = {
    # name: (trainer options, wrapper)
    "roberta": (dict(), _roberta),
    "gpt2": (dict(), _gpt2),
    "deberta": (dict(), _deberta),
    "affixes": (dict(continuing_subword_prefix="##", end_of_word_suffix="</w>"), _generic),
    "unk_fused": (dict(unk_token="<unk>", alphabet=False, fuse_unk=True), _generic),
    "unk": (dict(unk_token="<unk>", alphabet=False), _generic),
    "no_unk": (dict(alphabet=False), _generic),
    "split_sequence": (dict(), _split_then_byte_level),
    "sequence_post_processor": (dict(), _sequence_post_processor),
    "no_regex": (dict(vocab_size=600), _no_regex),
    "shuffled_merges": (dict(vocab_size=600), _shuffled_merges),
    "ignore_merges": (dict(vocab_size=600, ignore_merges=True), _shuffled_merges),
}
MAIN_STYLES = ["roberta", "gpt2", "deberta"]


def _build(folder, style):
    options, wrap = STYLES[style]
    options = dict(options)
    model_options = {key: options.pop(key) for key in ("fuse_unk", "ignore_merges")
                     if key in options}
    trainer_options = {key: options.pop(key) for key in
                       ("continuing_subword_prefix", "end_of_word_suffix") if key in options}
    tokenizer = _train(**options, **trainer_options)
    if model_options or trainer_options:  # the trainer does not set them on the model
        spec = json.loads(tokenizer.to_str())
        spec["model"].update(**model_options, **trainer_options)
        tokenizer = tokenizers.Tokenizer.from_str(json.dumps(spec))
    wrap(tokenizer).save_pretrained(str(folder))
    return str(folder)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    return {style: _build(tmp_path_factory.mktemp(style), style) for style in STYLES}


@pytest.fixture(scope="module")
def references(checkpoints):
    return {style: transformers.AutoTokenizer.from_pretrained(path)
            for style, path in checkpoints.items()}


def test_checkpoints_are_what_they_claim(checkpoints, references):
    """The test tokenizers have the options they stand for (else the tests test less)."""
    spec = {style: json.loads(open(f"{path}/tokenizer.json", encoding="utf-8").read())
            for style, path in checkpoints.items()}
    assert spec["roberta"]["post_processor"]["type"] == "RobertaProcessing"
    assert spec["gpt2"]["pre_tokenizer"]["add_prefix_space"] is True
    assert spec["deberta"]["post_processor"]["type"] == "TemplateProcessing"
    assert "token_type_ids" in references["deberta"].model_input_names
    assert "token_type_ids" not in references["roberta"].model_input_names
    assert spec["affixes"]["model"]["end_of_word_suffix"] == "</w>"
    assert spec["unk_fused"]["model"]["fuse_unk"] is True
    assert spec["ignore_merges"]["model"]["ignore_merges"] is True
    for style in ("unk", "unk_fused", "no_unk"):  # bytes outside the vocabulary
        assert len([t for t in spec[style]["model"]["vocab"] if len(t) == 1]) < 256
    added = {t["content"]: t for t in spec["roberta"]["added_tokens"]}
    assert added["<mask>"]["lstrip"]
    encoders = {style: InGraphTokenizer.from_pretrained(path, max_length=8).encoder
                for style, path in checkpoints.items()}
    assert not encoders["roberta"].leftmost_only and encoders["shuffled_merges"].leftmost_only


@pytest.mark.parametrize("style", STYLES)
def test_single_texts(checkpoints, references, style):
    for max_length, padding, multiple in [(8, "max_length", None), (64, "longest", None),
                                          (512, "longest", 16)]:
        ours = InGraphTokenizer.from_pretrained(checkpoints[style], max_length=max_length,
                                                padding=padding, pad_to_multiple_of=multiple)
        expected = references[style](TEXTS, padding=padding, truncation=True,
                                     max_length=max_length, pad_to_multiple_of=multiple)
        _assert_same(ours(tf.constant(TEXTS)), expected, (style, max_length, padding))


@pytest.mark.parametrize("style", MAIN_STYLES + ["affixes"])
@pytest.mark.parametrize("truncation", ["longest_first", "only_first", "only_second"])
def test_pairs(checkpoints, references, style, truncation):
    reference = references[style]
    pairs = PAIRS + [(a, b) for a, b in zip(BPE_TEXTS, BPE_TEXTS[::-1])]
    for max_length, padding in [(9, "max_length"), (40, "longest"), (512, "longest")]:
        kept = pairs if truncation == "longest_first" else \
            [p for p in pairs if _fits(reference, p, max_length, truncation)]
        first, second = (list(side) for side in zip(*kept))
        ours = InGraphTokenizer.from_pretrained(checkpoints[style], max_length=max_length,
                                                padding=padding, truncation=truncation)
        expected = reference(first, second, padding=padding, truncation=truncation,
                             max_length=max_length)
        _assert_same(ours(tf.constant(first), tf.constant(second)), expected,
                     (style, truncation, max_length, padding))


@pytest.mark.parametrize("style", STYLES)
def test_offsets_mapping(checkpoints, references, style):
    """return_offsets_mapping: code point ranges as 🤗's (added tokens without the whitespace
    lstrip took, trim_offsets, the prefix space, bytes the vocabulary lacks), special and
    padding tokens (0, 0); single texts and pairs, cut by truncation."""
    texts = TEXTS + [raw.decode("utf-8", errors="replace") for raw in INVALID_UTF8]
    for max_length, padding, pair in [(512, "longest", False), (24, "max_length", True)]:
        args = (texts, texts[::-1]) if pair else (texts,)
        ours = InGraphTokenizer.from_pretrained(checkpoints[style], max_length=max_length,
                                                padding=padding, return_offsets_mapping=True)
        expected = references[style](*args, padding=padding, truncation=True,
                                     max_length=max_length, return_offsets_mapping=True)
        expected["offset_mapping"] = [[list(o) for o in row]
                                      for row in expected["offset_mapping"]]
        _assert_same(ours(*(tf.constant(a) for a in args)), expected, (style, pair))




@pytest.mark.parametrize("style", MAIN_STYLES)
def test_invalid_utf8_reads_as_replacement_character(checkpoints, references, style):
    texts = [raw.decode("utf-8", errors="replace") for raw in INVALID_UTF8]
    ours = InGraphTokenizer.from_pretrained(checkpoints[style], max_length=32)
    _assert_same(ours(tf.constant(INVALID_UTF8)), references[style](
        texts, padding="max_length", truncation=True, max_length=32), style)


def test_batches_of_one_and_empty_batches(checkpoints, references):
    ours = InGraphTokenizer.from_pretrained(checkpoints["gpt2"], max_length=64,
                                            padding="longest")
    for text in BPE_TEXTS + ["", "<s>", "x"]:
        _assert_same(ours(tf.constant([text])), references["gpt2"](
            [text], padding="longest", truncation=True, max_length=64), text)
    assert ours(tf.constant([], tf.string))["input_ids"].shape[0] == 0


@pytest.mark.slow
def test_built_inside_a_traced_function(checkpoints, references):
    """As in a tf.Transform preprocessing_fn: the tokenizer is made while tracing a graph."""
    checkpoint = checkpoints["deberta"]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    def tokenize(text, pair):
        return InGraphTokenizer.from_pretrained(checkpoint, max_length=24)(text, pair)

    expected = references["deberta"](TEXTS[:20], TEXTS[20:40], padding="max_length",
                                      truncation=True, max_length=24)
    _assert_same(tokenize(tf.constant(TEXTS[:20]), tf.constant(TEXTS[20:40])), expected,
                 "traced")


def test_get_config_round_trips_through_json(checkpoints, references):
    tokenizer = InGraphTokenizer.from_pretrained(checkpoints["affixes"], max_length=24)
    rebuilt = InGraphTokenizer.from_config(json.loads(json.dumps(tokenizer.get_config())))
    assert rebuilt.tokenizer_config == tokenizer.tokenizer_config
    assert config_from_dict(config_to_dict(tokenizer.tokenizer_config)) == \
        tokenizer.tokenizer_config
    expected = references["affixes"](TEXTS[:20], TEXTS[20:40], padding="max_length",
                                     truncation=True, max_length=24)
    _assert_same(rebuilt(tf.constant(TEXTS[:20]), tf.constant(TEXTS[20:40])), expected,
                 "from_config")


def test_known_words_are_the_words_bpe_makes_one_token(checkpoints, references):
    """The whole-word cache (built by the merge loop in numpy) holds a vocabulary token only
    when 🤗's BPE rebuilds it from its bytes (or, with ignore_merges, finds it whole); with
    shuffled merges some tokens are unreachable, and the loop merges one pair at a time."""
    for style in ("roberta", "affixes", "unk", "shuffled_merges", "ignore_merges"):
        encoder = InGraphTokenizer.from_pretrained(checkpoints[style], max_length=8).encoder
        backend = references[style].backend_tokenizer.model
        vocab = references[style].backend_tokenizer.get_vocab(with_added_tokens=False)
        suffix = "</w>" if style == "affixes" else ""
        words = {token.removesuffix(suffix) for token in vocab}
        one_token = {}
        for word in words:
            ids = [token.id for token in backend.tokenize(word)]
            if len(ids) == 1:
                one_token[token_bytes(word)] = ids[0]
        assert encoder.known_words == one_token, style
        if style == "shuffled_merges":
            assert len(one_token) < len(words), "shuffling should make tokens unreachable"


def _code_point_texts(cps):
    # Each code point around letters, numbers, spaces, other chars and a contraction.
    return [f"a{c}b {c}{c} 1{c}2 {c} x\t{c}'s {c}\u00a0 !{c}" for c in map(chr, cps)]


def _compare_code_points(checkpoint, reference, cps):
    texts = _code_point_texts(cps)
    ours = InGraphTokenizer.from_pretrained(checkpoint, max_length=40)
    got = ours(tf.constant(texts))["input_ids"].numpy()
    expected = np.asarray(reference(texts, padding="max_length", truncation=True,
                                    max_length=40)["input_ids"])
    bad = np.flatnonzero((got != expected).any(axis=1))
    assert not len(bad), [hex(cps[i]) for i in bad[:20]]


def test_code_points_at_class_boundaries(checkpoints, references):
    """Each code point where the regex's classes (\\s, \\p{L}, \\p{N}) change, and a sample."""
    from tfx_hf.components.tokenization.byte_level_bpe import class_table
    classes = class_table()
    edges = np.flatnonzero(np.diff(classes))
    cps = sorted({int(cp) for edge in edges for cp in (edge, edge + 1)} |
                 set(range(0, 0x110000, 4099)) | {0x10FFFF})
    cps = [cp for cp in cps if not 0xD800 <= cp <= 0xDFFF]
    _compare_code_points(checkpoints["gpt2"], references["gpt2"], cps)


@pytest.mark.slow
def test_every_code_point(checkpoints, references):
    cps = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
    for start in range(0, len(cps), 100_000):
        _compare_code_points(checkpoints["roberta"], references["roberta"],
                             cps[start:start + 100_000])


@pytest.mark.slow
def test_saved_model_loads_with_tensorflow_text_only(tmp_path, checkpoints, references):
    """Saved and loaded in a process that imports only tensorflow and tensorflow_text: the
    vocabulary, merges and tables are in the SavedModel (no files, no Python)."""
    tokenizer = InGraphTokenizer.from_pretrained(checkpoints["roberta"], max_length=24,
                                                 return_offsets_mapping=True)
    module = tf.Module()
    module.tokenizer = tokenizer
    module.tokenize = tf.function(lambda text, pair: tokenizer(text, pair),
                                  input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    tf.saved_model.save(module, str(tmp_path / "tok"))
    texts, pairs = ["it's <mask> Café 😀 x", "  IT'S\tok"], ["naïve 123", ""]
    script = (
        "import sys, json, tensorflow as tf, tensorflow_text\n"
        f"m = tf.saved_model.load({str(tmp_path / 'tok')!r})\n"
        f"out = m.tokenize(tf.constant({texts!r}), tf.constant({pairs!r}))\n"
        "assert 'transformers' not in sys.modules and 'tokenizers' not in sys.modules\n"
        "print(json.dumps({k: v.numpy().tolist() for k, v in out.items()}))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, env=dict(os.environ, PYTHONPATH=""),
                            cwd=str(tmp_path))
    got = json.loads(result.stdout.strip().splitlines()[-1])
    expected = references["roberta"](texts, pairs, padding="max_length", truncation=True,
                                     max_length=24, return_offsets_mapping=True)
    assert got == {key: [[list(o) for o in row] if key == "offset_mapping" else row
                         for row in value] for key, value in expected.items()}


def test_every_op_is_on_the_serve_check_allow_list(tmp_path, checkpoints):
    """serve-check refuses ops nobody reviewed (components/export/allowed_ops.py): the BPE
    paths (merging all occurrences or the leftmost, unknown bytes, offsets) use none."""
    from tensorflow.core.protobuf import saved_model_pb2

    from tfx_hf.components.export import allowed_ops, serve_check
    module = tf.Module()
    module.tokenizers = [InGraphTokenizer.from_pretrained(checkpoints[style], max_length=16,
                                                          return_offsets_mapping=offsets)
                         for style, offsets in [("roberta", True), ("unk_fused", True),
                                                ("shuffled_merges", False)]]
    module.tokenize = tf.function(
        lambda text, pair: [tokenizer(text, pair) for tokenizer in module.tokenizers],
        input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    tf.saved_model.save(module, str(tmp_path / "tokenizers"))
    saved_model = saved_model_pb2.SavedModel()
    with open(tmp_path / "tokenizers" / "saved_model.pb", "rb") as f:
        saved_model.ParseFromString(f.read())
    assert serve_check.refused_ops(saved_model, allowed_ops.by_context()) == {}
    assert {"LookupTableFindV2", "While"} <= set(serve_check._graph_ops(saved_model))


# Refused tokenizer files: each error names the component and its value.
def _edited(checkpoints, tmp_path, edit):
    folder = tmp_path / "edited"
    folder.mkdir()
    source = checkpoints["roberta"]
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (folder / name).write_text(open(f"{source}/{name}", encoding="utf-8").read(),
                                   encoding="utf-8")
    spec = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    edit(spec)
    (folder / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    return str(folder)


def _set(path, value):
    def edit(spec):
        *parents, key = path
        target = spec
        for parent in parents:
            target = target[parent]
        target[key] = value
    return edit


REFUSED = {
    "byte_fallback": (_set(["model", "byte_fallback"], True), "byte_fallback=True"),
    "dropout": (_set(["model", "dropout"], 0.1), "dropout=0.1"),
    "normalizer": (_set(["normalizer"], {"type": "NFKC"}), "normalizer 'NFKC'"),
    "metaspace": (_set(["pre_tokenizer"], {"type": "Metaspace", "replacement": "▁"}),
                  "pre_tokenizer 'Metaspace'"),
    "split_pattern": (_set(["pre_tokenizer"], {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": r"\p{N}{1,3}"}, "behavior": "Isolated",
         "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
         "use_regex": False}]}), r"Split pre-tokenizer .*\\\\p\{N\}\{1,3\}"),
    "post_processor": (_set(["post_processor"], {"type": "Unknown"}),
                       "post_processor 'Unknown'"),
    "unknown_merge_token": (lambda spec: spec["model"]["merges"].insert(0, ["zz", "qq"]),
                            "BPE merge 'zz' 'qq'"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_unsupported_tokenizer_files_are_refused_by_name(checkpoints, tmp_path, case):
    edit, message = REFUSED[case]
    with pytest.raises(TokenizerFilesError, match=message):
        InGraphTokenizer.from_pretrained(_edited(checkpoints, tmp_path, edit), max_length=8)


def _with_token_files(folder, tokenizer_config, special_tokens_map):
    for name, values in (("tokenizer_config.json", tokenizer_config),
                         ("special_tokens_map.json", special_tokens_map)):
        path = os.path.join(folder, name)
        if values is None:
            os.remove(path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                json.dump(values, f)
    return folder


def test_pad_token_is_found_as_transformers_finds_it(checkpoints, tmp_path):
    """Hub checkpoints like roberta-base name no special tokens in their files: the pad token
    is then the tokenizer class's default; GPT-2 has none, which is refused by name."""
    folder = _edited(checkpoints, tmp_path, lambda spec: None)
    _with_token_files(folder, {"tokenizer_class": "RobertaTokenizer", "model_max_length": 512},
                      None)
    tokenizer = InGraphTokenizer.from_pretrained(folder, max_length=8, padding="max_length")
    assert tokenizer.tokenizer_config.pad_token == "<pad>"
    reference = transformers.AutoTokenizer.from_pretrained(folder)
    _assert_same(tokenizer(tf.constant(["a b"])), reference(
        ["a b"], padding="max_length", truncation=True, max_length=8), "class default")
    _with_token_files(folder, {"tokenizer_class": "GPT2Tokenizer", "model_max_length": 1024},
                      {"eos_token": "</s>"})
    with pytest.raises(TokenizerFilesError, match="no pad_token"):
        InGraphTokenizer.from_pretrained(folder, max_length=8)


def test_encoder_is_registered_for_byte_level_configs(checkpoints):
    tokenizer = InGraphTokenizer.from_pretrained(checkpoints["roberta"], max_length=8)
    assert isinstance(tokenizer.encoder, ByteLevelBPE)
