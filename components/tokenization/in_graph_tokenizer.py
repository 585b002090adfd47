"""InGraphTokenizer: a checkpoint's tokenizer as a Keras layer of TF ops.

Built from the checkpoint's own files, it returns what the 🤗 fast tokenizer returns for
`tokenizer(texts, text_pairs, padding=..., truncation=..., max_length=...)`, as int64 tensors.
It runs in two parts, as KerasHub's tokenizer + `MultiSegmentPacker` do:
  - an encoder per tokenizer family (`wordpiece.py`, `sentencepiece_unigram.py`,
    `byte_level_bpe.py`) turns texts into ids with 🤗's normalization, pre-tokenization and
    model, after the added (special) tokens are found in the raw or normalized text
    (`added_tokens.py`);
  - one packer (`packer.py`) applies the truncation strategy, the post-processor's template
    and padding.
The vocabulary, the SentencePiece model, the BPE merges and the Unicode tables are compiled
into the graph as constants (no file paths), so a SavedModel or tf.Transform graph that calls
it needs only tensorflow and tensorflow-text to load.

Input bytes that are not valid UTF-8 are read as U+FFFD (what 🤗 gets from Python's
`bytes.decode("utf-8", errors="replace")`), never an error.
"""
from typing import Dict, Optional, Union

import tensorflow as tf

from tfx_hf.components.input_error import InputError
from tfx_hf.components.tokenization.added_tokens import (
    encode_with_added_tokens, encode_with_offsets)
from tfx_hf.components.tokenization.byte_level_bpe import ByteLevelBPE
from tfx_hf.components.tokenization.packer import SegmentPacker
from tfx_hf.components.tokenization.sentencepiece_unigram import SentencePieceUnigram
from tfx_hf.components.tokenization.truncation_prefix import can_cut, encode_kept
from tfx_hf.components.tokenization.tokenizer_files import (
    MODEL_TYPES, ByteLevelBPEConfig, SentencePieceConfig, TokenizerConfig, WordPieceConfig,
    config_from_dict, config_to_dict, read_tokenizer_config)
from tfx_hf.components.tokenization.wordpiece import BertWordPiece

# The encoder of each tokenizer family: a tf.Module built from its config, called on
# ([n] strings, optionally which of them begin their input) -> [n, (ids)] int64 without
# special tokens; one whose added tokens can be `normalized` also has `normalize` and
# `tokenize_normalized` (the two halves of its call); one that gives offsets has
# `encode_with_offsets` (and `trim_offsets` where the post-processor trims them).
ENCODERS = {WordPieceConfig: BertWordPiece, SentencePieceConfig: SentencePieceUnigram,
            ByteLevelBPEConfig: ByteLevelBPE}


