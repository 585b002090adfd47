"""Tokenize only the part of a long text that truncation keeps.

A truncated text keeps at most `max_tokens` tokens, its first ones. For a tokenizer whose
pre-tokenization never joins what lies on the two sides of a space (BERT's, Metaspace,
the GPT-2 split regex; `cuts_at_spaces` on the encoder), the tokens of a prefix of the text
that ends before an ASCII space are the first tokens of the whole text. So a text with more
than `max_tokens` space-separated runs is cut after `max_tokens + SLACK` of them, and
encoded whole again only when its prefix gave fewer than `max_tokens` tokens (runs a
normalizer removes entirely). The cut is made only where the char before the space is
printable ASCII: no normalizer, grapheme cluster or pre-tokenizer rule joins such a char to
the space after it, and a multi-byte or invalid UTF-8 sequence never spans it. 🤗 encodes the
whole text and truncates after; the ids are the same (tests/test_truncation_prefix.py), the
work is a fraction of it for long documents (benchmarks/tokenization.py).
"""
from typing import Callable, Sequence, Tuple, Union

import tensorflow as tf

from tfx_hf.components.tokenization.tokenizer_files import AddedToken

# Runs past max_tokens kept before the cut: a few runs may be empty (double spaces) or
# vanish in normalization without forcing the whole text to be encoded again.
SLACK = 16
_ENDS_PRINTABLE_ASCII = "[\\s\\S]*[!-~]"

Encoded = Union[tf.RaggedTensor, Tuple[tf.RaggedTensor, ...]]


def can_cut(encoder, added_tokens: Sequence[AddedToken]) -> bool:
    """Whether texts for `encoder` may be cut at spaces: its pre-tokenization splits there, and
    no added token has whitespace in it (a match could span the cut)."""
    return bool(getattr(encoder, "cuts_at_spaces", False)) and not any(
        any(c.isspace() for c in token.content) for token in added_tokens)


def prefixes(text: tf.Tensor, max_tokens: int) -> Tuple[tf.Tensor, tf.Tensor]:
    """([n] texts cut after max_tokens + SLACK space-separated pieces where the cut is
    allowed, [n] bool: which were cut)."""
    keep = max_tokens + SLACK
    pieces = tf.strings.split(text, sep=" ", maxsplit=keep)  # keep pieces + the rest
    long = pieces.row_lengths() > keep
    kept = pieces[:, :keep]
    last = tf.gather(kept.values, tf.maximum(kept.row_limits() - 1, 0))
    cut = long & tf.strings.regex_full_match(last, _ENDS_PRINTABLE_ASCII)
    length = tf.where(cut, tf.reduce_sum(tf.strings.length(kept), axis=1) + (keep - 1),
                      tf.strings.length(text))
    return tf.strings.substr(text, tf.zeros_like(length), length), cut


def encode_kept(encode: Callable[[tf.Tensor], Encoded], text: tf.Tensor,
                max_tokens: int) -> Encoded:
    """`encode(text)` (ids, or a tuple whose first is the ids) up to each row's first
    max_tokens tokens: rows past them may be shorter than the whole text's."""
    # Only texts of over 6 bytes per run kept are looked at (an English word and its space
    # average ~6): a cut is never needed for the ids, and looking for one in texts that are
    # too short for it costs more than it saves. A batch without such texts is encoded as it
    # is.
    may_cut = tf.strings.length(text) > 6 * (max_tokens + SLACK)
    return tf.cond(tf.reduce_any(may_cut), lambda: _encode_cut(encode, text, may_cut,
                                                               max_tokens),
                   lambda: encode(text))


def _encode_cut(encode, text, may_cut, max_tokens) -> Encoded:
    candidates = tf.where(may_cut)[:, 0]
    cut_text, cut = prefixes(tf.gather(text, candidates), max_tokens)
    text_to_encode = tf.tensor_scatter_nd_update(text, candidates[:, None], cut_text)
    cut = tf.scatter_nd(candidates[:, None], cut, tf.shape(text, out_type=tf.int64))
    encoded = encode(text_to_encode)
    ids = encoded[0] if isinstance(encoded, tuple) else encoded
    redo = cut & (ids.row_lengths() < max_tokens)

    def with_whole_texts():
        again = tf.where(redo)[:, 0]
        kept = tf.where(~redo)[:, 0]
        whole = encode(tf.gather(text, again))
        order = tf.argsort(tf.concat([kept, again], 0))

        def merge(prefix_rows, whole_rows):
            return tf.gather(tf.concat([tf.gather(prefix_rows, kept), whole_rows], 0), order)
        if isinstance(encoded, tuple):
            return tuple(merge(p, w) for p, w in zip(encoded, whole))
        return merge(encoded, whole)

    return tf.cond(tf.reduce_any(redo), with_whole_texts, lambda: encoded)
