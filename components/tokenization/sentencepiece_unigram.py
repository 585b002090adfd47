"""🤗's SentencePiece pipeline (its normalizers, Metaspace pre-tokenizer, Unigram model) as TF ops.

🤗 fast tokenizers do not run SentencePiece itself, and differ from it: Precompiled normalizes
per grapheme (see `precompiled_charsmap.py`), Metaspace splits the text into words that start
with "▁", and the Unigram model segments each word on its own, with 🤗's vocabulary (ALBERT's
converter, for one, lowers the scores of pieces like "1,"). So each step follows `tokenizers`:
  - normalizers on code points with tables probed from `tokenizers` (StripAccents, Lowercase)
    and ICU's NFKD/NFKC (tensorflow-text), Precompiled with the checkpoint's own charsmap;
  - Metaspace: " " -> "▁", "▁" prepended by its prepend_scheme, a word at each "▁";
  - Unigram: 🤗's own Viterbi (`unigram_lattice.py`: f64 scores, its tie-breaking, every
    vocabulary entry matchable, runs of unknown characters fused), not SentencePiece's, which
    adds f32 scores and so breaks ties and near-ties otherwise.
"""
from typing import List, Optional

import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text

from tfx_hf.components.tokenization.normalizer_alignments import (
    decompose_with_origins, follow_changes, replace_with_origins, strip_with_origins)
from tfx_hf.components.tokenization.code_points import (
    CodePoints, flag_table, lowercase_table, re2_literal, whitespace_class)
from tfx_hf.components.tokenization.precompiled_charsmap import MAX_GRAPHEME_BYTES, read_charsmap
from tfx_hf.components.tokenization.sentencepiece_fast_path import CR, LF, plan_fast_path
from tfx_hf.components.tokenization.sentencepiece_tables import (
    COMBINING_MARK, FLAG_RANGES, GRAPHEME_CONTROL, GRAPHEME_EXTEND, GRAPHEME_PREPEND)
from tfx_hf.components.tokenization.tokenizer_files import (
    SentencePieceConfig, TokenizerFilesError)
from tfx_hf.components.tokenization.unigram_lattice import UnigramLattice

_CODE_POINT_BITS = 21
_METASPACE = "\u2581".encode("utf-8")


def _flatten(normalizer: Optional[dict]) -> List[dict]:
    if not normalizer:
        return []
    if normalizer.get("type") == "Sequence":
        return [step for inner in normalizer["normalizers"] for step in _flatten(inner)]
    return [normalizer]


