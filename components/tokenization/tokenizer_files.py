"""Reads a checkpoint's tokenizer files (`tokenizer.json`, or `vocab.txt` with
`tokenizer_config.json`) into the options an in-graph tokenizer needs: a WordPiece (BERT family),
a SentencePiece Unigram (ALBERT, T5, XLM-R) or a byte-level BPE (GPT-2, RoBERTa, BART, DeBERTa v1,
Longformer) tokenizer. No TensorFlow here."""
import dataclasses
import functools
import json
import os
from typing import Dict, List, NamedTuple, Optional, Tuple, Union

from tfx_hf.components.hub_paths import is_local_path
from tfx_hf.components.input_error import InputError
from tfx_hf.components.tokenization.tokenizer_config_overrides import (apply_overrides,
                                                                       tokenizer_class)


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


class _TokenIds:
    """Token → id of a tokenizer config: its vocabulary's (a list by id, or a dict), then its
    added tokens'."""

    def token_id(self, token: str) -> int:
        return _token_id(self._ids, token)

    @functools.cached_property
    def _ids(self) -> Dict[str, int]:
        vocab = self.vocab
        ids = dict(vocab) if isinstance(vocab, dict) else {t: i for i, t in enumerate(vocab)}
        ids.update((token.content, token.id) for token in self.added_tokens)
        return ids


@dataclasses.dataclass(frozen=True)
class WordPieceConfig(_TokenIds):
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



@dataclasses.dataclass(frozen=True)
class SentencePieceConfig(_TokenIds):
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


@dataclasses.dataclass(frozen=True)
class ByteLevelBPEConfig(_TokenIds):
    """A byte-level BPE tokenizer (ByteLevel pre-tokenizer, BPE model) as 🤗's tokenizer.json
    describes it; no normalizer."""
    vocab: Dict[str, int]  # the BPE model's vocabulary
    merges: Tuple[Tuple[str, str], ...]  # by rank
    unk_token: Optional[str] = None
    fuse_unk: bool = False
    continuing_subword_prefix: str = ""
    end_of_word_suffix: str = ""
    ignore_merges: bool = False  # a word that is a token is that token, merges or not
    add_prefix_space: bool = False  # ByteLevel pre-tokenizer options
    use_regex: bool = True
    # The post-processor's offset trimming (RobertaProcessing's or ByteLevel's trim_offsets,
    # and the add_prefix_space it trims with).
    trim_offsets: bool = False
    trim_offsets_add_prefix_space: bool = False
    pad_token: str = "<pad>"
    model_max_length: Optional[int] = None
    model_input_names: tuple = ("input_ids", "attention_mask")
    # None: no special tokens (ByteLevel's post-processor, or none): A, and A B with type 1.
    single_template: Optional[Template] = None
    pair_template: Optional[Template] = None
    added_tokens: Tuple[AddedToken, ...] = ()

    def templates(self) -> Tuple[Template, Template]:
        if self.single_template is not None:
            return self.single_template, self.pair_template
        return (("A", 0),), (("A", 0), ("B", 1))



TokenizerConfig = Union[WordPieceConfig, SentencePieceConfig, ByteLevelBPEConfig]
# 🤗's name of each tokenizer model, as tokenizer.json's model.type spells it.
MODEL_TYPES = {WordPieceConfig: "WordPiece", SentencePieceConfig: "Unigram",
               ByteLevelBPEConfig: "BPE"}


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
    "merges": lambda merges: tuple((left, right) for left, right in merges),
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
    """(single, pair) templates of a TemplateProcessing, BertProcessing or RobertaProcessing
    post-processor, or (None, None) for the default. A ByteLevel post-processor adds no tokens
    (it only trims offsets): alone it is the default, in a Sequence it is skipped."""
    if not post_processor:
        return None, None
    kind = post_processor.get("type")
    if kind == "ByteLevel":
        return None, None
    if kind == "Sequence":
        adding = [p for p in post_processor.get("processors") or []
                  if (p or {}).get("type") != "ByteLevel"]
        if len(adding) > 1:
            raise TokenizerFilesError(
                f"{tokenizer_json}: a Sequence post_processor with "
                f"{[p.get('type') for p in adding]} is not supported (at most one besides "
                "ByteLevel).")
        return _templates(tokenizer_json, adding[0] if adding else None)
    if kind == "RobertaProcessing":
        # <s> A </s> and <s> A </s></s> B </s>, every type id 0.
        (_, sep), (_, cls) = post_processor["sep"], post_processor["cls"]
        return (((cls,), 0), ("A", 0), ((sep,), 0)), \
            (((cls,), 0), ("A", 0), ((sep, sep), 0), ("B", 0), ((sep,), 0))
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
        f"{tokenizer_json}: post_processor {kind!r} is not supported (TemplateProcessing, "
        "BertProcessing, RobertaProcessing and ByteLevel are).")


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


