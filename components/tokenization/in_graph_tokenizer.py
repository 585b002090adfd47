"""InGraphTokenizer: a checkpoint's WordPiece or SentencePiece (Unigram) tokenizer as TF ops.

Built from the checkpoint's own files, it returns what the 🤗 fast tokenizer returns for
`tokenizer(texts, text_pairs, padding=..., truncation=..., max_length=...)`, as int64 tensors:
the same normalization, pre-tokenization, added (special) tokens matched in the raw (or
normalized) text, truncation strategy and post-processor template. The vocabulary, the
SentencePiece model and the Unicode tables are compiled into the graph as constants (no file
paths), so a SavedModel or tf.Transform graph that calls it needs only tensorflow and
tensorflow-text to load.

Input bytes that are not valid UTF-8 are read as U+FFFD (what 🤗 gets from Python's
`bytes.decode("utf-8", errors="replace")`), never an error.
"""
from typing import Dict, Optional, Union

import tensorflow as tf

from tfx_hf.components.tokenization.sentencepiece_unigram import (
    WHITESPACE_CHARS, SentencePieceUnigram, re2_literal, whitespace_class)
from tfx_hf.components.tokenization.tokenizer_files import (
    SentencePieceConfig, WordPieceConfig, read_tokenizer_config)
from tfx_hf.components.tokenization.wordpiece import BertWordPiece

PADDING_STRATEGIES = ("max_length", "longest")
TRUNCATION_STRATEGIES = ("longest_first", "only_first", "only_second")


def _special_count(template) -> int:
    return sum(len(piece) for piece, _ in template if not isinstance(piece, str))


def _ragged(values, rows, nrows):
    return tf.RaggedTensor.from_value_rowids(values, rows, nrows=nrows)


def _truncate(ids: tf.RaggedTensor, lengths) -> tf.RaggedTensor:
    """Keeps the first lengths[i] tokens of row i."""
    rows = ids.value_rowids()
    position = tf.range(tf.shape(ids.values, out_type=tf.int64)[0]) - tf.gather(
        ids.row_starts(), rows)
    keep = position < tf.gather(lengths, rows)
    return _ragged(tf.boolean_mask(ids.values, keep), tf.boolean_mask(rows, keep), ids.nrows())


_MARK = b"\xff"  # a byte valid UTF-8 never has: it marks where added tokens start and end


def _split_at_added_tokens(segments, tokens):
    """Splits the text segments of (texts, ids, rows, at_start) at the added tokens: a token
    becomes a segment ("", its id), the text around it segments (text, -1). One regex pass
    finds them leftmost-longest, as 🤗 does; lstrip/rstrip tokens take the whitespace next to
    them. (tf_text.regex_split would cut texts at a NUL byte.)"""
    if not tokens:
        return segments
    texts, ids, rows, at_start = segments
    space = whitespace_class()
    tokens = sorted(tokens, key=lambda token: -len(token[0]))
    pattern = "|".join((space + "*" if lstrip else "") + re2_literal(content)
                       + (space + "*" if rstrip else "")
                       for content, _, lstrip, rstrip in tokens)
    strip = f"^{space}+|{space}+$"
    contents = [content.strip(WHITESPACE_CHARS) for content, *_ in tokens]
    texts = tf.strings.unicode_transcode(texts, "UTF-8", "UTF-8", errors="replace",
                                         replacement_char=0xFFFD)
    parts = tf.strings.split(tf.strings.regex_replace(texts, pattern, _MARK + b"\\0" + _MARK),
                             sep=_MARK)  # text, token, text, ..., text
    part_of = parts.value_rowids()
    position = tf.range(tf.shape(part_of, out_type=tf.int64)[0]) - tf.gather(
        parts.row_starts(), part_of)
    is_token = position % 2 == 1
    which = tf.argmax(tf.cast(tf.equal(
        tf.strings.regex_replace(parts.values, strip, "")[:, None],
        tf.constant(contents)[None, :]), tf.int32), axis=1)
    token_ids = tf.gather(tf.constant([token_id for _, token_id, *_ in tokens], tf.int64), which)
    first = tf.equal(position, 0)
    return (tf.where(is_token, "", parts.values),
            tf.where(is_token, token_ids, tf.where(first, tf.gather(ids, part_of), -1)),
            tf.gather(rows, part_of),
            first & tf.gather(at_start, part_of))