class _Precompiled(tf.Module):
    """🤗's Precompiled normalizer: a grapheme under 6 bytes with a key as prefix becomes the
    replacement of its shortest such prefix (the rest of the grapheme is dropped, as in 🤗);
    any other character becomes its own replacement, or stays.

    Grapheme clusters follow Unicode's rules but for the ones that only join clusters of 6 or
    more bytes (Hangul syllables, emoji ZWJ sequences, flags, Indic conjuncts): those clusters
    are normalized character by character either way."""

    def __init__(self, charsmap: str, flags):
        super().__init__(name="precompiled")
        single, multi = read_charsmap(charsmap)
        if any(len(key) > 3 for key in multi):
            raise TokenizerFilesError("precompiled_charsmap has a key of 4 or more characters "
                                      "under 6 bytes; in-graph tokenization does not support it.")
        values = list(dict.fromkeys(list(single.values()) + list(multi.values())))
        index = {value: i for i, value in enumerate(values)}
        single_index = np.full(max(single) + 1 if single else 1, -1, np.int32)
        for cp, value in single.items():
            single_index[cp] = index[value]
        self._single = tf.constant(single_index)
        self._multi = {}
        for length in (2, 3):
            keys = sorted((self._pack([ord(c) for c in key]), index[value])
                          for key, value in multi.items() if len(key) == length)
            self._multi[length] = (tf.constant([k for k, _ in keys] or [-1], tf.int64),
                                   tf.constant([v for _, v in keys] or [-1], tf.int32))
        lengths = [len(v) for v in values]
        self._value_starts = tf.constant(np.cumsum([0] + lengths)[:-1], tf.int32)
        self._value_lengths = tf.constant(lengths or [0], tf.int32)
        self._value_cps = tf.constant([ord(c) for v in values for c in v] or [0], tf.int32)
        self._flags = flags

    @staticmethod
    def _pack(cps):
        packed = 0
        for cp in cps:
            packed = packed << _CODE_POINT_BITS | cp
        return packed

    def __call__(self, cps: CodePoints) -> CodePoints:
        values, rows = cps.values, cps.rows
        n = tf.shape(values, out_type=tf.int64)[0]
        flags = tf.cast(tf.gather(self._flags, values), tf.int32)
        previous = tf.concat([[-1], values[:-1]], 0)
        previous_flags = tf.concat([[GRAPHEME_CONTROL], flags[:-1]], 0)
        same_row = tf.concat([[False], rows[1:] == rows[:-1]], 0)
        control = (flags | previous_flags) & GRAPHEME_CONTROL != 0
        joins = ((previous == CR) & (values == LF)) | (~control & (
            (flags & GRAPHEME_EXTEND != 0) | (previous_flags & GRAPHEME_PREPEND != 0)))
        starts = ~(same_row & joins)
        grapheme = tf.cumsum(tf.cast(starts, tf.int64)) - 1
        n_graphemes = tf.reduce_sum(tf.cast(starts, tf.int64))
        utf8_bytes = 1 + tf.cast(values >= 0x80, tf.int32) + tf.cast(values >= 0x800, tf.int32) \
            + tf.cast(values >= 0x10000, tf.int32)
        grapheme_bytes = tf.math.unsorted_segment_sum(utf8_bytes, grapheme, n_graphemes)
        grapheme_chars = tf.math.unsorted_segment_sum(tf.ones_like(values), grapheme,
                                                      n_graphemes)
        size = tf.shape(self._single)[0]
        own = tf.where(values < size, tf.gather(self._single, tf.minimum(values, size - 1)), -1)

        # Graphemes of 2+ characters under 6 bytes: the replacement of the shortest key prefix.
        whole = (grapheme_bytes <= MAX_GRAPHEME_BYTES) & (grapheme_chars > 1)
        first_cp = tf.boolean_mask(values, starts)  # per grapheme
        replaced = tf.where(whole, tf.boolean_mask(own, starts), -1)
        in_whole = tf.gather(whole, grapheme)
        chars = tf.RaggedTensor.from_value_rowids(
            tf.cast(tf.boolean_mask(values, in_whole), tf.int64),
            tf.boolean_mask(grapheme, in_whole), nrows=n_graphemes)
        packed = tf.cast(first_cp, tf.int64)
        for length in (2, 3):
            padded = chars[:, :length].to_tensor(default_value=0, shape=[None, length])
            packed = tf.bitwise.bitwise_or(tf.bitwise.left_shift(packed, _CODE_POINT_BITS),
                                           padded[:, length - 1])
            keys, key_values = self._multi[length]
            at = tf.minimum(tf.searchsorted(keys, packed, out_type=tf.int64),
                            tf.size(keys, tf.int64) - 1)
            found = (tf.gather(keys, at) == packed) & (chars.row_lengths() >= length)
            replaced = tf.where((replaced < 0) & whole & found, tf.gather(key_values, at),
                                replaced)
        # Per character: a grapheme replaced whole gives its replacement at its first
        # character and nothing at the others; any other character its own replacement.
        grapheme_replacement = tf.gather(replaced, grapheme)
        source = tf.where(grapheme_replacement >= 0, grapheme_replacement, own)
        counts = tf.where(source >= 0, tf.gather(self._value_lengths, tf.maximum(source, 0)), 1)
        counts = tf.where((grapheme_replacement >= 0) & ~starts, 0, counts)
        out_of = tf.repeat(tf.range(n), counts)
        offset = tf.range(tf.reduce_sum(tf.cast(counts, tf.int64))) - tf.gather(
            tf.cumsum(tf.cast(counts, tf.int64), exclusive=True), out_of)
        out_source = tf.gather(source, out_of)
        new_values = tf.where(
            out_source >= 0,
            tf.gather(self._value_cps, tf.gather(self._value_starts, tf.maximum(out_source, 0))
                      + tf.cast(offset, tf.int32)),
            tf.gather(values, out_of))
        if cps.origin is None:
            return CodePoints(new_values, tf.gather(rows, out_of), cps.nrows)
        return follow_changes(cps, new_values, tf.gather(rows, out_of), self._changes(
            cps, starts | (grapheme_replacement < 0), tf.cast(counts, tf.int64), out_of, offset))

    @staticmethod
    def _changes(cps: CodePoints, unit_starts, counts, out_of, offset):
        """🤗's changes (precompiled.rs `replace`) for the new chars: a unit (a grapheme
        replaced whole, or one char) of g chars that becomes m >= 1 chars gives them 0, but 1
        to those past the g-th and g - m less to the last when m < g; a unit that becomes
        nothing lowers the change of the char before it in its text by g (none: nothing)."""
        unit = tf.cumsum(tf.cast(unit_starts, tf.int64)) - 1
        n_units = tf.reduce_sum(tf.cast(unit_starts, tf.int64))
        size = tf.math.unsorted_segment_sum(tf.ones_like(unit), unit, n_units)
        made = tf.math.unsorted_segment_sum(counts, unit, n_units)
        new_unit = tf.gather(unit, out_of)
        g, m = tf.gather(size, new_unit), tf.gather(made, new_unit)
        changes = tf.where(offset >= g, tf.ones_like(g),
                           tf.where((offset == m - 1) & (m < g), m - g, 0))
        new_rows = tf.gather(cps.rows, out_of)
        first_new = tf.cumsum(tf.math.unsorted_segment_sum(
            tf.ones_like(new_rows), new_rows, cps.nrows), exclusive=True)
        previous = tf.cumsum(made, exclusive=True) - 1  # the new char before each unit
        unit_rows = tf.boolean_mask(cps.rows, unit_starts)
        removing = (made == 0) & (previous >= tf.gather(first_new, unit_rows))
        removed = tf.math.unsorted_segment_sum(tf.where(removing, size, 0), tf.where(
            removing, previous, 0), tf.size(out_of, tf.int64))
        return changes - removed


