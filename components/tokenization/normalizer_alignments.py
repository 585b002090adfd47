"""Where each normalized character comes from, as 🤗 `tokenizers` tracks it (its
NormalizedString alignments), for character offsets through SentencePiece normalizers.

🤗 rewrites a text as a list of (new char, change) pairs over the old chars (normalizer.rs,
`transform_range`): a char with change <= 0 takes the alignment of the next old char not yet
consumed and consumes it and -change more; a char with change 1 consumes none and takes the
alignment of the last consumed one ((0, 0) before any). Each alignment is one original char's,
so here it is that char's index (`CodePoints.origin`), -1 for (0, 0). `follow_changes` applies
that rule to any step's changes; Precompiled (sentencepiece_unigram.py) gives its changes to it.
"""
import tensorflow as tf

from tfx_hf.components.tokenization.code_points import CodePoints

_MARK = b"\xff"  # a byte valid UTF-8 never has


def _row_starts(rows, nrows):
    counts = tf.math.unsorted_segment_sum(tf.ones_like(rows), rows, nrows)
    return tf.cumsum(counts, exclusive=True)


def follow_changes(old: CodePoints, values, rows, changes) -> CodePoints:
    """The new chars `values` (of rows `rows`, in order) with 🤗's `changes`, each with the
    origin the rule above gives it from `old`'s chars."""
    consumed = tf.where(changes <= 0, 1 - changes, 0)
    before = tf.cumsum(consumed, exclusive=True)
    first_new = _row_starts(rows, old.nrows)
    in_row = before - tf.gather(tf.concat([before, [0]], 0), tf.gather(first_new, rows))
    old_start = _row_starts(old.rows, old.nrows)
    old_length = tf.math.unsorted_segment_sum(tf.ones_like(old.rows), old.rows, old.nrows)
    taken = tf.where(changes <= 0, in_row, in_row - 1)
    valid = (taken >= 0) & (taken < tf.gather(old_length, rows))
    at = tf.gather(old_start, rows) + tf.maximum(taken, 0)
    origin = tf.where(valid, tf.gather(tf.concat([old.origin, [-1]], 0),
                                       tf.minimum(at, tf.size(old.origin, tf.int64))), -1)
    return CodePoints(values, rows, old.nrows, origin)


def replace_with_origins(cps: CodePoints, regex: str, content: str) -> CodePoints:
    """🤗's NormalizedString.replace: each match becomes `content`, whose chars all take the
    alignment of the match's last char (of the char before an empty match)."""
    text = cps.encode()
    parts = tf.strings.split(tf.strings.regex_replace(text, regex, _MARK + b"\\0" + _MARK),
                             sep=_MARK)  # text, match, text, ..., text
    part_row = parts.value_rowids()
    position = tf.range(tf.size(part_row, tf.int64)) - tf.gather(parts.row_starts(), part_row)
    is_match = position % 2 == 1
    length = tf.cast(tf.strings.length(parts.values, unit="UTF8_CHAR"), tf.int64)
    before = tf.cumsum(length, exclusive=True)
    start = before - tf.gather(before, tf.gather(parts.row_starts(), part_row))  # in its row
    new = tf.strings.unicode_decode(tf.where(is_match, content, parts.values), "UTF-8")
    part_of = new.value_rowids()
    index = tf.range(tf.size(part_of, tf.int64)) - tf.gather(new.row_starts(), part_of)
    source = tf.gather(start, part_of) + tf.where(
        tf.gather(is_match, part_of), tf.gather(length, part_of) - 1, index)
    row = tf.gather(part_row, part_of)
    old_start = _row_starts(cps.rows, cps.nrows)
    origin = tf.where(source >= 0, tf.gather(cps.origin, tf.gather(old_start, row) + tf.maximum(
        source, 0)), -1)
    return CodePoints(new.values, row, cps.nrows, origin)


def strip_with_origins(cps: CodePoints, regex: str) -> CodePoints:
    """🤗's Strip: the chars that `regex` (leading and/or trailing whitespace) removes go; the
    others keep their alignments."""
    text = cps.encode()
    length = tf.cast(tf.strings.length(text, unit="UTF8_CHAR"), tf.int64)
    lead = length - tf.cast(tf.strings.length(tf.strings.regex_replace(
        text, "^(?:" + regex + ")", ""), unit="UTF8_CHAR"), tf.int64)
    kept = tf.cast(tf.strings.length(tf.strings.regex_replace(text, regex, ""),
                                     unit="UTF8_CHAR"), tf.int64)
    index = tf.range(tf.size(cps.rows, tf.int64)) - tf.gather(
        _row_starts(cps.rows, cps.nrows), cps.rows)
    first = tf.gather(lead, cps.rows)
    return cps.keep((index >= first) & (index < first + tf.gather(kept, cps.rows)))


def decompose_with_origins(cps: CodePoints, form: str) -> CodePoints:
    """NFD/NFKD: each char's decomposition takes its alignment (🤗: the first char replaces it,
    the others are added after it). The chars come from the whole text's decomposition, which
    differs from the chars' own ones only in the order of reordered combining marks; those
    take alignments by position, as 🤗's do when each mark is a char of its own."""
    import tensorflow_text as tf_text
    parts = tf.strings.unicode_decode(tf_text.normalize_utf8(tf.strings.unicode_encode(
        tf.cast(cps.values, tf.int32)[:, None], "UTF-8"), form), "UTF-8")
    whole = tf.strings.unicode_decode(tf_text.normalize_utf8(cps.encode(), form), "UTF-8")
    origin = tf.repeat(cps.origin, parts.row_lengths())
    if_equal = tf.equal(tf.size(whole.values), tf.size(parts.values))
    values = tf.cond(if_equal, lambda: whole.values, lambda: parts.values)
    return CodePoints(values, tf.repeat(cps.rows, parts.row_lengths()), cps.nrows, origin)
