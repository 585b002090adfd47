"""Reads a checkpoint's tokenizer files (`tokenizer.json`, or `vocab.txt` with
`tokenizer_config.json`) into the options an in-graph tokenizer needs: a WordPiece (BERT family)
or a SentencePiece Unigram (ALBERT, T5, XLM-R) tokenizer. No TensorFlow here."""
import dataclasses
import functools
import json
import os
from typing import Dict, List, NamedTuple, Optional, Tuple, Union

from tfx_hf.components.hub_paths import is_local_path
from tfx_hf.components.input_error import InputError


class TokenizerFilesError(InputError):
    """The checkpoint has no usable tokenizer files, or a tokenizer type we do not support."""


class AddedToken(NamedTuple):
    """An added token as 🤗 `tokenizers` matches it before the model: in the raw text, or in the
    normalized one when `normalized`; `lstrip`/`rstrip` take the whitespace next to it."""
    content: str
    id: int
    lstrip: bool = False
    rstrip: bool = False
    normalized: bool = False


# The post-processor as templates: ("A"|"B", type_id) for a sequence, or (ids, type_id) for
# special tokens.
Template = Tuple[Tuple[Union[str, Tuple[int, ...]], int], ...]


@dataclasses.dataclass(frozen=True)
class WordPieceConfig:
    """A BERT-style WordPiece tokenizer, named as 🤗 names its options."""
    vocab: List[str]  # token for each id
    unk_token: str = "[UNK]"
    cls_token: str = "[CLS]"
    sep_token: str = "[SEP]"
    pad_token: str = "[PAD]"
    continuing_subword_prefix: str = "##"
    max_input_chars_per_word: int = 100
    lowercase: bool = True
    strip_accents: Optional[bool] = None  # None: follow `lowercase`, as 🤗 does
    clean_text: bool = True
    handle_chinese_chars: bool = True
    model_max_length: Optional[int] = None
    model_input_names: tuple = ("input_ids", "token_type_ids", "attention_mask")
    # None: BERT's [CLS] A [SEP] (B [SEP]), as 🤗 converts vocab.txt.
    single_template: Optional[Template] = None
    pair_template: Optional[Template] = None
    added_tokens: Tuple[AddedToken, ...] = ()  # all matched in the raw text

    def templates(self) -> Tuple[Template, Template]:
        """(single, pair) templates, defaulting to BERT's."""
        if self.single_template is not None:
            return self.single_template, self.pair_template
        return _bert_templates(self.token_id(self.cls_token), self.token_id(self.sep_token))

    def token_id(self, token: str) -> int:
        return _token_id(self._ids, token)

    @functools.cached_property
    def _ids(self) -> Dict[str, int]:
        return {t: i for i, t in enumerate(self.vocab)}


@dataclasses.dataclass(frozen=True)
class SentencePieceConfig:
    """A SentencePiece Unigram tokenizer as 🤗's tokenizer.json describes it."""
    pieces: Tuple[Tuple[str, float], ...]  # (piece, score) of the Unigram model, by id
    unk_id: int
    vocab: List[str]  # token for each id, added tokens included
    normalizer: Optional[dict] = None  # tokenizer.json's normalizer section
    replacement: str = "\u2581"  # Metaspace pre-tokenizer options
    prepend_scheme: str = "always"
    split: bool = True
    pad_token: str = "<pad>"
    model_max_length: Optional[int] = None
    model_input_names: tuple = ("input_ids", "attention_mask")
    single_template: Optional[Template] = None
    pair_template: Optional[Template] = None
    added_tokens: Tuple[AddedToken, ...] = ()

    def templates(self) -> Tuple[Template, Template]:
        return self.single_template, self.pair_template

    def token_id(self, token: str) -> int:
        return _token_id(self._ids, token)

    @functools.cached_property
    def _ids(self) -> Dict[str, int]:
        ids = {t: i for i, t in enumerate(self.vocab)}
        ids.update((token.content, token.id) for token in self.added_tokens)
        return ids


