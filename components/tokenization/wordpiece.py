"""🤗's BERT tokenization pipeline (BertNormalizer, BertPreTokenizer, WordPiece) as TF ops.

Each step follows `tokenizers` (Rust) exactly, with per-code-point tables probed from it
(`unicode_tables.py`) rather than ICU's or RE2's Unicode data, which differ from Rust's:
  - clean_text drops NUL, U+FFFD and control/format/private-use chars, whitespace -> " ";
  - handle_chinese_chars makes each CJK ideograph a word of its own;
  - strip_accents is NFD then dropping nonspacing marks, done before lowercase (🤗's order);
  - lowercase is Rust's char::to_lowercase: per code point, no casefolding ("ß" stays, "ς"
    stays, "Σ" is always "σ"), and "İ" becomes "i̇" (two code points);
  - words split on whitespace, each punctuation char a word of its own (ASCII punctuation,
    including $+<=>^`|~, and Unicode P*);
  - a word longer than max_input_chars_per_word CHARACTERS (not bytes) is one [UNK].
The work runs on code points (int32); NFD and WordPiece are the only string-level ops.
Offsets (`encode_with_offsets`) carry each code point's index in the original text through
these steps and map WordPiece's byte offsets in each word back through them.
That is the exact path. Rows of characters tensorflow-text's FastBertTokenizer was probed to
treat as 🤗 does (make_fast_bert_tables.py), or renamed to such stand-ins first
(wordpiece_stand_ins.py), take FastBertTokenizer instead: most rows of most corpora.
"""
import re
from typing import NamedTuple

import tensorflow as tf
import tensorflow_text as tf_text

from tfx_hf.components.tokenization.code_points import CodePoints, flag_table, lowercase_table
from tfx_hf.components.tokenization.tokenizer_files import TokenizerFilesError, WordPieceConfig
from tfx_hf.components.tokenization.unicode_tables import (
    CJK, CLEAN_REMOVE, CLEAN_SPACE, FLAG_RANGES, NONSPACING_MARK, PUNCTUATION, WHITESPACE)
from tfx_hf.components.tokenization.wordpiece_stand_ins import StandIns

_NONCHARACTER = re.compile("[\ufdd0-\ufdef" + "".join(
    chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17)) + "]")
_FAST_PATH_ASCII = "\\x{20}-\\x{7E}\\t\\n\\r"


