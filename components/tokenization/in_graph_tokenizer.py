"""InGraphTokenizer: a checkpoint's WordPiece tokenizer as TensorFlow ops.

Built from the checkpoint's own files, it returns what the 🤗 fast tokenizer returns for
`tokenizer(texts, text_pairs, padding=..., truncation=..., max_length=...)`, as int64 tensors:
the same normalization, pre-tokenization, added (special) tokens matched in the raw text,
truncation strategy and post-processor template. The vocabulary and Unicode tables are compiled
into the graph as constants (no file paths), so a SavedModel or tf.Transform graph that calls it
needs only tensorflow and tensorflow-text to load.

Input bytes that are not valid UTF-8 are read as U+FFFD (what 🤗 gets from Python's
`bytes.decode("utf-8", errors="replace")`), never an error.
"""
from typing import Dict, Optional, Union

import tensorflow as tf

from tfx_hf.components.tokenization.tokenizer_files import WordPieceConfig, read_wordpiece_config
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


class InGraphTokenizer(tf.Module):
    """Tokenizes a `[batch]` string tensor (and optionally a second one of text pairs) into
    `input_ids`, `attention_mask` and, when the model takes them, `token_type_ids`."""

    def __init__(self, config: WordPieceConfig, max_length: int, padding: str = "max_length",
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
        # Longest first, as 🤗 matches added tokens (leftmost-longest).
        self._added = tuple(sorted(config.added_tokens, key=lambda token: -len(token[0])))
        self._encoder = BertWordPiece(config)

    @classmethod
    def from_pretrained(cls, name_or_path: str, max_length: Optional[int] = None,
                        padding: str = "max_length", truncation: Union[bool, str] = True,
                        pad_to_multiple_of: Optional[int] = None) -> "InGraphTokenizer":
        config = read_wordpiece_config(name_or_path)
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
        raw text become their ids, the text around them goes through the tokenizer."""
        if not self._added:
            return self._encoder(text)
        # Segments of the raw text: (text, -1) or ("", added token id), split one added token
        # at a time, longest first. (tf_text.regex_split would cut texts at a NUL byte.)
        texts, ids = text, tf.fill(tf.shape(text), tf.constant(-1, tf.int64))
        rows = tf.range(tf.shape(text, out_type=tf.int64)[0])
        for content, token_id in self._added:
            parts = tf.strings.split(texts, sep=content)  # an added token segment: [""]
            part_of = parts.value_rowids()
            first = tf.equal(tf.range(tf.shape(part_of, out_type=tf.int64)[0]),
                             tf.gather(parts.row_starts(), part_of))
            # Before each part but the first comes the added token it was split at.
            texts = tf.reshape(tf.stack([tf.fill(tf.shape(parts.values), ""), parts.values], 1),
                               [-1])
            ids = tf.reshape(tf.stack([tf.fill(tf.shape(part_of), tf.constant(token_id, tf.int64)),
                                       tf.where(first, tf.gather(ids, part_of), -1)], 1), [-1])
            valid = tf.reshape(tf.stack([~first, tf.ones_like(first)], 1), [-1])
            rows = tf.boolean_mask(tf.repeat(tf.gather(rows, part_of), 2), valid)
            texts, ids = tf.boolean_mask(texts, valid), tf.boolean_mask(ids, valid)
        is_added = ids >= 0
        encoded = self._encoder(texts)  # an added token's segment text is "": no ids
        added = tf.RaggedTensor.from_row_lengths(tf.boolean_mask(ids, is_added),
                                                 tf.cast(is_added, tf.int64))
        encoded = tf.concat([added, encoded], axis=1)
        return tf.RaggedTensor.from_value_rowids(encoded, rows, nrows=tf.shape(
            text, out_type=tf.int64)[0]).merge_dims(1, 2)

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
