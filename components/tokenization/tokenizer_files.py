"""Reads a checkpoint's tokenizer files (`tokenizer.json`, or `vocab.txt` with
`tokenizer_config.json`) into the options an in-graph tokenizer needs: a WordPiece (BERT family)
or a SentencePiece Unigram (ALBERT, T5, XLM-R) tokenizer. No TensorFlow here."""
import dataclasses
import functools
import json
import os
from typing import Dict, List, Optional, Union

from tfx_hf.components.input_error import InputError


class TokenizerFilesError(InputError):
    """The checkpoint has no usable tokenizer files, or a tokenizer type we do not support."""


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
    # The post-processor as templates: ("A"|"B", type_id) for a sequence, or (ids, type_id)
    # for a special token. None: BERT's [CLS] A [SEP] (B [SEP]), as 🤗 converts vocab.txt.
    single_template: Optional[tuple] = None
    pair_template: Optional[tuple] = None
    # Added tokens matched in the raw text before normalization, as 🤗 does: (content, id).
    added_tokens: tuple = ()

    def templates(self):
        """(single, pair) templates, defaulting to BERT's."""
        if self.single_template is not None:
            return self.single_template, self.pair_template
        cls, sep = (self.token_id(self.cls_token),), (self.token_id(self.sep_token),)
        return (((cls, 0), ("A", 0), (sep, 0)),
                ((cls, 0), ("A", 0), (sep, 0), ("B", 1), (sep, 1)))

    def token_id(self, token: str) -> int:
        return _token_id(self._ids, token)

    @functools.cached_property
    def _ids(self) -> Dict[str, int]:
        return {t: i for i, t in enumerate(self.vocab)}


def _token_id(ids: Dict[str, int], token: str) -> int:
    try:
        return ids[token]
    except KeyError:
        raise TokenizerFilesError(f"Special token {token!r} is not in the vocabulary.")


@dataclasses.dataclass(frozen=True)
class SentencePieceConfig:
    """A SentencePiece Unigram tokenizer as 🤗's tokenizer.json describes it."""
    pieces: tuple  # (piece, score) of the Unigram model, by id
    unk_id: int
    vocab: List[str]  # token for each id, added tokens included
    normalizer: Optional[dict] = None  # tokenizer.json's normalizer section
    replacement: str = "\u2581"  # Metaspace pre-tokenizer options
    prepend_scheme: str = "always"
    split: bool = True
    pad_token: str = "<pad>"
    model_max_length: Optional[int] = None
    model_input_names: tuple = ("input_ids", "attention_mask")
    single_template: Optional[tuple] = None
    pair_template: Optional[tuple] = None
    # Added tokens 🤗 matches before the model: (content, id, lstrip, rstrip, normalized);
    # `normalized` ones are matched in the normalized text.
    added_tokens: tuple = ()

    def templates(self):
        return self.single_template, self.pair_template

    def token_id(self, token: str) -> int:
        return _token_id(self._ids, token)

    @functools.cached_property
    def _ids(self) -> Dict[str, int]:
        ids = {t: i for i, t in enumerate(self.vocab)}
        ids.update((token[0], token[1]) for token in self.added_tokens)
        return ids


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


def _templates(post_processor: Optional[dict]):
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
        cls, sep = (cls,), (sep,)
        return (((cls, 0), ("A", 0), (sep, 0)),
                ((cls, 0), ("A", 0), (sep, 0), ("B", 1), (sep, 1)))
    raise TokenizerFilesError(
        f"post_processor {kind!r} is not supported (TemplateProcessing and BertProcessing "
        "are).")


def _added_tokens_with_options(spec: dict) -> tuple:
    """All added tokens as (content, id, lstrip, rstrip, normalized)."""
    tokens = []
    for token in spec.get("added_tokens") or []:
        if token.get("single_word"):
            raise TokenizerFilesError(
                f"added token {token.get('content')!r} has single_word set; in-graph "
                "tokenization does not support that.")
        tokens.append((token["content"], token["id"], bool(token.get("lstrip")),
                       bool(token.get("rstrip")), bool(token.get("normalized"))))
    return tuple(tokens)