class InGraphTokenizer(tf.keras.layers.Layer):
    """Tokenizes a `[batch]` string tensor (and optionally a second one of text pairs) into
    `input_ids`, `attention_mask` and, when the model takes them, `token_type_ids`.

    Options are named as 🤗's tokenizer call names them: `max_length` (default: the
    checkpoint's `model_max_length`), `padding` ("max_length" or "longest"), `truncation`
    (True, "longest_first", "only_first" or "only_second"), `pad_to_multiple_of`, and
    `return_offsets_mapping` (also `offset_mapping`: [batch, width, 2] int64, each token's
    (start, end) code point range in its text, (0, 0) for special and padding tokens).

    `return_overflowing_tokens=True` with `stride`: every window of a text longer than
    max_length, as 🤗's `tokenizer(text, truncation=True, max_length=L, stride=S,
    return_overflowing_tokens=True)` returns them (windows.py): one row per window, plus
    `overflow_to_sample_mapping` ([windows] int64: the text of each row) and `num_windows`
    ([batch] int64: each text's windows before the cap). A text pair is cut to windows of its
    second text (`truncation="only_second"`, as 🤗) or its first (`"only_first"`).
    `max_windows` keeps the first windows of each text only (`num_windows` counts them all)."""

    def __init__(self, tokenizer_config: TokenizerConfig, max_length: Optional[int] = None,
                 padding: str = "max_length", truncation: Union[bool, str] = True,
                 pad_to_multiple_of: Optional[int] = None, return_offsets_mapping: bool = False,
                 return_overflowing_tokens: bool = False, stride: int = 0,
                 max_windows: Optional[int] = None, **kwargs):
        super().__init__(**kwargs)
        max_length = max_length or tokenizer_config.model_max_length
        if max_length and tokenizer_config.model_max_length and \
                max_length > tokenizer_config.model_max_length:
            raise InputError(f"max_length={max_length} exceeds the checkpoint's "
                             f"model_max_length={tokenizer_config.model_max_length}.")
        self.tokenizer_config = tokenizer_config
        self.encoder = ENCODERS[type(tokenizer_config)](tokenizer_config)
        if return_offsets_mapping and not hasattr(self.encoder, "encode_with_offsets"):
            raise InputError(
                "return_offsets_mapping=True is supported for WordPiece, Unigram and byte-level "
                f"BPE tokenizers, not for {MODEL_TYPES[type(tokenizer_config)]}.")
        if return_offsets_mapping and getattr(self.encoder, "offsets_refusal", None):
            raise InputError(self.encoder.offsets_refusal)
        self.return_offsets_mapping = return_offsets_mapping
        single_template, pair_template = tokenizer_config.templates()
        self.packer = SegmentPacker(
            single_template, pair_template, max_length=max_length,
            pad_id=tokenizer_config.token_id(tokenizer_config.pad_token), padding=padding,
            truncation=truncation, pad_to_multiple_of=pad_to_multiple_of,
            return_overflowing_tokens=return_overflowing_tokens, stride=stride,
            max_windows=max_windows)

    @classmethod
    def from_pretrained(cls, name_or_path: str, **options) -> "InGraphTokenizer":
        """The tokenizer of a checkpoint (a local folder or a Hub id), with `options` as for
        the constructor."""
        return cls(read_tokenizer_config(name_or_path), **options)

    def encode(self, text) -> tf.RaggedTensor:
        """[batch] strings -> [batch, (ids)] int64, without the special tokens of the
        template (added tokens in the text do become their ids)."""
        text = tf.convert_to_tensor(text, dtype=tf.string)
        return encode_with_added_tokens(self.encoder, text, self.tokenizer_config.added_tokens)

    def encode_with_offsets(self, text):
        """([batch, (ids)], [batch, (starts)], [batch, (ends)]): `encode`, with each token's
        code point range in its text, as the post-processor leaves it (trim_offsets)."""
        text = tf.convert_to_tensor(text, dtype=tf.string)
        config = self.tokenizer_config
        ids, starts, ends = encode_with_offsets(
            self.encoder, text, config.added_tokens,
            trim_offsets=getattr(config, "trim_offsets", False),  # BPE's post-processor's
            keep_prefix_space=getattr(config, "trim_offsets_add_prefix_space", False))
        if hasattr(self.encoder, "trim_offsets"):  # the post-processor's, for BPE
            starts, ends = self.encoder.trim_offsets(ids, starts, ends)
        return ids, starts, ends

    def _truncated(self, n_texts: int) -> tuple:
        """Which of `n_texts` texts truncation cuts to at most max_length tokens, so that
        only their first tokens need encoding (truncation_prefix.py): a single text; of a
        pair, the one `only_first`/`only_second` names (`longest_first` compares the whole
        lengths). Neither with windows, which need every token."""
        packer = self.packer
        if packer.return_overflowing_tokens or not can_cut(
                self.encoder, self.tokenizer_config.added_tokens):
            return (False,) * n_texts
        if n_texts == 1:
            return (True,)
        return (packer.truncation == "only_first", packer.truncation == "only_second")

    def call(self, text, text_pair=None) -> Dict[str, tf.Tensor]:
        texts = [text] if text_pair is None else [text, text_pair]
        encode = self.encode_with_offsets if self.return_offsets_mapping else self.encode
        encoded = [encode_kept(encode, tf.convert_to_tensor(t, tf.string),
                               self.packer.max_length) if cut else encode(t)
                   for t, cut in zip(texts, self._truncated(len(texts)))]
        if self.return_offsets_mapping:
            outputs = self.packer([ids for ids, _, _ in encoded],
                                  offsets=[offsets for _, *offsets in encoded])
        else:
            outputs = self.packer(encoded)
        names = self.tokenizer_config.model_input_names + (
            ("offset_mapping",) if self.return_offsets_mapping else ()) + (
            ("overflow_to_sample_mapping", "num_windows")
            if self.packer.return_overflowing_tokens else ())
        return {name: outputs[name] for name in outputs if name in names}

    def get_config(self) -> dict:
        """JSON values only: the tokenizer's whole config (vocabulary included, as KerasHub's
        and 🤗's TF tokenizers keep it) and the packing options."""
        return {
            **super().get_config(),
            "tokenizer_config": config_to_dict(self.tokenizer_config),
            "max_length": self.packer.max_length,
            "padding": self.packer.padding,
            "truncation": self.packer.truncation,
            "pad_to_multiple_of": self.packer.pad_to_multiple_of,
            "return_offsets_mapping": self.return_offsets_mapping,
            "return_overflowing_tokens": self.packer.return_overflowing_tokens,
            "stride": self.packer.stride,
            "max_windows": self.packer.max_windows,
        }

    @classmethod
    def from_config(cls, config: dict) -> "InGraphTokenizer":
        config = dict(config)
        return cls(config_from_dict(config.pop("tokenizer_config")), **config)