class InGraphTokenizer(tf.Module):
    """Tokenizes a `[batch]` string tensor (and optionally a second one of text pairs) into
    `input_ids`, `attention_mask` and, when the model takes them, `token_type_ids`."""

    def __init__(self, config: Union[WordPieceConfig, SentencePieceConfig], max_length: int,
                 padding: str = "max_length",
                 truncation: Union[bool, str] = True, pad_to_multiple_of: Optional[int] = None,
                 name: Optional[str] = None):
        super().__init__(name=name)
        if padding not in PADDING_STRATEGIES:
            raise ValueError(f"padding={padding!r}: use one of {PADDING_STRATEGIES}.")
        if truncation is True:
            truncation = "longest_first"
        if truncation not in TRUNCATION_STRATEGIES:
            raise ValueError(f"truncation={truncation!r}: use True or one of "
                             f"{TRUNCATION_STRATEGIES}; an exported model needs a bounded "
                             "sequence length.")
        self.single_template, self.pair_template = config.templates()
        if max_length is None or max_length <= _special_count(self.single_template):
            raise ValueError(f"max_length={max_length!r}: it must leave room for a token "
                             "besides the special tokens.")
        if config.model_max_length and max_length > config.model_max_length:
            raise ValueError(f"max_length={max_length} exceeds the checkpoint's "
                             f"model_max_length={config.model_max_length}.")
        if pad_to_multiple_of and max_length % pad_to_multiple_of:
            raise ValueError(f"max_length={max_length} is not a multiple of pad_to_multiple_of="
                             f"{pad_to_multiple_of} (🤗 refuses this too with truncation).")
        self.max_length = max_length
        self.padding = padding
        self.truncation = truncation
        self.pad_to_multiple_of = pad_to_multiple_of
        self.model_input_names = tuple(config.model_input_names)
        self.pad_id = config.token_id(config.pad_token)
        # (content, id, lstrip, rstrip) of the added tokens 🤗 finds in the raw text, and of
        # those it finds in the normalized text (SentencePiece checkpoints only).
        added = [(token + (False, False, False))[:5] for token in config.added_tokens]
        self._raw_added = tuple(token[:4] for token in added if not token[4])
        self._normalized_added = tuple(token[:4] for token in added if token[4])
        if isinstance(config, SentencePieceConfig):
            self._encoder = SentencePieceUnigram(config)
        else:
            self._encoder = BertWordPiece(config)

    @classmethod
    def from_pretrained(cls, name_or_path: str, max_length: Optional[int] = None,
                        padding: str = "max_length", truncation: Union[bool, str] = True,
                        pad_to_multiple_of: Optional[int] = None) -> "InGraphTokenizer":
        config = read_tokenizer_config(name_or_path)
        return cls(config, max_length=max_length or config.model_max_length, padding=padding,
                   truncation=truncation, pad_to_multiple_of=pad_to_multiple_of)

    def __call__(self, text: tf.Tensor, text_pair: Optional[tf.Tensor] = None
                 ) -> Dict[str, tf.Tensor]:
        text = tf.convert_to_tensor(text, dtype=tf.string)
        if text_pair is None:
            if self.truncation == "only_second":
                raise ValueError("truncation='only_second' needs text pairs (🤗 raises too).")
            first = self._encode(text)
            budget = self.max_length - _special_count(self.single_template)
            if self.truncation == "only_first":
                self._assert_fits(first.row_lengths() - budget, first.row_lengths())
            first = first[:, :budget]
            sequences, template = {"A": first}, self.single_template
        else:
            text_pair = tf.convert_to_tensor(text_pair, dtype=tf.string)
            first, second = self._truncate_pair(self._encode(text), self._encode(text_pair))
            sequences, template = {"A": first, "B": second}, self.pair_template
        ids, type_ids = self._apply_template(template, sequences, first.nrows())
        width = self._padded_width(ids)
        outputs = {
            "input_ids": ids.to_tensor(default_value=self.pad_id, shape=[None, width]),
            "attention_mask": tf.ones_like(ids).to_tensor(default_value=0, shape=[None, width]),
            "token_type_ids": type_ids.to_tensor(default_value=0, shape=[None, width]),
        }
        return {k: v for k, v in outputs.items() if k in self.model_input_names}

    def _encode(self, text) -> tf.RaggedTensor:
        """[batch] strings -> [batch, (ids)] without special tokens; added tokens found in the
        text become their ids, the text around them goes through the tokenizer."""
        sentencepiece = isinstance(self._encoder, SentencePieceUnigram)
        if not self._raw_added and not self._normalized_added:
            return self._encoder(text)
        batch = tf.shape(text, out_type=tf.int64)[0]
        segments = (text, tf.fill([batch], tf.constant(-1, tf.int64)), tf.range(batch),
                    tf.ones([batch], tf.bool))
        segments = _split_at_added_tokens(segments, self._raw_added)
        if sentencepiece:
            texts, ids, rows, at_start = segments
            segments = _split_at_added_tokens(
                (self._encoder.normalize(texts), ids, rows, at_start), self._normalized_added)
            texts, ids, rows, at_start = segments
            encoded = self._encoder.tokenize_normalized(texts, at_start)
        else:
            texts, ids, rows, _ = segments
            encoded = self._encoder(texts)  # an added token's segment text is "": no ids
        is_added = ids >= 0
        added = tf.RaggedTensor.from_row_lengths(tf.boolean_mask(ids, is_added),
                                                 tf.cast(is_added, tf.int64))
        encoded = tf.concat([added, encoded], axis=1)
        return tf.RaggedTensor.from_value_rowids(encoded, rows, nrows=batch).merge_dims(1, 2)

    def _assert_fits(self, to_remove, target_lengths):
        """🤗 fails the batch when the sequence to truncate is too short to reach max_length."""
        tf.debugging.assert_less(
            tf.maximum(to_remove, 0), tf.maximum(target_lengths, 1),
            message=f"truncation={self.truncation!r}: the sequence to truncate is too short "
                    f"to respect max_length={self.max_length} (🤗 raises the same error); use "
                    "truncation='longest_first'.")

    def _truncate_pair(self, first, second):
        budget = tf.constant(self.max_length - _special_count(self.pair_template), tf.int64)
        n1, n2 = first.row_lengths(), second.row_lengths()
        to_remove = n1 + n2 - budget
        if self.truncation == "longest_first":
            # 🤗 tokenizers' truncate_encodings: the shorter keeps its length if the longer can
            # take the cut alone; otherwise budget // 2 each, the odd token to the longer one.
            swap = n1 > n2
            short, long = tf.minimum(n1, n2), tf.maximum(n1, n2)
            long = tf.where(short > budget, short, tf.maximum(short, budget - short))
            halve = short + long > budget
            short = tf.where(halve, budget // 2, short)
            long = tf.where(halve, budget // 2 + budget % 2, long)
            keep1, keep2 = tf.where(swap, long, short), tf.where(swap, short, long)
        elif self.truncation == "only_first":
            self._assert_fits(to_remove, n1)
            keep1, keep2 = n1 - tf.maximum(to_remove, 0), n2
        else:
            self._assert_fits(to_remove, n2)
            keep1, keep2 = n1, n2 - tf.maximum(to_remove, 0)
        fits = to_remove <= 0
        return (_truncate(first, tf.where(fits, n1, keep1)),
                _truncate(second, tf.where(fits, n2, keep2)))

    @staticmethod
    def _apply_template(template, sequences, batch):
        ids, type_ids = [], []
        for piece, type_id in template:
            if isinstance(piece, str):
                part = sequences[piece]
            else:
                part = tf.RaggedTensor.from_tensor(
                    tf.tile(tf.constant([piece], tf.int64), [batch, 1]))
            ids.append(part)
            type_ids.append(tf.ones_like(part) * type_id)
        return tf.concat(ids, axis=1), tf.concat(type_ids, axis=1)

    def _padded_width(self, ids: tf.RaggedTensor):
        if self.padding == "max_length":
            return self.max_length
        width = tf.reduce_max(ids.row_lengths())
        if self.pad_to_multiple_of:
            multiple = tf.constant(self.pad_to_multiple_of, tf.int64)
            width = (width + multiple - 1) // multiple * multiple
        return width
