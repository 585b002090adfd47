"""Checkpoints whose tokenizer.json and tokenizer_config.json disagree: the in-graph tokenizer
follows what 🤗 `AutoTokenizer.from_pretrained` makes of the two (the tokenizer class's
rewrites of the normalizer, pre-tokenizer and post-processor), compared on every output,
offsets included."""
import json
import os

import pytest
import tensorflow as tf

from tfx_hf.components.tokenization import InGraphTokenizer
from test_tokenization_bpe import TEXTS, _gpt2, _roberta, _train
from test_tokenization_parity import CORPUS, _assert_same

tokenizers = pytest.importorskip("tokenizers")
transformers = pytest.importorskip("transformers")
from tokenizers import models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402

# Cased words, accents and CJK: what lowercasing, accent stripping and Chinese-character
# splitting change.
BERT_TEXTS = CORPUS + ["Hello HELLO hello Café CAFÉ cafe 中文字符 Ünïcödé", "Straße İstanbul"]


def _wordpiece(folder: str) -> str:
    """A cased WordPiece (BertNormalizer without lowercasing or accent stripping) trained on
    BERT_TEXTS, saved as a BertTokenizerFast whose two files agree."""
    tokenizer = tokenizers.Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    lines = [line for text in BERT_TEXTS for line in text.splitlines()]
    lines += [line.lower() for line in lines]
    tokenizer.train_from_iterator(lines * 3, trainers.WordPieceTrainer(
        vocab_size=2000, special_tokens=specials, show_progress=False))
    tokenizer.post_processor = processors.BertProcessing(
        ("[SEP]", tokenizer.token_to_id("[SEP]")), ("[CLS]", tokenizer.token_to_id("[CLS]")))
    transformers.BertTokenizerFast(tokenizer_object=tokenizer, do_lower_case=False,
                                   strip_accents=False).save_pretrained(folder)
    return folder


def _edit(folder: str, name: str, edit) -> None:
    path = os.path.join(folder, name)
    with open(path, encoding="utf-8") as f:
        values = json.load(f)
    edit(values)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(values, f)


def _set(**values):
    return lambda section: section.update(values)


def _drop(*keys):
    return lambda section: [section.pop(key, None) for key in keys]


def _in(key, edit):
    return lambda values: edit(values[key])


# name: (base checkpoint, [(file, edit)], texts). Each edit makes tokenizer.json say one thing
# and tokenizer_config.json (or the tokenizer class's default) another.
CASES = {
    # tokenizer.json lowercases; tokenizer_config.json says do_lower_case=False: cased.
    "bert_config_says_cased": ("wordpiece", [
        ("tokenizer.json", _in("normalizer", _set(lowercase=True, strip_accents=None))),
        ("tokenizer_config.json", _set(do_lower_case=False))], BERT_TEXTS),
    # tokenizer.json cased, no accent stripping, no CJK splitting; tokenizer_config.json names
    # none of it, so BertTokenizerFast's defaults (lowercase, strip accents, split CJK) win.
    "bert_class_defaults": ("wordpiece", [
        ("tokenizer.json", _in("normalizer", _set(lowercase=False, strip_accents=False,
                                                  handle_chinese_chars=False))),
        ("tokenizer_config.json", _drop("do_lower_case", "strip_accents",
                                        "tokenize_chinese_chars"))], BERT_TEXTS),
    # strip_accents=False with lowercasing.
    "bert_lowercase_keeps_accents": ("wordpiece", [
        ("tokenizer_config.json", _set(do_lower_case=True, strip_accents=False))], BERT_TEXTS),
    # No tokenizer_class: AutoTokenizer takes BertTokenizerFast from config.json's model_type.
    "bert_by_model_type": ("wordpiece", [
        ("tokenizer.json", _in("normalizer", _set(lowercase=False))),
        ("tokenizer_config.json", _drop("tokenizer_class", "do_lower_case")),
        ("config.json", _set(model_type="bert"))], BERT_TEXTS),
    # tokenizer.json's ByteLevel adds a prefix space; RobertaTokenizerFast's default does not.
    "roberta_prefix_space_default": ("roberta", [
        ("tokenizer.json", _in("pre_tokenizer", _set(add_prefix_space=True))),
        ("tokenizer_config.json", _drop("add_prefix_space"))], TEXTS),
    # tokenizer_config.json asks for the prefix space and no offset trimming.
    "roberta_config_prefix_space_no_trim": ("roberta", [
        ("tokenizer_config.json", _set(add_prefix_space=True, trim_offsets=False))], TEXTS),
    # Only trim_offsets=False: offsets keep the "Ġ" spaces, and the whitespace <mask> (lstrip)
    # took.
    "roberta_config_no_trim": ("roberta", [
        ("tokenizer_config.json", _set(trim_offsets=False))], TEXTS),
    # GPT-2 saved with add_prefix_space=True, its tokenizer_config.json entry removed.
    "gpt2_prefix_space_dropped": ("gpt2", [
        ("tokenizer_config.json", _drop("add_prefix_space"))], TEXTS),
}


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    return {"wordpiece": _wordpiece(str(tmp_path_factory.mktemp("wordpiece"))),
            "roberta": _save(_roberta(_train()), tmp_path_factory.mktemp("roberta")),
            "gpt2": _save(_gpt2(_train()), tmp_path_factory.mktemp("gpt2"))}


def _save(tokenizer, folder) -> str:
    tokenizer.save_pretrained(str(folder))
    return str(folder)


def _checkpoint(bases, tmp_path, case) -> str:
    base, edits, _ = CASES[case]
    folder = str(tmp_path / case)
    os.makedirs(folder)
    for name in os.listdir(bases[base]):
        with open(os.path.join(bases[base], name), "rb") as f, \
                open(os.path.join(folder, name), "wb") as g:
            g.write(f.read())
    for name, edit in edits:
        if not os.path.isfile(os.path.join(folder, name)):
            with open(os.path.join(folder, name), "w") as f:
                f.write("{}")
        _edit(folder, name, edit)
    return folder


@pytest.mark.parametrize("case", CASES)
def test_in_graph_tokenizer_follows_autotokenizer(bases, tmp_path, case):
    folder = _checkpoint(bases, tmp_path, case)
    texts = CASES[case][2]
    reference = transformers.AutoTokenizer.from_pretrained(folder)
    # The files disagree: tokenizer.json alone tokenizes otherwise (else this tests nothing).
    raw = tokenizers.Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    assert any(raw.encode(text).ids != reference(text)["input_ids"] or
               raw.encode(text).offsets != reference(text, return_offsets_mapping=True)[
                   "offset_mapping"] for text in texts), case
    ours = InGraphTokenizer.from_pretrained(folder, max_length=512, padding="longest",
                                            return_offsets_mapping=True)
    expected = reference(texts, padding="longest", truncation=True, max_length=512,
                         return_offsets_mapping=True)
    expected["offset_mapping"] = [[list(o) for o in row] for row in expected["offset_mapping"]]
    _assert_same(ours(tf.constant(texts)), expected, case)