class BertWordPiece(tf.Module):
    """Texts ([n] strings) to WordPiece ids ([n, (tokens)] int64), without special tokens."""

    cuts_at_spaces = True  # words end at whitespace (truncation_prefix.py)

    def __init__(self, config: WordPieceConfig, name=None):
        super().__init__(name=name)
        self.clean_text = config.clean_text
        self.handle_chinese_chars = config.handle_chinese_chars
        self.lowercase = config.lowercase
        self.strip_accents = (config.lowercase if config.strip_accents is None
                              else config.strip_accents)
        self.max_chars = config.max_input_chars_per_word
        self.unk_token = config.unk_token
        config.token_id(config.unk_token)  # fails naming it when it is not in the vocabulary
        if any(_NONCHARACTER.search(token) for token in config.vocab):
            raise TokenizerFilesError("The vocabulary has a token with a Unicode noncharacter; "
                                      "in-graph tokenization does not support that.")
        self._stand_ins = StandIns(config.vocab, config.unk_token,
                                   config.continuing_subword_prefix, bool(config.lowercase)
                                   ) if _probed_settings(config) else None
        # (Settings other than those probed: £ and € only.)
        fast = self._stand_ins.fast if self._stand_ins else [(0xA3, 0xA3), (0x20AC, 0x20AC)]
        self._fast_path_text = _text_of(fast)
        if self._stand_ins:
            self._renamable_text = _text_of(self._stand_ins.renamable)
        self._flags = tf.constant(flag_table(FLAG_RANGES))
        self._lower = tf.constant(lowercase_table())
        try:
            self._build_wordpiece(config)
        except RuntimeError as e:  # tensorflow-text's limits, e.g. tokens over 256 bytes
            raise TokenizerFilesError(f"tensorflow-text cannot build this vocabulary: {e}") from e

    def _build_wordpiece(self, config: WordPieceConfig):
        self._wordpiece = tf_text.FastWordpieceTokenizer(
            vocab=list(config.vocab), suffix_indicator=config.continuing_subword_prefix,
            # Words over max_chars characters are made [UNK] below; shorter ones have at most
            # 4 bytes per character, so the byte limit never cuts in first.
            max_bytes_per_word=4 * self.max_chars + 4, token_out_type=tf.int64,
            unknown_token=config.unk_token, no_pretokenization=True,
            support_detokenization=False)
        # Only for texts where it agrees with 🤗 (see __call__), with the stand-ins' renaming.
        # Its words are within max_chars characters (see __call__): its byte limit must not cut
        # in first.
        stand_ins = self._stand_ins
        self._fast_bert = tf_text.FastBertTokenizer(
            vocab=stand_ins.vocab if stand_ins else list(config.vocab),
            suffix_indicator=config.continuing_subword_prefix,
            max_bytes_per_word=4 * self.max_chars, token_out_type=tf.int64,
            unknown_token=stand_ins.unk_token if stand_ins else config.unk_token,
            lower_case_nfd_strip_accents=config.lowercase)

    def _flags_of(self, values):
        return tf.cast(tf.gather(self._flags, values), tf.int32)

    def _normalize_with_origin(self, text) -> CodePoints:
        """`_normalize` with each code point's index in the original text. NFD runs per
        character here (tensorflow-text has offsets maps for NFC/NFKC only): that differs from
        the whole text's NFD only in the order of the combining marks it reorders, nearly all
        nonspacing marks, which strip_accents drops."""
        chars = tf.strings.unicode_decode(text, "UTF-8", errors="replace",
                                          replacement_char=0xFFFD)
        rows = chars.value_rowids()
        index = tf.range(tf.size(rows, tf.int64)) - tf.gather(chars.row_starts(), rows)
        if not self.strip_accents:
            return self._clean_strip_lower(CodePoints(chars.values, rows, chars.nrows(), index))
        parts = tf.strings.unicode_decode(tf_text.normalize_utf8(tf.strings.unicode_encode(
            chars.values[:, None], "UTF-8"), "NFD"), "UTF-8")
        # Encoding wrote noncharacters as U+FFFD (one code point, as NFD leaves it): put
        # them back.
        original = tf.gather(chars.values, parts.value_rowids())
        nonchar = tf.equal(original & 0xFFFE, 0xFFFE) | \
            ((original >= 0xFDD0) & (original <= 0xFDEF))
        return self._clean_strip_lower(CodePoints(
            tf.where(nonchar, original, parts.values), tf.gather(rows, parts.value_rowids()),
            chars.nrows(), tf.gather(index, parts.value_rowids())))

    def _normalize(self, text) -> CodePoints:
        if self.strip_accents:
            # NFD first, on the raw text (🤗 runs it after clean_text: the two orders differ
            # only where a dropped control char separates combining marks that NFD would
            # reorder and that are not nonspacing marks, all dropped next). It also reads
            # invalid UTF-8 as U+FFFD, as decoding does.
            text = tf_text.normalize_utf8(text, "NFD")
        return self._clean_strip_lower(CodePoints.decode(text))

    def _clean_strip_lower(self, cps: CodePoints) -> CodePoints:
        if self.clean_text:
            flags = self._flags_of(cps.values)
            cps.values = tf.where(flags & CLEAN_SPACE != 0, 32, cps.values)
            cps = cps.keep(flags & CLEAN_REMOVE == 0)
        if self.strip_accents:
            cps = cps.keep(self._flags_of(cps.values) & NONSPACING_MARK == 0)
        if self.lowercase:
            cps = cps.lowercase(self._lower, expand_capital_i_with_dot=not self.strip_accents)
        return cps

    def __call__(self, text, at_start=None) -> tf.RaggedTensor:
        """`at_start` (which texts begin their input) is the encoders' common signature; BERT's
        pre-tokenization does not depend on it."""
        # Texts of printable ASCII and the characters FastBertTokenizer was probed to treat as
        # 🤗 does, or that have a stand-in (renamed first: wordpiece_stand_ins.py), whose
        # whitespace-separated runs are at most max_input_chars_per_word bytes (so their words
        # are within that many characters once normalized: make_fast_bert_tables.py) need none
        # of the steps where it differs from 🤗 (its Unicode tables, byte-counted word limit):
        # they take that fast path, the others the exact one; rows keep their order.
        fast = tf.strings.regex_full_match(text, self._fast_path_text)
        fast_text = text
        if self._stand_ins:
            others = tf.where(~fast)[:, 0]
            renamable = tf.boolean_mask(others, tf.strings.regex_full_match(
                tf.gather(text, others), self._renamable_text))
            fast_text = tf.tensor_scatter_nd_update(
                text, renamable[:, None], self._stand_ins(tf.gather(text, renamable)))
            fast = tf.tensor_scatter_nd_update(fast, renamable[:, None],
                                               tf.ones_like(renamable, tf.bool))
        fast &= ~self._has_long_run(fast_text)
        # (A batch with no row for the exact path, the usual case, skips its ~100 ops.)
        return tf.cond(tf.reduce_all(fast), lambda: self._fast_bert.tokenize(fast_text),
                       lambda: self._by_path(text, fast_text, fast))

    def _by_path(self, text, fast_text, fast) -> tf.RaggedTensor:
        """The `fast` rows of `fast_text` by FastBert, the others of `text` by the exact path,
        in order."""
        fast_rows, exact_rows = tf.where(fast)[:, 0], tf.where(~fast)[:, 0]
        ids = tf.concat([self._fast_bert.tokenize(tf.gather(fast_text, fast_rows)),
                         self._exact(tf.gather(text, exact_rows))], axis=0)
        return tf.gather(ids, tf.argsort(tf.concat([fast_rows, exact_rows], 0)))

    def _has_long_run(self, text):
        """Which texts have a run without ASCII whitespace of over max_chars bytes. A run of
        fewer than max_chars // 4 + 1 characters has at most max_chars bytes: one RE2 scan
        finds the few texts where the bytes must be counted."""
        maybe = tf.where(tf.strings.regex_full_match(
            text, f"\\C*[^\\t\\n\\r ]{{{self.max_chars // 4 + 1}}}\\C*"))[:, 0]
        runs = tf.strings.split(tf.gather(text, maybe))  # on ASCII whitespace
        long = tf.reduce_any(
            runs.with_values(tf.strings.length(runs.values) > self.max_chars), axis=1)
        return tf.scatter_nd(maybe[:, None], long, tf.shape(text, out_type=tf.int64))

    def encode_with_offsets(self, text):
        """([n, (ids)], [n, (starts)], [n, (ends)]): the exact path's ids with each token's
        code point range in the text, as 🤗's offsets (a "##" piece covers its own chars; an
        [UNK] word, the whole word)."""
        cps = self._normalize_with_origin(text)
        words, chars, word_rows = self._words(cps)
        ids, byte_starts, byte_ends = self._wordpiece.tokenize_with_offsets(words.strings)
        # The char (in `chars.values`) of each byte of the words' UTF-8: pieces' byte offsets
        # to chars. (Noncharacter words are [UNK]: their bytes do not matter.)
        n_bytes = _utf8_lengths(chars.values)
        char_of_byte = tf.repeat(tf.range(tf.size(n_bytes, tf.int64)), n_bytes)
        word_byte = tf.gather(tf.concat([[0], tf.cumsum(n_bytes)], 0), chars.row_starts())
        piece_word = ids.value_rowids()
        base = tf.gather(word_byte, piece_word)
        first = tf.gather(char_of_byte, base + byte_starts.values)
        last = tf.gather(char_of_byte, base + tf.maximum(byte_ends.values - 1, 0))
        unknown = tf.gather(words.unknown, piece_word)
        first = tf.where(unknown, tf.gather(chars.row_starts(), piece_word), first)
        last = tf.where(unknown, tf.gather(chars.row_limits(), piece_word) - 1, last)
        starts = tf.gather(words.origin, first)
        ends = tf.gather(words.origin, last) + 1

        def by_text(values):
            return tf.RaggedTensor.from_value_rowids(ids.with_values(values), word_rows,
                                                     nrows=cps.nrows).merge_dims(1, 2)
        return by_text(ids.values), by_text(starts), by_text(ends)

    def _exact(self, text) -> tf.RaggedTensor:
        words, _, word_rows = self._words(self._normalize(text))
        pieces = self._wordpiece.tokenize(words.strings)  # [words, (pieces)]
        by_text = tf.RaggedTensor.from_value_rowids(pieces, word_rows, nrows=tf.shape(
            text, out_type=tf.int64)[0])
        return by_text.merge_dims(1, 2)

    def _words(self, cps: CodePoints):
        """(words, their chars [words, (code points)], the text of each word): BERT's
        pre-tokenization of normalized code points; `words.strings` has unk_token for a word
        WordPiece must not see (over max_input_chars_per_word, or with a noncharacter)."""
        flags = self._flags_of(cps.values)
        space = flags & WHITESPACE != 0
        isolated_flags = PUNCTUATION | (CJK if self.handle_chinese_chars else 0)
        isolated = flags & isolated_flags != 0
        previous_row = tf.concat([tf.constant([-1], tf.int64), cps.rows], 0)[:-1]
        after_break = tf.concat([[True], space | isolated], 0)[:-1] | (cps.rows != previous_row)
        starts = ~space & (isolated | after_break)
        word_of_char = tf.cumsum(tf.cast(starts, tf.int64)) - 1
        n_words = tf.reduce_sum(tf.cast(starts, tf.int64))
        chars = tf.RaggedTensor.from_value_rowids(
            tf.boolean_mask(cps.values, ~space), tf.boolean_mask(word_of_char, ~space),
            nrows=n_words)
        words = tf.strings.unicode_encode(chars, "UTF-8")
        # Encoding turns noncharacters (U+FDD0..U+FDEF, U+xFFFE/F) into U+FFFD; no vocabulary
        # token has them, so for 🤗 such a word is [UNK], like an over-long one.
        values = chars.values
        nonchar = tf.equal(values & 0xFFFE, 0xFFFE) | ((values >= 0xFDD0) & (values <= 0xFDEF))
        unknown = (chars.row_lengths() > self.max_chars) | tf.reduce_any(
            chars.with_values(nonchar), axis=1)
        origin = None if cps.origin is None else tf.boolean_mask(cps.origin, ~space)
        return (_Words(tf.where(unknown, self.unk_token, words), unknown, origin), chars,
                tf.boolean_mask(cps.rows, starts))


def _probed_settings(config: WordPieceConfig) -> bool:
    """Whether the BertNormalizer settings are those make_fast_bert_tables.py probed
    FastBertTokenizer with: clean_text, handle_chinese_chars, strip_accents as lowercase."""
    return bool(config.clean_text and config.handle_chinese_chars and (
        config.strip_accents is None or config.strip_accents == config.lowercase))


def _text_of(ranges) -> str:
    """RE2 for a text of printable ASCII and the code points in `ranges`."""
    return "[" + _FAST_PATH_ASCII + "".join(
        f"\\x{{{first:x}}}-\\x{{{last:x}}}" for first, last in ranges) + "]*"


class _Words(NamedTuple):
    strings: tf.Tensor
    unknown: tf.Tensor
    origin: tf.Tensor  # of each char of the words, in order, or None


def _utf8_lengths(cps):
    return 1 + tf.cast(cps >= 0x80, tf.int64) + tf.cast(cps >= 0x800, tf.int64) + \
        tf.cast(cps >= 0x10000, tf.int64)