# Replace patterns that only ever match spaces (XLM-R's collapse of space runs).
_SPACE_RUN_REGEXES = (" {2,}", " +", "  +")


def _keeps_space_cuts(step: dict) -> bool:
    """Whether a normalizer step leaves a cut before an ASCII space that follows printable
    ASCII as it is (truncation_prefix.py): all but a Replace whose pattern could match across
    that space (a string with a space and other chars, a regex other than a space run)."""
    if step.get("type") != "Replace":
        return True
    pattern = step["pattern"]
    if "String" in pattern:
        return " " not in pattern["String"] or not pattern["String"].strip(" ")
    return pattern.get("Regex") in _SPACE_RUN_REGEXES


class SentencePieceUnigram(tf.Module):
    """Texts ([n] strings) to Unigram ids ([n, (tokens)] int64), without special tokens, in two
    steps as 🤗 runs them (added tokens marked `normalized` are found between the two):
    `normalize` and `tokenize_normalized`."""

    writes_valid_utf8 = True  # normalize() reads invalid UTF-8 as U+FFFD first

    def __init__(self, config: SentencePieceConfig, name=None):
        super().__init__(name=name)
        if config.replacement != "\u2581" or not config.split:
            raise TokenizerFilesError(
                f"Metaspace with replacement={config.replacement!r}, split={config.split} is not "
                "supported in-graph (replacement '▁' with split=true is).")
        if config.prepend_scheme not in ("always", "first", "never"):
            raise TokenizerFilesError(f"Metaspace prepend_scheme {config.prepend_scheme!r} is "
                                      "not supported (always, first and never are).")
        self.prepend_scheme = config.prepend_scheme
        flags, lower = flag_table(FLAG_RANGES), lowercase_table()
        self._flags, self._lower = tf.constant(flags), tf.constant(lower)
        steps = _flatten(config.normalizer)
        self.cuts_at_spaces = all(_keeps_space_cuts(step) for step in steps)
        self._steps = [self._step(step) for step in steps]
        self._origin_steps = [self._origin_step(step, exact)
                              for step, exact in zip(steps, self._steps)]
        self.fast_path = plan_fast_path(steps, self._steps, flags, lower)
        self._lattice = UnigramLattice(config.pieces, config.unk_id)

    def _step(self, step: dict):
        """A normalizer step as a function of [n] strings."""
        kind = step.get("type")
        if kind == "Replace":
            pattern = step["pattern"]
            regex = re2_literal(pattern["String"]) if "String" in pattern else pattern["Regex"]
            content = step["content"].replace("\\", "\\\\")
            return lambda text: tf.strings.regex_replace(text, regex, content)
        if kind in ("NFC", "NFD", "NFKC", "NFKD"):
            return lambda text: tf_text.normalize_utf8(text, kind)
        if kind == "StripAccents":
            return self._on_code_points(lambda cps: cps.keep(
                tf.gather(self._flags, cps.values) & COMBINING_MARK == 0))
        if kind == "Lowercase":
            return self._on_code_points(lambda cps: cps.lowercase(self._lower))
        if kind == "Precompiled":
            if not step.get("precompiled_charsmap"):
                return lambda text: text
            precompiled = _Precompiled(step["precompiled_charsmap"], self._flags)
            return self._on_code_points(precompiled)
        if kind == "Strip":
            space = whitespace_class()
            left = f"^{space}+" if step.get("strip_left") else ""
            right = f"{space}+$" if step.get("strip_right") else ""
            regex = "|".join(p for p in (left, right) if p)
            return (lambda text: tf.strings.regex_replace(text, regex, "")) if regex else \
                (lambda text: text)
        raise TokenizerFilesError(
            f"normalizer {kind!r} is not supported in-graph for SentencePiece tokenizers "
            "(Replace, NFC/NFD/NFKC/NFKD, StripAccents, Lowercase, Precompiled and Strip are).")

    @staticmethod
    def _on_code_points(fn):
        return lambda text: fn(CodePoints.decode(text)).encode()

    def _origin_step(self, step: dict, exact):
        """A normalizer step as a function of CodePoints that carries each char's origin as
        🤗's alignments do (normalizer_alignments.py), or None where offsets are refused."""
        kind = step.get("type")
        if kind == "Replace":
            pattern = step["pattern"]
            regex = re2_literal(pattern["String"]) if "String" in pattern else pattern["Regex"]
            return lambda cps: replace_with_origins(cps, regex, step["content"])
        if kind in ("NFD", "NFKD"):
            return lambda cps: decompose_with_origins(cps, kind)
        if kind == "StripAccents":
            return lambda cps: cps.keep(tf.gather(self._flags, cps.values) & COMBINING_MARK == 0)
        if kind == "Lowercase":
            return lambda cps: cps.lowercase(self._lower)
        if kind == "Precompiled":
            if not step.get("precompiled_charsmap"):
                return lambda cps: cps
            return _Precompiled(step["precompiled_charsmap"], self._flags)
        if kind == "Strip":
            space = whitespace_class()
            regex = "|".join(p for p in (f"^{space}+" if step.get("strip_left") else "",
                                         f"{space}+$" if step.get("strip_right") else "") if p)
            return (lambda cps: strip_with_origins(cps, regex)) if regex else (lambda cps: cps)
        return None  # NFC, NFKC: compositions' alignments are not followed here

    @property
    def offsets_refusal(self) -> Optional[str]:
        """Why return_offsets_mapping is refused for this normalizer, or None."""
        if any(step is None for step in self._origin_steps):
            return ("return_offsets_mapping=True is not supported for a SentencePiece "
                    "normalizer with NFC or NFKC (Precompiled, NFD, NFKD, Replace, Strip, "
                    "StripAccents and Lowercase are).")
        return None

    def normalize_with_origins(self, text) -> CodePoints:
        """The normalized texts as code points, each with the index of the char of `text` it
        comes from (🤗's alignment), -1 where 🤗's is (0, 0)."""
        cps = CodePoints.decode(text)
        cps.origin = tf.range(tf.size(cps.rows, tf.int64)) - tf.gather(
            tf.cumsum(tf.math.unsorted_segment_sum(tf.ones_like(cps.rows), cps.rows,
                                                   cps.nrows), exclusive=True), cps.rows)
        for step in self._origin_steps:
            cps = step(cps)
        return cps

    def encode_with_offsets(self, text):
        """([n, (ids)], [n, (starts)], [n, (ends)]): ids with each token's code point range in
        its text, as 🤗's offsets through the normalizer's alignments."""
        from tfx_hf.components.tokenization.added_tokens import encode_normalized_with_offsets
        return encode_normalized_with_offsets(self, text, ())

    def normalize(self, text) -> tf.Tensor:
        if self.fast_path is None:
            return self._exact_normalize(text)
        # Rows of fast-path characters only (see sentencepiece_fast_path.py; so valid UTF-8)
        # take the string-level variants of the steps, the others the exact ones; rows keep
        # their order.
        fast = tf.strings.regex_full_match(text, self.fast_path.row_pattern)
        fast_rows = tf.cast(tf.where(fast)[:, 0], tf.int32)
        exact_rows = tf.cast(tf.where(~fast)[:, 0], tf.int32)
        fast_text = tf.gather(text, fast_rows)
        for step in self.fast_path.steps:
            fast_text = step(fast_text)
        exact_text = self._exact_normalize(tf.gather(text, exact_rows))
        return tf.dynamic_stitch([fast_rows, exact_rows], [fast_text, exact_text])

    def _exact_normalize(self, text):
        # Invalid UTF-8 reads as U+FFFD first, so that the regex steps see valid text.
        text = tf.strings.unicode_transcode(text, "UTF-8", "UTF-8", errors="replace",
                                            replacement_char=0xFFFD)
        for step in self._steps:
            text = step(text)
        return text

    def tokenize_normalized(self, text, at_start=None) -> tf.RaggedTensor:
        """Normalized texts to ids; `at_start` says which texts begin their input (for
        prepend_scheme="first")."""
        words, word_rows, _ = self._metaspace(text, at_start)
        ids, _, _ = self._lattice(words)
        return tf.RaggedTensor.from_value_rowids(ids.values,
                                                 tf.gather(word_rows, ids.value_rowids()),
                                                 nrows=tf.shape(text, out_type=tf.int64)[0])

    def tokenize_with_positions(self, text, at_start=None):
        """`tokenize_normalized` with each token's first and last char in its text (a "▁"
        that Metaspace prepended is at the first char, whose alignment 🤗 gives it)."""
        words, word_rows, shift = self._metaspace(text, at_start)
        ids, starts, ends = self._lattice(words)
        word_shift = tf.gather(shift, ids.value_rowids())
        rows = tf.gather(word_rows, ids.value_rowids())
        nrows = tf.shape(text, out_type=tf.int64)[0]
        return tuple(tf.RaggedTensor.from_value_rowids(values, rows, nrows=nrows) for values in (
            ids.values, tf.maximum(starts.values + word_shift, 0),
            tf.maximum(ends.values - 1 + word_shift, 0)))

    def _metaspace(self, text, at_start):
        """(words, the text of each, the position in its text of each word's char 0 minus one
        where that char is a prepended "▁")."""
        # Metaspace on bytes: " " becomes "▁" and a word starts at each "▁": the text is split
        # at each of them (as " ": one byte, and the split needs no regex), every part but the
        # first becomes a word with "▁" put back, the first one too where the scheme prepends
        # "▁" (a text that starts with neither), or where it is not empty.
        parts = tf.strings.split(tf.strings.regex_replace(text, "\\x{2581}", " "), sep=" ")
        part_rows = parts.value_rowids()
        first_part = tf.equal(tf.range(tf.shape(parts.values, out_type=tf.int64)[0]),
                              tf.gather(parts.row_starts(), part_rows))
        prepend = tf.strings.length(parts.values) > 0  # on first parts: not starting with "▁"
        if self.prepend_scheme == "never":
            prepend &= False
        elif self.prepend_scheme == "first" and at_start is not None:
            prepend &= tf.gather(at_start, part_rows)
        keep = ~first_part | tf.not_equal(parts.values, "")
        words = tf.boolean_mask(tf.strings.join(
            [tf.where(~first_part | prepend, _METASPACE, b""), parts.values]), keep)
        # Each part starts one char (its "▁") after the previous one ends.
        spans = tf.cast(tf.strings.length(parts.values, unit="UTF8_CHAR"), tf.int64) + 1
        before = tf.cumsum(spans, exclusive=True)
        part_start = before - tf.gather(before, tf.gather(parts.row_starts(), part_rows))
        shift = tf.where(first_part, -tf.cast(prepend, tf.int64), part_start - 1)
        return words, tf.boolean_mask(part_rows, keep), tf.boolean_mask(shift, keep)

    def __call__(self, text, at_start=None) -> tf.RaggedTensor:
        return self.tokenize_normalized(self.normalize(text), at_start)
