"""InGraphTokenizer: a checkpoint's tokenizer as a Keras layer of TF ops.

Built from the checkpoint's own files, it returns what the 🤗 fast tokenizer returns for
`tokenizer(texts, text_pairs, padding=..., truncation=..., max_length=...)`, as int64 tensors.
It runs in two parts, as KerasHub's tokenizer + `MultiSegmentPacker` do:
  - an encoder per tokenizer family (`wordpiece.py`, `sentencepiece_unigram.py`) turns texts
    into ids with 🤗's normalization, pre-tokenization and model, after the added (special)
    tokens are found in the raw or normalized text (`added_tokens.py`);
  - one packer (`packer.py`) applies the truncation strategy, the post-processor's template
    and padding.
The vocabulary, the SentencePiece model and the Unicode tables are compiled into the graph as
constants (no file paths), so a SavedModel or tf.Transform graph that calls it needs only
tensorflow and tensorflow-text to load.

Input bytes that are not valid UTF-8 are read as U+FFFD (what 🤗 gets from Python's
`bytes.decode("utf-8", errors="replace")`), never an error.
"""
from typing import Dict, Optional, Union

import tensorflow as tf

from tfx_hf.components.input_error import InputError
from tfx_hf.components.tokenization.added_tokens import encode_with_added_tokens
from tfx_hf.components.tokenization.packer import SegmentPacker
from tfx_hf.components.tokenization.sentencepiece_unigram import SentencePieceUnigram
from tfx_hf.components.tokenization.tokenizer_files import (
    SentencePieceConfig, TokenizerConfig, WordPieceConfig, config_from_dict, config_to_dict,
    read_tokenizer_config)
from tfx_hf.components.tokenization.wordpiece import BertWordPiece

# The encoder of each tokenizer family: a tf.Module built from its config, called on
# ([n] strings, optionally which of them begin their input) -> [n, (ids)] int64 without
# special tokens; one whose added tokens can be `normalized` also has `normalize` and
# `tokenize_normalized` (the two halves of its call).
ENCODERS = {WordPieceConfig: BertWordPiece, SentencePieceConfig: SentencePieceUnigram}


class InGraphTokenizer(tf.keras.layers.Layer):
    """Tokenizes a `[batch]` string tensor (and optionally a second one of text pairs) into
    `input_ids`, `attention_mask` and, when the model takes them, `token_type_ids`.

    Options are named as 🤗's tokenizer call names them: `max_length` (default: the
    checkpoint's `model_max_length`), `padding` ("max_length" or "longest"), `truncation`
    (True, "longest_first", "only_first" or "only_second") and `pad_to_multiple_of`."""

    def __init__(self, tokenizer_config: TokenizerConfig, max_length: Optional[int] = None,
                 padding: str = "max_length", truncation: Union[bool, str] = True,
                 pad_to_multiple_of: Optional[int] = None, **kwargs):
        super().__init__(**kwargs)
        max_length = max_length or tokenizer_config.model_max_length
        if max_length and tokenizer_config.model_max_length and \
                max_length > tokenizer_config.model_max_length:
            raise InputError(f"max_length={max_length} exceeds the checkpoint's "
                             f"model_max_length={tokenizer_config.model_max_length}.")
        self.tokenizer_config = tokenizer_config
        self.encoder = ENCODERS[type(tokenizer_config)](tokenizer_config)
        single_template, pair_template = tokenizer_config.templates()
        self.packer = SegmentPacker(
            single_template, pair_template, max_length=max_length,
            pad_id=tokenizer_config.token_id(tokenizer_config.pad_token), padding=padding,
            truncation=truncation, pad_to_multiple_of=pad_to_multiple_of)

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

    def call(self, text, text_pair=None) -> Dict[str, tf.Tensor]:
        segments = [self.encode(text)]
        if text_pair is not None:
            segments.append(self.encode(text_pair))
        outputs = self.packer(segments)
        return {name: outputs[name] for name in outputs
                if name in self.tokenizer_config.model_input_names}

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
        }

    @classmethod
    def from_config(cls, config: dict) -> "InGraphTokenizer":
        config = dict(config)
        return cls(config_from_dict(config.pop("tokenizer_config")), **config)