# The split regex of GPT-2 (ByteLevel's own with use_regex), as a Split pre-tokenizer spells it.
GPT2_SPLIT_PATTERN = (r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|"
                      r"\s+(?!\S)|\s+")


def _byte_level_pre_tokenizer(tokenizer_json: str, pre_tokenizer: dict) -> dict:
    """The ByteLevel pre-tokenizer's options: ByteLevel itself, or a Sequence of a Split by the
    GPT-2 regex (isolated) and a ByteLevel without regex or prefix space, which splits alike."""
    kind = pre_tokenizer.get("type")
    steps = (pre_tokenizer.get("pretokenizers") or []) if kind == "Sequence" else [pre_tokenizer]
    if len(steps) == 1 and steps[0].get("type") == "ByteLevel":
        return steps[0]
    if [step.get("type") for step in steps] == ["Split", "ByteLevel"]:
        split, byte_level = steps
        pattern = split.get("pattern") or {}
        if pattern.get("Regex", pattern.get("String")) != GPT2_SPLIT_PATTERN or \
                split.get("behavior") != "Isolated" or split.get("invert"):
            raise TokenizerFilesError(
                f"{tokenizer_json}: Split pre-tokenizer {pattern} (behavior "
                f"{split.get('behavior')!r}, invert {split.get('invert')!r}) is not supported; "
                "in-graph byte-level BPE supports GPT-2's split regex, isolated.")
        if byte_level.get("add_prefix_space") or byte_level.get("use_regex", True):
            raise TokenizerFilesError(
                f"{tokenizer_json}: a ByteLevel pre-tokenizer after a Split must have "
                "add_prefix_space and use_regex off to be supported in-graph.")
        return {**byte_level, "use_regex": True}
    listed = f" ({[step.get('type') for step in steps]})" if kind == "Sequence" else ""
    raise TokenizerFilesError(
        f"{tokenizer_json}: pre_tokenizer {kind!r}{listed} is not supported with a BPE model; "
        "in-graph BPE supports the ByteLevel pre-tokenizer (GPT-2, RoBERTa, BART).")


def _offset_trimming(post_processor: Optional[dict]) -> Tuple[bool, bool]:
    """(trim_offsets, add_prefix_space) of the post-processor that trims offsets, if any."""
    post_processor = post_processor or {}
    steps = (post_processor.get("processors") or []) if \
        post_processor.get("type") == "Sequence" else [post_processor]
    for step in steps:
        if step.get("type") in ("RobertaProcessing", "ByteLevel"):
            return (bool(step.get("trim_offsets", True)),
                    bool(step.get("add_prefix_space", True)))
    return False, False


def _merges(merges) -> Tuple[Tuple[str, str], ...]:
    """tokenizer.json's merges: "a b" strings (older files) or [a, b] pairs."""
    pairs = []
    for merge in merges:
        pair = merge.split(" ") if isinstance(merge, str) else merge
        if len(pair) != 2:
            raise TokenizerFilesError(f"BPE merge {merge!r} is not a pair of tokens.")
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def _pad_token(tokenizer_json: str, tokenizer_config: dict) -> Optional[str]:
    """The pad token as transformers finds it: tokenizer_config.json, special_tokens_map.json,
    else the default of the tokenizer class (RoBERTa's "<pad>", DeBERTa's "[PAD]"; GPT-2 has
    none). Hub checkpoints such as roberta-base name no special tokens in their files."""
    def content(value):
        return value.get("content") if isinstance(value, dict) else value

    if content(tokenizer_config.get("pad_token")):
        return content(tokenizer_config["pad_token"])
    special_tokens_map = os.path.join(os.path.dirname(tokenizer_json), "special_tokens_map.json")
    if os.path.isfile(special_tokens_map):
        pad_token = content(_read_json(special_tokens_map).get("pad_token"))
        if pad_token:
            return pad_token
    if "pad_token" in tokenizer_config:  # set to null on purpose
        return None
    try:
        import inspect

        import transformers
        tokenizer_class = getattr(transformers, tokenizer_config["tokenizer_class"])
        default = inspect.signature(tokenizer_class.__init__).parameters["pad_token"].default
        return default if isinstance(default, str) else None
    except (ImportError, KeyError, AttributeError, TypeError):
        return None


