"""Texts as flat Unicode code points, and the per-code-point steps the in-graph encoders share
(Rust's char::to_lowercase and char::is_whitespace, flag tables probed from 🤗 `tokenizers`)."""
from typing import Dict, List, Tuple

import numpy as np
import tensorflow as tf

from tfx_hf.components.tokenization import unicode_tables

CAPITAL_I_WITH_DOT = 0x130  # the one code point whose lowercase is two code points
COMBINING_DOT_ABOVE = 0x307
WHITESPACE_CHARS = "".join(chr(cp) for first, last in
                           unicode_tables.FLAG_RANGES[unicode_tables.WHITESPACE]
                           for cp in range(first, last + 1))


def re2_literal(text: str) -> str:
    """`text` as an RE2 pattern that matches it literally."""
    return "".join(c if c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


def whitespace_class() -> str:
    """An RE2 class of the characters Rust's char::is_whitespace accepts (🤗's Strip, lstrip)."""
    ranges = unicode_tables.FLAG_RANGES[unicode_tables.WHITESPACE]
    return "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]"


def flag_table(flag_ranges: Dict[int, List[Tuple[int, int]]]) -> np.ndarray:
    flags = np.zeros(0x110000, np.uint8)
    for flag, ranges in flag_ranges.items():
        for first, last in ranges:
            flags[first:last + 1] |= flag
    return flags


def lowercase_table() -> np.ndarray:
    single = {cp: ord(low) for cp, low in unicode_tables.LOWERCASE.items() if len(low) == 1}
    assert set(unicode_tables.LOWERCASE) - set(single) == {CAPITAL_I_WITH_DOT}, \
        "new multi-char lowercase"
    table = np.arange(max(single) + 1, dtype=np.int32)
    table[list(single)] = list(single.values())
    table[CAPITAL_I_WITH_DOT] = ord("i")
    return table


class CodePoints:
    """A batch of texts as flat code points with their row ids (a ragged tensor, unpacked);
    optionally with `origin`, the index in its original text of the code point each one comes
    from (for offsets), which the steps below carry along."""

    def __init__(self, values, rows, nrows, origin=None):
        self.values, self.rows, self.nrows, self.origin = values, rows, nrows, origin

    @classmethod
    def decode(cls, text):
        # Invalid UTF-8 becomes U+FFFD, as Python's bytes.decode(errors="replace") would give 🤗.
        ragged = tf.strings.unicode_decode(text, "UTF-8", errors="replace",
                                           replacement_char=0xFFFD)
        return cls(ragged.values, ragged.value_rowids(), ragged.nrows())

    def encode(self):
        return tf.strings.unicode_encode(tf.RaggedTensor.from_value_rowids(
            self.values, self.rows, nrows=self.nrows), "UTF-8")

    def keep(self, mask):
        return CodePoints(tf.boolean_mask(self.values, mask), tf.boolean_mask(self.rows, mask),
                          self.nrows,
                          None if self.origin is None else tf.boolean_mask(self.origin, mask))

    def lowercase(self, table, expand_capital_i_with_dot=True):
        """Rust's char::to_lowercase: "İ" becomes "i" + U+0307 (two code points) unless told
        not to (after strip_accents, which would drop that dot)."""
        cps = self
        if expand_capital_i_with_dot:
            # Repeat "İ"; the second copy becomes the combining dot.
            counts = tf.where(cps.values == CAPITAL_I_WITH_DOT, 2, 1)
            values = tf.repeat(cps.values, counts)
            starts = tf.repeat(tf.cumsum(counts, exclusive=True), counts)
            second = tf.range(tf.shape(values, out_type=tf.int32)[0]) - starts == 1
            cps = CodePoints(tf.where(second, COMBINING_DOT_ABOVE, values),
                             tf.repeat(cps.rows, counts), cps.nrows,
                             None if cps.origin is None else tf.repeat(cps.origin, counts))
        size = tf.shape(table)[0]
        return CodePoints(tf.where(cps.values < size,
                                   tf.gather(table, tf.minimum(cps.values, size - 1)),
                                   cps.values), cps.rows, cps.nrows, cps.origin)