TokenizerConfig = Union[WordPieceConfig, SentencePieceConfig]
# 🤗's name of each tokenizer model, as tokenizer.json's model.type spells it.
MODEL_TYPES = {WordPieceConfig: "WordPiece", SentencePieceConfig: "Unigram"}


def config_to_dict(config: TokenizerConfig) -> dict:
    """The config as JSON values, with its model type (for a Keras layer's `get_config`)."""
    return {"model_type": MODEL_TYPES[type(config)], **dataclasses.asdict(config)}


def config_from_dict(values: dict) -> TokenizerConfig:
    """The inverse of `config_to_dict`, also after a JSON round trip (tuples read as lists)."""
    values = dict(values)
    model_type = values.pop("model_type")
    config_class = next(cls for cls, name in MODEL_TYPES.items() if name == model_type)
    for name, convert in _FROM_JSON.items():
        if values.get(name) is not None:
            values[name] = convert(values[name])
    return config_class(**values)


def _template_from_json(template) -> Template:
    return tuple((piece if isinstance(piece, str) else tuple(piece), type_id)
                 for piece, type_id in template)


_FROM_JSON = {
    "pieces": lambda pieces: tuple((piece, score) for piece, score in pieces),
    "model_input_names": tuple,
    "single_template": _template_from_json,
    "pair_template": _template_from_json,
    "added_tokens": lambda tokens: tuple(AddedToken(*token) for token in tokens),
}


def _bert_templates(cls_id: int, sep_id: int) -> Tuple[Template, Template]:
    cls, sep = (cls_id,), (sep_id,)
    return (((cls, 0), ("A", 0), (sep, 0)),
            ((cls, 0), ("A", 0), (sep, 0), ("B", 1), (sep, 1)))


def _token_id(ids: Dict[str, int], token: str) -> int:
    try:
        return ids[token]
    except KeyError:
        raise TokenizerFilesError(f"Special token {token!r} is not in the vocabulary.") from None


def _vocab_by_id(token_to_id: Dict[str, int]) -> List[str]:
    """Token per id. Ids no token maps to (a vocab.txt with duplicate lines leaves such gaps)
    get a placeholder that no text can produce, so every other id stays where 🤗 has it."""
    vocab = [f"[tfx-hf-unused-id-{i}]" for i in range(max(token_to_id.values()) + 1)]
    for token, i in token_to_id.items():
        vocab[i] = token
    return vocab