def _byte_level_bpe_config(tokenizer_json: str, spec: dict, tokenizer_config: dict,
                           model_max_length: Optional[int]) -> ByteLevelBPEConfig:
    model = spec["model"]
    if model.get("byte_fallback"):
        raise TokenizerFilesError(
            f"{tokenizer_json}: a BPE model with byte_fallback=True (Llama/Mistral-style "
            "SentencePiece BPE) is not supported in-graph; byte-level BPE is.")
    if model.get("dropout"):
        raise TokenizerFilesError(
            f"{tokenizer_json}: BPE dropout={model['dropout']} makes tokenization random; "
            "in-graph BPE needs dropout=None.")
    normalizer = spec.get("normalizer")
    if normalizer and not (normalizer.get("type") == "Sequence"
                           and not normalizer.get("normalizers")):
        raise TokenizerFilesError(
            f"{tokenizer_json}: normalizer {normalizer.get('type')!r} is not supported with a "
            "BPE model (byte-level BPE has none).")
    pre_tokenizer = _byte_level_pre_tokenizer(tokenizer_json, spec.get("pre_tokenizer") or {})
    single, pair = _templates(tokenizer_json, spec.get("post_processor"))
    trim_offsets, trim_add_prefix_space = _offset_trimming(spec.get("post_processor"))
    added = _added_tokens(tokenizer_json, spec, raw_text_only=False)
    pad_token = _pad_token(tokenizer_json, tokenizer_config)
    if not pad_token:
        raise TokenizerFilesError(
            f"{tokenizer_json}: the tokenizer has no pad_token (GPT-2 has none), so inputs "
            "cannot be padded; set one and save it, e.g. `tokenizer.pad_token = "
            "tokenizer.eos_token; tokenizer.save_pretrained(dir)`.")
    return ByteLevelBPEConfig(
        vocab=dict(model["vocab"]), merges=_merges(model.get("merges") or []),
        unk_token=model.get("unk_token"), fuse_unk=bool(model.get("fuse_unk")),
        continuing_subword_prefix=model.get("continuing_subword_prefix") or "",
        end_of_word_suffix=model.get("end_of_word_suffix") or "",
        ignore_merges=bool(model.get("ignore_merges")),
        add_prefix_space=bool(pre_tokenizer.get("add_prefix_space", True)),
        use_regex=bool(pre_tokenizer.get("use_regex", True)),
        trim_offsets=trim_offsets, trim_offsets_add_prefix_space=trim_add_prefix_space,
        pad_token=pad_token, model_max_length=model_max_length,
        model_input_names=_model_input_names(tokenizer_config, pair),
        single_template=single, pair_template=pair, added_tokens=added)


# tokenizer.json's model.type -> the reader of its options.
_TOKENIZER_JSON_READERS = {"WordPiece": _wordpiece_config, "Unigram": _sentencepiece_config,
                           "BPE": _byte_level_bpe_config}


def _config_from_tokenizer_json(tokenizer_json: str, tokenizer_config: dict,
                                model_max_length: Optional[int]) -> TokenizerConfig:
    # As AutoTokenizer builds it: tokenizer.json with the tokenizer class's rewrites from
    # tokenizer_config.json (tokenizer_config_overrides.py).
    spec = apply_overrides(_read_json(tokenizer_json), tokenizer_config, tokenizer_class(
        os.path.dirname(tokenizer_json), tokenizer_config))
    model_type = (spec.get("model") or {}).get("type")
    if model_type not in _TOKENIZER_JSON_READERS:
        raise TokenizerFilesError(
            f"{tokenizer_json} describes a {model_type!r} tokenizer; in-graph "
            "tokenization supports WordPiece (BERT, DistilBERT, ELECTRA, MiniLM), "
            "SentencePiece Unigram (ALBERT, T5, XLM-R) and byte-level BPE (GPT-2, RoBERTa, "
            "BART, DeBERTa v1, Longformer).")
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
