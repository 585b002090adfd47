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
    (text "", its id); each with its text's row, whether it begins that text, and where it
    starts and ends in it (code points)."""
    texts: tf.Tensor
    ids: tf.Tensor
    rows: tf.Tensor
    at_start: tf.Tensor
    starts: tf.Tensor
    ends: tf.Tensor
    parents: tf.Tensor = None  # after a split: the segment each one was split from


def _whole_texts(text, with_offsets: bool = False) -> _Segments:
    """The texts as segments; `starts` and `ends` are None unless `with_offsets`."""
    batch = tf.shape(text, out_type=tf.int64)[0]
    zeros = tf.zeros([batch], tf.int64) if with_offsets else None
    return _Segments(text, tf.fill([batch], tf.constant(-1, tf.int64)), tf.range(batch),
                     tf.ones([batch], tf.bool), zeros, zeros)


def _split_at(segments: _Segments, tokens: Sequence[AddedToken], trim_offsets: bool = False,
              keep_prefix_space: bool = False, transcode: bool = True) -> _Segments:
    """Splits the text segments at `tokens`. (tf_text.regex_split would cut texts at a NUL
    byte, so the matches are marked with a byte UTF-8 never has and split there.)
    An added token's offsets are its whole match, the whitespace lstrip/rstrip took included,
    as in 🤗's encoding; `trim_offsets` (a ByteLevel/RobertaProcessing post-processor's) leaves
    that whitespace out, but for one leading space at a text's start with
    `keep_prefix_space` (the post-processor's add_prefix_space). `transcode=False` for texts
    known to be valid UTF-8."""
    unsplit = segments._replace(parents=tf.range(tf.size(segments.ids, tf.int64)))
    if not tokens:
        return unsplit
    # Most batches hold no added token at all: they are spared the split (and the transcode,
    # the costliest part of it; encoders read invalid UTF-8 as U+FFFD themselves).
    return tf.cond(_may_hold(segments.texts, tokens),
                   lambda: _split_found(segments, tokens, trim_offsets, keep_prefix_space,
                                        transcode),
                   lambda: unsplit)


def _may_hold(texts, tokens: Sequence[AddedToken]) -> tf.Tensor:
    """Whether any text may hold an added token: one RE2 scan of the raw bytes for the tokens'
    contents (a match extends from a content by lstrip/rstrip whitespace only). `\\C` is any
    byte, so invalid UTF-8 does not stop the scan; transcoding changes nothing but invalid
    sequences, so it finds every content the transcoded text has, but one with U+FFFD."""
    if any("\ufffd" in token.content for token in tokens):
        return tf.constant(True)
    contents = "|".join(re2_literal(token.content) for token in tokens)
    return tf.reduce_any(tf.strings.regex_full_match(texts, f"\\C*(?:{contents})\\C*"))


def _split_found(segments: _Segments, tokens: Sequence[AddedToken], trim_offsets: bool,
                 keep_prefix_space: bool, transcode: bool) -> _Segments:
    space = whitespace_class()
    tokens = sorted(tokens, key=lambda token: -len(token.content))
    pattern = "|".join((space + "*" if token.lstrip else "") + re2_literal(token.content)
                       + (space + "*" if token.rstrip else "") for token in tokens)
    strip = f"^{space}+|{space}+$"
    contents = [token.content.strip(WHITESPACE_CHARS) for token in tokens]
    texts = tf.strings.unicode_transcode(segments.texts, "UTF-8", "UTF-8", errors="replace",
                                         replacement_char=0xFFFD) if transcode else segments.texts
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
    split = _Segments(tf.where(is_token, "", parts.values),
                      tf.where(is_token, token_ids,
                               tf.where(first, tf.gather(segments.ids, part_of), -1)),
                      tf.gather(segments.rows, part_of),
                      first & tf.gather(segments.at_start, part_of), None, None, part_of)
    if segments.starts is None:
        return split
    lengths = tf.cast(tf.strings.length(parts.values, unit="UTF8_CHAR"), tf.int64)
    before = tf.cumsum(lengths, exclusive=True)
    starts = before - tf.gather(tf.gather(tf.concat([before, [0]], 0), parts.row_starts()),
                                part_of) + tf.gather(segments.starts, part_of)
    lstrip, rstrip = (tf.gather(tf.constant([getattr(t, flag) for t in tokens]), which)
                      for flag in ("lstrip", "rstrip"))
    content_length = tf.gather(tf.constant([len(t.content) for t in tokens], tf.int64), which)
    taken = lengths - content_length
    lead = tf.where(rstrip, lengths - tf.cast(tf.strings.length(tf.strings.regex_replace(
        parts.values, f"^{space}+", ""), unit="UTF8_CHAR"), tf.int64), taken)
    lead = tf.where(lstrip, lead, 0)
    trail = tf.where(rstrip, taken - lead, 0)
    if not trim_offsets:
        lead, trail = tf.zeros_like(lead), tf.zeros_like(trail)
    elif keep_prefix_space:
        lead = tf.where((starts == 0) & (lead == 1), 0, lead)
    return split._replace(starts=starts + tf.where(is_token, lead, 0),
                          ends=starts + lengths - tf.where(is_token, trail, 0))


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
        # (An encoder's normalize that reads invalid UTF-8 as U+FFFD writes valid UTF-8.)
        segments = _split_at(segments._replace(texts=encoder.normalize(segments.texts)),
                             normalized, transcode=not getattr(encoder, "writes_valid_utf8", False))
        encoded = encoder.tokenize_normalized(segments.texts, segments.at_start)
    else:
        encoded = encoder(segments.texts, segments.at_start)  # an added token's text is ""
    return _by_text(text, segments, encoded, segments.ids)


def encode_with_offsets(encoder, text, added_tokens: Sequence[AddedToken],
                        trim_offsets: bool = False, keep_prefix_space: bool = False):
    """([batch, (ids)], [batch, (starts)], [batch, (ends)]): as `encode_with_added_tokens`,
    with each token's code point range in its text (an added token's is its match, with the
    whitespace lstrip/rstrip took unless `trim_offsets`: see `_split_at`). For encoders
    without a normalizer (`encode_with_offsets`: offsets in the text it is given), or with one
    that tracks alignments (`normalize_with_origins`, see `encode_normalized_with_offsets`)."""
    if hasattr(encoder, "normalize_with_origins"):
        return encode_normalized_with_offsets(encoder, text, added_tokens)
    if not added_tokens:
        return encoder.encode_with_offsets(text)
    trim = dict(trim_offsets=trim_offsets, keep_prefix_space=keep_prefix_space)
    segments = _split_at(_whole_texts(text, with_offsets=True),
                         [t for t in added_tokens if not t.normalized], **trim)
    segments = _split_at(segments, [t for t in added_tokens if t.normalized], **trim)
    ids, starts, ends = encoder.encode_with_offsets(segments.texts)
    shift = tf.gather(segments.starts, starts.value_rowids())
    return (_by_text(text, segments, ids, segments.ids),
            _by_text(text, segments, starts.with_values(starts.values + shift), segments.starts),
            _by_text(text, segments, ends.with_values(ends.values + shift), segments.ends))


def encode_normalized_with_offsets(encoder, text, added_tokens: Sequence[AddedToken]):
    """`encode_with_offsets` for an encoder that normalizes: 🤗's order (raw added tokens
    found in the text, the rest normalized with each char's origin, normalized added tokens
    found there, then pre-tokenization and the model), each token's offsets being the origins
    of its first and last normalized chars (an added token's: with the whitespace lstrip/rstrip
    took, as 🤗 gives them without a post-processor that trims)."""
    raw = _split_at(_whole_texts(text, with_offsets=True),
                    [t for t in added_tokens if not t.normalized])
    cps = encoder.normalize_with_origins(raw.texts)
    known = cps.origin >= 0  # -1: 🤗's (0, 0) alignment
    shift = tf.gather(raw.starts, cps.rows)
    char_starts = tf.concat([tf.where(known, cps.origin + shift, 0), [0]], 0)
    char_ends = tf.concat([tf.where(known, cps.origin + 1 + shift, 0), [0]], 0)
    first_char = tf.cumsum(tf.math.unsorted_segment_sum(
        tf.ones_like(cps.rows), cps.rows, cps.nrows), exclusive=True)
    n_raw = tf.size(raw.ids, tf.int64)
    zeros = tf.zeros([n_raw], tf.int64)
    segments = _split_at(raw._replace(texts=cps.encode(), starts=zeros, ends=zeros),
                         [t for t in added_tokens if t.normalized])
    # Each segment's first char in `cps` (its starts are in its parent's normalized text).
    base = tf.gather(first_char, segments.parents) + segments.starts
    ids, firsts, lasts = encoder.tokenize_with_positions(segments.texts, segments.at_start)
    piece_base = tf.gather(base, ids.value_rowids())
    starts = ids.with_values(tf.gather(char_starts, piece_base + firsts.values))
    ends = ids.with_values(tf.gather(char_ends, piece_base + lasts.values))
    from_raw = tf.gather(raw.ids, segments.parents) >= 0  # an added token found in the raw text
    token_starts = tf.where(from_raw, tf.gather(raw.starts, segments.parents),
                            tf.gather(char_starts, base))
    last = tf.gather(first_char, segments.parents) + segments.ends - 1
    token_ends = tf.where(from_raw, tf.gather(raw.ends, segments.parents),
                          tf.gather(char_ends, tf.maximum(last, 0)))
    return (_by_text(text, segments, ids, segments.ids),
            _by_text(text, segments, starts, token_starts),
            _by_text(text, segments, ends, token_ends))


def _by_text(text, segments: _Segments, encoded, added_values) -> tf.RaggedTensor:
    """Each segment's `encoded` values, or for an added token its `added_values` entry, in
    order by text."""
    n_texts = tf.shape(text, out_type=tf.int64)[0]

    def merged():
        is_added = segments.ids >= 0
        added = tf.RaggedTensor.from_row_lengths(tf.boolean_mask(added_values, is_added),
                                                 tf.cast(is_added, tf.int64))
        return tf.RaggedTensor.from_value_rowids(tf.concat([added, encoded], axis=1),
                                                 segments.rows, nrows=n_texts).merge_dims(1, 2)
    # A batch where no added token was found has one segment per text: `encoded` as it is.
    return tf.cond(tf.size(segments.ids, tf.int64) > n_texts, merged, lambda: encoded)