def _read_json(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _templates(tokenizer_json: str, post_processor: Optional[dict]):
    """(single, pair) templates of a TemplateProcessing or BertProcessing post-processor, or
    (None, None) for the default."""
    if not post_processor:
        return None, None
    kind = post_processor.get("type")
    if kind == "TemplateProcessing":
        specials = {name: tuple(spec["ids"])
                    for name, spec in post_processor.get("special_tokens", {}).items()}

        def template(pieces):
            out = []
            for piece in pieces:
                if "Sequence" in piece:
                    out.append((piece["Sequence"]["id"], piece["Sequence"].get("type_id", 0)))
                else:
                    token = piece["SpecialToken"]
                    out.append((specials[token["id"]], token.get("type_id", 0)))
            return tuple(out)
        return template(post_processor["single"]), template(post_processor["pair"])
    if kind == "BertProcessing":
        (_, sep), (_, cls) = post_processor["sep"], post_processor["cls"]
        return _bert_templates(cls, sep)
    raise TokenizerFilesError(
        f"{tokenizer_json}: post_processor {kind!r} is not supported (TemplateProcessing and "
        "BertProcessing are).")


def _added_tokens(tokenizer_json: str, spec: dict, raw_text_only: bool) -> Tuple[AddedToken, ...]:
    """tokenizer.json's added tokens; with `raw_text_only`, refuses those 🤗 would match in the
    normalized text or with the whitespace around them."""
    tokens = []
    for token in spec.get("added_tokens") or []:
        added = AddedToken(token["content"], token["id"], bool(token.get("lstrip")),
                           bool(token.get("rstrip")), bool(token.get("normalized")))
        if token.get("single_word"):
            raise TokenizerFilesError(
                f"{tokenizer_json}: added token {added.content!r} has single_word set; in-graph "
                "tokenization does not support that.")
        if raw_text_only and (added.lstrip or added.rstrip or added.normalized):
            raise TokenizerFilesError(
                f"{tokenizer_json}: added token {added.content!r} has normalized/lstrip/rstrip "
                "set; in-graph tokenization supports only raw-text added tokens for this model.")
        tokens.append(added)
    return tuple(tokens)


def _model_input_names(tokenizer_config: dict, pair_template) -> tuple:
    """The names 🤗's tokenizer class returns: token_type_ids only for the models that take
    them (ALBERT does, T5 and XLM-R do not)."""
    names = tokenizer_config.get("model_input_names")
    if names:
        return tuple(names)
    try:
        import transformers
        return tuple(getattr(transformers, tokenizer_config["tokenizer_class"]).model_input_names)
    except (ImportError, KeyError, AttributeError, TypeError):
        # Without transformers: token_type_ids when the pair template sets a type id.
        uses_types = any(type_id for _, type_id in pair_template or ())
        return ("input_ids", "token_type_ids", "attention_mask") if uses_types else \
            ("input_ids", "attention_mask")


def _special(config: dict, key: str, default: str) -> str:
    value = config.get(key, default)
    return value.get("content", default) if isinstance(value, dict) else (value or default)


def _sentencepiece_config(tokenizer_json: str, spec: dict, tokenizer_config: dict,
                          model_max_length: Optional[int]) -> SentencePieceConfig:
    model = spec["model"]
    if model.get("byte_fallback"):
        raise TokenizerFilesError(
            f"{tokenizer_json}: a Unigram model with byte_fallback is not supported in-graph.")
    pre_tokenizer = spec.get("pre_tokenizer") or {}
    if pre_tokenizer.get("type") != "Metaspace":
        raise TokenizerFilesError(
            f"{tokenizer_json}: pre_tokenizer {pre_tokenizer.get('type')!r} is not supported "
            "with a Unigram model (Metaspace is).")
    single, pair = _templates(tokenizer_json, spec.get("post_processor"))
    if single is None:
        raise TokenizerFilesError(
            f"{tokenizer_json}: a Unigram tokenizer needs a TemplateProcessing post_processor.")
    if model.get("unk_id") is None:
        raise TokenizerFilesError(f"{tokenizer_json}: a Unigram model without unk_id is not "
                                  "supported in-graph.")
    pieces = tuple((piece, float(score)) for piece, score in model["vocab"])
    added = _added_tokens(tokenizer_json, spec, raw_text_only=False)
    vocab = [piece for piece, _ in pieces]
    vocab += [f"[tfx-hf-unused-id-{i}]" for i in range(
        len(vocab), max([token.id for token in added], default=-1) + 1)]
    for token in added:
        vocab[token.id] = token.content
    return SentencePieceConfig(
        pieces=pieces, unk_id=model["unk_id"], vocab=vocab,
        normalizer=spec.get("normalizer"),
        replacement=pre_tokenizer.get("replacement", "\u2581"),
        prepend_scheme=pre_tokenizer.get(
            "prepend_scheme", "always" if pre_tokenizer.get("add_prefix_space", True) else "never"),
        split=pre_tokenizer.get("split", True),
        pad_token=_special(tokenizer_config, "pad_token", "<pad>"),
        model_max_length=model_max_length,
        model_input_names=_model_input_names(tokenizer_config, pair),
        single_template=single, pair_template=pair, added_tokens=added)


def _wordpiece_config(tokenizer_json: str, spec: dict, tokenizer_config: dict,
                      model_max_length: Optional[int]) -> WordPieceConfig:
    model = spec["model"]
    pre_tokenizer = spec.get("pre_tokenizer") or {}
    if pre_tokenizer and pre_tokenizer.get("type") != "BertPreTokenizer":
        raise TokenizerFilesError(
            f"{tokenizer_json}: pre_tokenizer {pre_tokenizer.get('type')!r} is not "
            "supported (BertPreTokenizer is).")
    normalizer = spec.get("normalizer") or {}
    if normalizer and normalizer.get("type") != "BertNormalizer":
        raise TokenizerFilesError(
            f"{tokenizer_json}: normalizer {normalizer.get('type')!r} is not supported "
            "(BertNormalizer is).")
    single, pair = _templates(tokenizer_json, spec.get("post_processor"))
    names = tokenizer_config.get("model_input_names")
    return WordPieceConfig(
        vocab=_vocab_by_id(model["vocab"]),
        unk_token=model.get("unk_token", "[UNK]"),
        cls_token=_special(tokenizer_config, "cls_token", "[CLS]"),
        sep_token=_special(tokenizer_config, "sep_token", "[SEP]"),
        pad_token=_special(tokenizer_config, "pad_token", "[PAD]"),
        continuing_subword_prefix=model.get("continuing_subword_prefix", "##"),
        max_input_chars_per_word=model.get("max_input_chars_per_word", 100),
        lowercase=normalizer.get("lowercase", False),
        strip_accents=normalizer.get("strip_accents"),
        clean_text=normalizer.get("clean_text", True),
        handle_chinese_chars=normalizer.get("handle_chinese_chars", True),
        model_max_length=model_max_length,
        model_input_names=tuple(names) if names else WordPieceConfig.model_input_names,
        single_template=single, pair_template=pair,
        added_tokens=_added_tokens(tokenizer_json, spec, raw_text_only=True))


# tokenizer.json's model.type -> the reader of its options.
_TOKENIZER_JSON_READERS = {"WordPiece": _wordpiece_config, "Unigram": _sentencepiece_config}


def _config_from_tokenizer_json(tokenizer_json: str, tokenizer_config: dict,
                                model_max_length: Optional[int]) -> TokenizerConfig:
    spec = _read_json(tokenizer_json)
    model_type = (spec.get("model") or {}).get("type")
    if model_type not in _TOKENIZER_JSON_READERS:
        raise TokenizerFilesError(
            f"{tokenizer_json} describes a {model_type!r} tokenizer; in-graph "
            "tokenization supports WordPiece (BERT, DistilBERT, ELECTRA, MiniLM) and "
            "SentencePiece Unigram (ALBERT, T5, XLM-R) so far; byte-level BPE (GPT-2, "
            "RoBERTa, Llama) is not supported.")
    return _TOKENIZER_JSON_READERS[model_type](tokenizer_json, spec, tokenizer_config,
                                               model_max_length)


def _config_from_vocab_txt(vocab_txt: str, tokenizer_config: dict,
                           model_max_length: Optional[int]) -> WordPieceConfig:
    """A WordPiece config as 🤗 converts a slow BERT tokenizer (vocab.txt and its options)."""
    with open(vocab_txt, encoding="utf-8") as f:
        vocab = [line.rstrip("\n") for line in f]
    specials = dict.fromkeys(_special(tokenizer_config, key, default) for key, default in [
        ("pad_token", "[PAD]"), ("unk_token", "[UNK]"), ("cls_token", "[CLS]"),
        ("sep_token", "[SEP]"), ("mask_token", "[MASK]")])
    names = tokenizer_config.get("model_input_names")
    return WordPieceConfig(
        vocab=vocab,
        unk_token=_special(tokenizer_config, "unk_token", "[UNK]"),
        cls_token=_special(tokenizer_config, "cls_token", "[CLS]"),
        sep_token=_special(tokenizer_config, "sep_token", "[SEP]"),
        pad_token=_special(tokenizer_config, "pad_token", "[PAD]"),
        lowercase=tokenizer_config.get("do_lower_case", True),
        strip_accents=tokenizer_config.get("strip_accents"),
        handle_chinese_chars=tokenizer_config.get("tokenize_chinese_chars", True),
        model_max_length=model_max_length,
        model_input_names=tuple(names) if names else WordPieceConfig.model_input_names,
        # 🤗's conversion makes the special tokens raw-text added tokens.
        added_tokens=tuple(AddedToken(token, vocab.index(token)) for token in specials
                           if token in vocab))


def _model_max_length(tokenizer_config: dict) -> Optional[int]:
    model_max_length = tokenizer_config.get("model_max_length")
    if model_max_length is not None and model_max_length > 1_000_000:
        return None  # 🤗's "no limit" sentinel (int(1e30))
    return model_max_length


TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "vocab.txt",
                   "special_tokens_map.json"]
