"""Stand-ins: more rows for FastBertTokenizer (the WordPiece fast path), by renaming characters.

FastBertTokenizer normalizes unlike 🤗 where its lower_case_nfd_strip_accents applies NFKC and
casefolding: "…" becomes "...", "ß" becomes "ss". 🤗's BertNormalizer leaves such a character
as it is ("plain": a word character, or a punctuation mark that is a word of its own). Renamed
first to a stand-in, a fast-path character that 🤗 also leaves as it is, of the same kind and
in no vocabulary token, with the vocabulary FastBert is given renaming it likewise, it is
tokenized as 🤗 tokenizes it. The renaming is one-to-one for the characters in the vocabulary
(tokens stay distinct, ids stay the same); the characters in no token share one stand-in per
kind, as WordPiece can match none of them (a word holding one is [UNK], a punctuation mark is
[UNK]). A row holding a stand-in itself takes the exact path. The plain characters and the
stand-in candidates come from make_fast_bert_tables.py.
"""
from types import MappingProxyType
from typing import Dict, List, Sequence, Tuple

import numpy as np
import tensorflow as tf

from tfx_hf.components.tokenization.fast_bert_tables import (
    FAST_RANGES, PLAIN_OUTSIDE, STAND_IN_CANDIDATES)

Ranges = List[Tuple[int, int]]
_MAX_TOKEN_BYTES = 256  # tensorflow-text's limit on a vocabulary token, suffix indicator aside


class StandIns(tf.Module):
    """The renaming for a vocabulary and FastBert mode: `renamed` (code point -> stand-in),
    `vocab` and `unk_token` renamed for FastBert, `fast` (the fast-path ranges without the
    stand-ins), `renamable` (those and the characters with a stand-in), and `__call__`, which
    renames valid UTF-8 texts of `renamable` characters."""

    def __init__(self, vocab: Sequence[str], unk_token: str, suffix_indicator: str,
                 lowercase: bool):
        super().__init__(name="stand_ins")
        in_vocab = {ord(c) for token in vocab for c in token}
        renamed: Dict[int, int] = {}
        for kind, ranges in PLAIN_OUTSIDE[lowercase].items():
            outside = {cp for first, last in ranges for cp in range(first, last + 1)}
            pool = iter([cp for cp in STAND_IN_CANDIDATES[lowercase][kind]
                         if cp not in in_vocab])  # rarest first
            # One stand-in for each character in the vocabulary while they last (the others
            # keep their rows on the exact path), then one for all in no token.
            for cp, stand_in in zip(sorted(outside & in_vocab), pool):
                renamed[cp] = stand_in
            shared = next(pool, None)
            if shared is not None:
                renamed.update(dict.fromkeys(outside - in_vocab, shared))
        if any(ord(c) in renamed for c in suffix_indicator):
            renamed = {}
        in_tokens = str.maketrans({chr(a): chr(b) for a, b in renamed.items() if a in in_vocab})
        for token in vocab:  # a longer stand-in must not take a token past tensorflow-text's
            if _bytes(token.translate(in_tokens), suffix_indicator) > _MAX_TOKEN_BYTES >= \
                    _bytes(token, suffix_indicator):
                for c in token:
                    renamed.pop(ord(c), None)
        in_tokens = str.maketrans({chr(a): chr(b) for a, b in renamed.items() if a in in_vocab})
        self.vocab = [token.translate(in_tokens) for token in vocab]
        self.unk_token = unk_token.translate(in_tokens)
        self.renamed = MappingProxyType(renamed)  # read-only, and left out of tf tracking
        taken = set(renamed.values())
        self.fast = _without(FAST_RANGES[lowercase], taken)
        self.renamable = _merge(self.fast + [(cp, cp) for cp in renamed])
        table = np.arange(max(renamed, default=0) + 1, dtype=np.int32)
        table[list(renamed)] = list(renamed.values())
        self._table = tf.constant(table)

    def __call__(self, text):
        chars = tf.strings.unicode_decode(text, "UTF-8")
        values = chars.values
        size = tf.shape(self._table)[0]
        renamed = tf.where(values < size, tf.gather(self._table, tf.minimum(values, size - 1)),
                           values)
        return tf.strings.unicode_encode(chars.with_values(renamed), "UTF-8")


def _bytes(token: str, suffix_indicator: str) -> int:
    """A vocabulary token's UTF-8 bytes as FastBertTokenizer counts them against its limit."""
    if suffix_indicator and token.startswith(suffix_indicator):
        token = token[len(suffix_indicator):]
    return len(token.encode("utf-8"))


def _without(ranges: Ranges, points) -> Ranges:
    out: Ranges = []
    for first, last in ranges:
        inner = sorted(cp for cp in points if first <= cp <= last)
        for cp in inner:
            if first < cp:
                out.append((first, cp - 1))
            first = cp + 1
        if first <= last:
            out.append((first, last))
    return out


def _merge(ranges: Ranges) -> Ranges:
    out: Ranges = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out