def _model_input_names(tokenizer_config: dict, pair_template) -> tuple:
    """The names 🤗's tokenizer class returns: token_type_ids only for the models that take
    them (ALBERT does, T5 and XLM-R do not)."""
    names = tokenizer_config.get("model_input_names")
    if names:
        return tuple(names)
    try:
        import transformers  # pylint: disable=g-import-not-at-top
        return tuple(getattr(transformers, tokenizer_config["tokenizer_class"]).model_input_names)
    except (ImportError, KeyError, AttributeError, TypeError):
        # Without transformers: token_type_ids when the pair template sets a type id.
        uses_types = any(type_id for _, type_id in pair_template or ())
        return ("input_ids", "token_type_ids", "attention_mask") if uses_types else \
            ("input_ids", "attention_mask")


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
    single, pair = _templates(spec.get("post_processor"))
    if single is None:
        raise TokenizerFilesError(
            f"{tokenizer_json}: a Unigram tokenizer needs a TemplateProcessing post_processor.")
    if model.get("unk_id") is None:
        raise TokenizerFilesError(f"{tokenizer_json}: a Unigram model without unk_id is not "
                                  "supported in-graph.")
    pieces = tuple((piece, float(score)) for piece, score in model["vocab"])
    added = _added_tokens_with_options(spec)
    vocab = [piece for piece, _ in pieces]
    vocab += [f"[tfx-hf-unused-id-{i}]" for i in range(
        len(vocab), max([i for _, i, *_ in added], default=-1) + 1)]
    for content, i, *_ in added:
        vocab[i] = content
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


def _added_tokens(spec: dict) -> tuple:
    """The added tokens 🤗 matches in the raw text (`normalized: false`). Tokens it would match
    after normalization, or with lstrip/rstrip/single_word, are not supported in-graph."""
    tokens = []
    for token in spec.get("added_tokens") or []:
        if token.get("normalized") or token.get("lstrip") or token.get("rstrip") or \
                token.get("single_word"):
            raise TokenizerFilesError(
                f"added token {token.get('content')!r} has normalized/lstrip/rstrip/single_word "
                "set; in-graph tokenization supports only raw-text added tokens.")
        tokens.append((token["content"], token["id"]))
    return tuple(tokens)


def _special(config: dict, key: str, default: str) -> str:
    value = config.get(key, default)
    return value.get("content", default) if isinstance(value, dict) else (value or default)


TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "vocab.txt",
                   "special_tokens_map.json"]
SENTENCEPIECE_FILES = ("spiece.model", "sentencepiece.bpe.model", "tokenizer.model")


def is_local_path(name_or_path: str) -> bool:
    return os.path.exists(name_or_path) or os.path.isabs(name_or_path) or \
        name_or_path.startswith((".", "~"))


def tokenizer_folder(name_or_path: str) -> str:
    """A local folder with the tokenizer files: the path itself, or for a Hub id the files
    fetched into (or found offline in) the 🤗 cache. A token comes from HF_TOKEN, never from
    pipeline properties."""
    if is_local_path(name_or_path):
        if not os.path.isdir(name_or_path):
            raise TokenizerFilesError(f"Checkpoint {name_or_path!r} is not a folder.")
        return name_or_path
    from huggingface_hub import snapshot_download  # pylint: disable=g-import-not-at-top
    try:
        return snapshot_download(name_or_path, allow_patterns=TOKENIZER_FILES)
    except Exception as e:  # offline and not cached, unknown repo, no access
        raise TokenizerFilesError(
            f"Could not get the tokenizer files of Hub checkpoint {name_or_path!r} ({e}). "
            "Check the id and access (HF_TOKEN), or pass a local folder.") from e