SENTENCEPIECE_FILES = ("spiece.model", "sentencepiece.bpe.model", "tokenizer.model")


def tokenizer_folder(name_or_path: str) -> str:
    """A local folder with the tokenizer files: the path itself, or for a Hub id the files
    fetched into (or found offline in) the 🤗 cache. A token comes from HF_TOKEN, never from
    pipeline properties."""
    if is_local_path(name_or_path):
        if not os.path.isdir(name_or_path):
            raise TokenizerFilesError(f"Checkpoint {name_or_path!r} is not a folder.")
        return name_or_path
    from huggingface_hub import snapshot_download
    try:
        return snapshot_download(name_or_path, allow_patterns=TOKENIZER_FILES)
    except Exception as e:  # offline and not cached, unknown repo, no access
        raise TokenizerFilesError(
            f"Could not get the tokenizer files of Hub checkpoint {name_or_path!r} ({e}). "
            "Check the id and access (HF_TOKEN), or pass a local folder.") from e


def _missing_tokenizer_files(checkpoint: str) -> TokenizerFilesError:
    for name in SENTENCEPIECE_FILES:
        if os.path.isfile(os.path.join(checkpoint, name)):
            return TokenizerFilesError(
                f"Checkpoint {checkpoint!r} has a SentencePiece model ({name}) but no "
                "tokenizer.json: save the fast tokenizer there with `AutoTokenizer."
                "from_pretrained(...).save_pretrained(dir)` (it writes tokenizer.json).")
    return TokenizerFilesError(
        f"Checkpoint {checkpoint!r} has no tokenizer files: expected tokenizer.json or "
        "vocab.txt (with tokenizer_config.json). Save the tokenizer there with "
        "`AutoTokenizer.from_pretrained(...).save_pretrained(dir)`.")


def read_tokenizer_config(name_or_path: str) -> TokenizerConfig:
    """The tokenizer options of a checkpoint (folder or Hub id): from its tokenizer.json, or
    its vocab.txt; fails naming what is missing or which tokenizer type is not supported."""
    checkpoint = tokenizer_folder(name_or_path)
    config_path = os.path.join(checkpoint, "tokenizer_config.json")
    tokenizer_config = _read_json(config_path) if os.path.isfile(config_path) else {}
    model_max_length = _model_max_length(tokenizer_config)
    tokenizer_json = os.path.join(checkpoint, "tokenizer.json")
    if os.path.isfile(tokenizer_json):
        return _config_from_tokenizer_json(tokenizer_json, tokenizer_config, model_max_length)
    vocab_txt = os.path.join(checkpoint, "vocab.txt")
    if os.path.isfile(vocab_txt):
        return _config_from_vocab_txt(vocab_txt, tokenizer_config, model_max_length)
    raise _missing_tokenizer_files(checkpoint)
