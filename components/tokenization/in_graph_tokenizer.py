"""InGraphTokenizer: a checkpoint's WordPiece tokenizer as TensorFlow ops.

Built from the checkpoint's own files, it returns what the 🤗 fast tokenizer returns for
`tokenizer(texts, padding=..., truncation=True, max_length=...)`, as int64 tensors. The vocabulary
is compiled into the graph as a constant (no file paths), so a SavedModel or tf.Transform graph
that calls it needs only tensorflow and tensorflow-text to load.
"""
from typing import Dict, Optional

import tensorflow as tf
import tensorflow_text as tf_text

from tfx_hf.components.tokenization.tokenizer_files import (
    TokenizerFilesError, WordPieceConfig, read_wordpiece_config)

PADDING_STRATEGIES = ("max_length", "longest")


def _clean_text(text: tf.Tensor) -> tf.Tensor:
    """🤗 BertNormalizer's `clean_text`: drops NUL, U+FFFD and control/format characters
    (category C except \t \n \r, which like other whitespace split words in both tokenizers).
    tensorflow-text keeps U+FFFD, turning "\ufffd15" into [UNK] where 🤗 sees "15"."""
    return tf.strings.regex_replace(
        text, r"[\x{0}-\x{8}\x{B}\x{C}\x{E}-\x{1F}\x{7F}-\x{9F}\p{Cf}\p{Co}\p{Cs}\x{FFFD}]", "")


class InGraphTokenizer(tf.Module):
    """Tokenizes a `[batch]` string tensor into `input_ids`, `attention_mask`, `token_type_ids`."""

    def __init__(self, config: WordPieceConfig, max_length: int, padding: str = "max_length",
                 truncation: bool = True, pad_to_multiple_of: Optional[int] = None,
                 name: Optional[str] = None):
        super().__init__(name=name)
        if padding not in PADDING_STRATEGIES:
            raise ValueError(f"padding={padding!r}: use one of {PADDING_STRATEGIES}.")
        if truncation is not True:
            raise ValueError("Only truncation=True is supported: an exported model needs a "
                             "bounded sequence length.")
        if max_length is None or max_length < 3:
            raise ValueError(f"max_length={max_length!r}: it must be at least 3 ([CLS] x [SEP]).")
        if config.model_max_length and max_length > config.model_max_length:
            raise ValueError(f"max_length={max_length} exceeds the checkpoint's "
                             f"model_max_length={config.model_max_length}.")
        if pad_to_multiple_of and max_length % pad_to_multiple_of:
            raise ValueError(f"max_length={max_length} is not a multiple of pad_to_multiple_of="
                             f"{pad_to_multiple_of} (🤗 refuses this too with truncation).")
        strip_accents = config.lowercase if config.strip_accents is None else config.strip_accents
        if strip_accents != config.lowercase:
            raise TokenizerFilesError(
                f"lowercase={config.lowercase} with strip_accents={config.strip_accents} is not "
                "supported in-graph yet (only both on, as in uncased BERT, or both off).")
        self.clean_text = config.clean_text
        self.max_length = max_length
        self.padding = padding
        self.pad_to_multiple_of = pad_to_multiple_of
        self.model_input_names = tuple(config.model_input_names)
        self.cls_id = config.token_id(config.cls_token)
        self.sep_id = config.token_id(config.sep_token)
        self.pad_id = config.token_id(config.pad_token)
        self._wordpiece = tf_text.FastBertTokenizer(
            vocab=list(config.vocab),
            suffix_indicator=config.continuing_subword_prefix,
            max_bytes_per_word=config.max_input_chars_per_word,
            token_out_type=tf.int64,
            unknown_token=config.unk_token,
            lower_case_nfd_strip_accents=config.lowercase)

    @classmethod
    def from_pretrained(cls, name_or_path: str, max_length: Optional[int] = None,
                        padding: str = "max_length", truncation: bool = True,
                        pad_to_multiple_of: Optional[int] = None) -> "InGraphTokenizer":
        config = read_wordpiece_config(name_or_path)
        return cls(config, max_length=max_length or config.model_max_length, padding=padding,
                   truncation=truncation, pad_to_multiple_of=pad_to_multiple_of)

    def __call__(self, text: tf.Tensor) -> Dict[str, tf.Tensor]:
        text = tf.convert_to_tensor(text, dtype=tf.string)
        if self.clean_text:
            text = _clean_text(text)
        tokens = self._wordpiece.tokenize(text)  # [batch, (tokens)]
        tokens = tokens[:, :self.max_length - 2]
        batch = tokens.nrows()
        ids = tf.concat([tf.fill([batch, 1], tf.constant(self.cls_id, tf.int64)), tokens,
                         tf.fill([batch, 1], tf.constant(self.sep_id, tf.int64))], axis=1)
        width = self._padded_width(ids)
        outputs = {
            "input_ids": ids.to_tensor(default_value=self.pad_id, shape=[None, width]),
            "attention_mask": tf.ones_like(ids).to_tensor(default_value=0, shape=[None, width]),
            "token_type_ids": tf.zeros_like(ids).to_tensor(default_value=0, shape=[None, width]),
        }
        return {k: v for k, v in outputs.items() if k in self.model_input_names}

    def _padded_width(self, ids: tf.RaggedTensor):
        if self.padding == "max_length":
            return self.max_length
        width = tf.reduce_max(ids.row_lengths())
        if self.pad_to_multiple_of:
            multiple = tf.constant(self.pad_to_multiple_of, tf.int64)
            width = (width + multiple - 1) // multiple * multiple
        return width