def read_wordpiece_config(name_or_path: str) -> WordPieceConfig:
    """The WordPiece options of a checkpoint (folder or Hub id); fails naming what is missing,
    or when the checkpoint's tokenizer is not WordPiece."""
    config = read_tokenizer_config(name_or_path)
    if not isinstance(config, WordPieceConfig):
        raise TokenizerFilesError(f"Checkpoint {name_or_path!r} has a SentencePiece tokenizer, "
                                  "not WordPiece.")
    return config


def read_tokenizer_config(name_or_path: str) -> Union[WordPieceConfig, SentencePieceConfig]:
    """The tokenizer options of a checkpoint (folder or Hub id); fails naming what is missing
    or which tokenizer type is not supported."""
    checkpoint = tokenizer_folder(name_or_path)
    tokenizer_json = os.path.join(checkpoint, "tokenizer.json")
    vocab_txt = os.path.join(checkpoint, "vocab.txt")
    config_path = os.path.join(checkpoint, "tokenizer_config.json")
    tokenizer_config = _read_json(config_path) if os.path.isfile(config_path) else {}
    model_max_length = tokenizer_config.get("model_max_length")
    if model_max_length is not None and model_max_length > 1_000_000:
        model_max_length = None  # 🤗's "no limit" sentinel (int(1e30))
    names = tokenizer_config.get("model_input_names")

    if os.path.isfile(tokenizer_json):
        spec = _read_json(tokenizer_json)
        model = spec.get("model") or {}
        if model.get("type") == "Unigram":
            return _sentencepiece_config(tokenizer_json, spec, tokenizer_config,
                                         model_max_length)
        if model.get("type") != "WordPiece":
            raise TokenizerFilesError(
                f"{tokenizer_json} describes a {model.get('type')!r} tokenizer; in-graph "
                "tokenization supports WordPiece (BERT, DistilBERT, ELECTRA, MiniLM) and "
                "SentencePiece Unigram (ALBERT, T5, XLM-R) so far; byte-level BPE (GPT-2, "
                "RoBERTa, Llama) is not supported.")
        vocab = _vocab_by_id(model["vocab"])
        pre_tokenizer = spec.get("pre_tokenizer") or {}
        if pre_tokenizer and pre_tokenizer.get("type") != "BertPreTokenizer":
            raise TokenizerFilesError(
                f"{tokenizer_json}: pre_tokenizer {pre_tokenizer.get('type')!r} is not "
                "supported (BertPreTokenizer is).")
        single, pair = _templates(spec.get("post_processor"))
        normalizer = spec.get("normalizer") or {}
        if normalizer and normalizer.get("type") != "BertNormalizer":
            raise TokenizerFilesError(
                f"{tokenizer_json}: normalizer {normalizer.get('type')!r} is not supported "
                "(BertNormalizer is).")
        return WordPieceConfig(
            vocab=vocab,
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
            added_tokens=_added_tokens(spec))
    if os.path.isfile(vocab_txt):
        with open(vocab_txt, encoding="utf-8") as f:
            vocab = [line.rstrip("\n") for line in f]
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
            # 🤗's vocab.txt conversion makes the special tokens raw-text added tokens.
            added_tokens=tuple(
                (token, vocab.index(token)) for token in dict.fromkeys(
                    _special(tokenizer_config, key, default) for key, default in [
                        ("pad_token", "[PAD]"), ("unk_token", "[UNK]"), ("cls_token", "[CLS]"),
                        ("sep_token", "[SEP]"), ("mask_token", "[MASK]")])
                if token in vocab))
    for name in SENTENCEPIECE_FILES:
        if os.path.isfile(os.path.join(checkpoint, name)):
            raise TokenizerFilesError(
                f"Checkpoint {checkpoint!r} has a SentencePiece model ({name}) but no "
                "tokenizer.json: save the fast tokenizer there with `AutoTokenizer."
                "from_pretrained(...).save_pretrained(dir)` (it writes tokenizer.json).")
    raise TokenizerFilesError(
        f"Checkpoint {checkpoint!r} has no tokenizer files: expected tokenizer.json or "
        "vocab.txt (with tokenizer_config.json). Save the tokenizer there with "
        "`AutoTokenizer.from_pretrained(...).save_pretrained(dir)`.")
