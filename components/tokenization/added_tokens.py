"""Added (special) tokens found in the text before the model runs, as 🤗 `tokenizers` does for
every tokenizer family: each becomes its id, and only the text between them is encoded.

Tokens are matched leftmost-longest in one regex pass; those marked `normalized` are matched
in the normalized text (the encoder normalizes in between), lstrip/rstrip tokens take the
whitespace next to them.
"""
from typing import NamedTuple, Sequence

import tensorflow as tf

from tfx_hf.components.tokenization.code_points import (
    WHITESPACE_CHARS, re2_literal, whitespace_class)
from tfx_hf.components.tokenization.tokenizer_files import AddedToken

_MARK = b"\xff"  # a byte valid UTF-8 never has: it marks where added tokens start and end


class _Segments(NamedTuple):
    """The pieces of a batch of texts: a piece of text to encode (id -1), or an added token
    (text "", its id); each with its text's row and whether it begins that text."""
    texts: tf.Tensor
    ids: tf.Tensor
    rows: tf.Tensor
    at_start: tf.Tensor


def _whole_texts(text) -> _Segments:
    batch = tf.shape(text, out_type=tf.int64)[0]
    return _Segments(text, tf.fill([batch], tf.constant(-1, tf.int64)), tf.range(batch),
                     tf.ones([batch], tf.bool))


def _split_at(segments: _Segments, tokens: Sequence[AddedToken]) -> _Segments:
    """Splits the text segments at `tokens`. (tf_text.regex_split would cut texts at a NUL
    byte, so the matches are marked with a byte UTF-8 never has and split there.)"""
    if not tokens:
        return segments
    space = whitespace_class()
    tokens = sorted(tokens, key=lambda token: -len(token.content))
    pattern = "|".join((space + "*" if token.lstrip else "") + re2_literal(token.content)
                       + (space + "*" if token.rstrip else "") for token in tokens)
    strip = f"^{space}+|{space}+$"
    contents = [token.content.strip(WHITESPACE_CHARS) for token in tokens]
    texts = tf.strings.unicode_transcode(segments.texts, "UTF-8", "UTF-8", errors="replace",
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
    token_ids = tf.gather(tf.constant([token.id for token in tokens], tf.int64), which)
    first = tf.equal(position, 0)
    return _Segments(tf.where(is_token, "", parts.values),
                     tf.where(is_token, token_ids,
                              tf.where(first, tf.gather(segments.ids, part_of), -1)),
                     tf.gather(segments.rows, part_of),
                     first & tf.gather(segments.at_start, part_of))


def encode_with_added_tokens(encoder, text, added_tokens: Sequence[AddedToken]
                             ) -> tf.RaggedTensor:
    """[batch] strings -> [batch, (ids)] without special tokens: `encoder` (a family encoder)
    on the text between the added tokens, which become their ids."""
    if not added_tokens:
        return encoder(text)
    raw = [token for token in added_tokens if not token.normalized]
    normalized = [token for token in added_tokens if token.normalized]
    segments = _split_at(_whole_texts(text), raw)
    if normalized:
        segments = _split_at(segments._replace(texts=encoder.normalize(segments.texts)),
                             normalized)
        encoded = encoder.tokenize_normalized(segments.texts, segments.at_start)
    else:
        encoded = encoder(segments.texts, segments.at_start)  # an added token's text is ""
    is_added = segments.ids >= 0
    added = tf.RaggedTensor.from_row_lengths(tf.boolean_mask(segments.ids, is_added),
                                             tf.cast(is_added, tf.int64))
    encoded = tf.concat([added, encoded], axis=1)
    return tf.RaggedTensor.from_value_rowids(encoded, segments.rows,
                                             nrows=tf.shape(text, out_type=tf.int64)[0]
                                             ).merge_dims(1, 2)
