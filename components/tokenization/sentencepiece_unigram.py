"""🤗's SentencePiece pipeline (its normalizers, Metaspace pre-tokenizer, Unigram model) as TF ops.

🤗 fast tokenizers do not run SentencePiece itself, and differ from it: Precompiled normalizes
per grapheme (see `precompiled_charsmap.py`), Metaspace splits the text into words that start
with "▁", and the Unigram model segments each word on its own, with 🤗's vocabulary (ALBERT's
converter, for one, lowers the scores of pieces like "1,"). So each step follows `tokenizers`:
  - normalizers on code points with tables probed from `tokenizers` (StripAccents, Lowercase)
    and ICU's NFKD/NFKC (tensorflow-text), Precompiled with the checkpoint's own charsmap;
  - Metaspace: " " -> "▁", "▁" prepended by its prepend_scheme, a word at each "▁";
  - Unigram: tensorflow-text's SentencepieceTokenizer (SentencePiece's own Viterbi, as 🤗's)
    on a model proto written here from 🤗's vocabulary and scores, that does no normalization
    of its own and can match every piece 🤗 can (control tokens and "<unk>" included).
"""
from typing import List, Optional

import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text

from tfx_hf.components.tokenization.code_points import (
    CodePoints, flag_table, lowercase_table, re2_literal, whitespace_class)
from tfx_hf.components.tokenization.precompiled_charsmap import MAX_GRAPHEME_BYTES, read_charsmap
from tfx_hf.components.tokenization.sentencepiece_fast_path import CR, LF, plan_fast_path
from tfx_hf.components.tokenization.sentencepiece_tables import (
    COMBINING_MARK, FLAG_RANGES, GRAPHEME_CONTROL, GRAPHEME_EXTEND, GRAPHEME_PREPEND)
from tfx_hf.components.tokenization.tokenizer_files import (
    SentencePieceConfig, TokenizerFilesError)

_CODE_POINT_BITS = 21
_METASPACE = "\u2581".encode("utf-8")


def unigram_model_proto(pieces, unk_id: int):
    """A serialized SentencePiece ModelProto that segments one Metaspace word as 🤗's Unigram
    does, and a map of the extra piece ids to 🤗's.

    🤗 can match every vocabulary entry (SentencePiece skips control and unknown pieces) and
    gives a duplicated piece the LAST id; the unknown piece keeps its id with an unmatchable
    text and a normal copy of it goes at the end. No normalization, prefix or whitespace
    handling: Metaspace did those. The proto class is the one transformers uses (from the
    `sentencepiece` package when installed, else transformers' own copy), so building needs
    only protobuf and transformers."""
    from transformers.convert_slow_tokenizer import import_protobuf
    model = import_protobuf().ModelProto()
    piece_type = model.SentencePiece.Type
    last_id = {piece: i for i, (piece, _) in enumerate(pieces)}
    for i, (piece, score) in enumerate(pieces):
        if last_id[piece] == i and i != unk_id and piece:
            model.pieces.add(piece=piece, score=score, type=piece_type.NORMAL)
        else:  # a Metaspace word has "▁" first or nowhere: this never matches
            model.pieces.add(piece=f"\u2581\u2581tfx-hf-unused-{i}", score=score,
                             type=piece_type.UNKNOWN if i == unk_id else piece_type.UNUSED)
    extra_ids = []
    unk_piece, unk_score = pieces[unk_id]
    if last_id[unk_piece] == unk_id and unk_piece:
        model.pieces.add(piece=unk_piece, score=unk_score, type=piece_type.NORMAL)
        extra_ids.append(unk_id)
    trainer = model.trainer_spec
    trainer.model_type = trainer.ModelType.UNIGRAM
    trainer.vocab_size = len(model.pieces)
    trainer.unk_id = unk_id
    trainer.bos_id = trainer.eos_id = trainer.pad_id = -1
    normalizer = model.normalizer_spec
    normalizer.name = "identity"
    normalizer.add_dummy_prefix = False
    normalizer.remove_extra_whitespaces = False
    normalizer.escape_whitespaces = False
    return model.SerializeToString(), extra_ids


def _commuting_classes(pieces: List[str]):
    """Per piece, the id of its primitive root (pieces commute iff their roots are equal) and
    how many times the root repeats in it."""
    root_ids, roots, exponents = {}, [], []
    for piece in pieces:
        n = len(piece)
        period = next((p for p in range(1, n) if n % p == 0 and piece[:p] * (n // p) == piece),
                      n)
        roots.append(root_ids.setdefault(piece[:period], len(root_ids)))
        exponents.append(n // max(period, 1))
    return roots, exponents


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
        return CodePoints(new_values, tf.gather(rows, out_of), cps.nrows)


class SentencePieceUnigram(tf.Module):
    """Texts ([n] strings) to Unigram ids ([n, (tokens)] int64), without special tokens, in two
    steps as 🤗 runs them (added tokens marked `normalized` are found between the two):
    `normalize` and `tokenize_normalized`."""

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
        self._steps = [self._step(step) for step in steps]
        self.fast_path = plan_fast_path(steps, self._steps, flags, lower)
        model, extra_ids = unigram_model_proto(config.pieces, config.unk_id)
        self._extra_ids = tf.constant([0] * len(config.pieces) + extra_ids, tf.int64)
        self._n_pieces = len(config.pieces)
        roots, exponents = _commuting_classes([piece for piece, _ in config.pieces])
        self._roots = tf.constant(roots, tf.int64)
        self._exponents = tf.constant(exponents, tf.int64)
        try:
            self._unigram = tf_text.SentencepieceTokenizer(model=model, out_type=tf.int32)
        except Exception as e:  # the op raises whatever its C++ status was
            raise TokenizerFilesError(
                f"tensorflow-text cannot build this SentencePiece vocabulary: {e}") from e

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

    def normalize(self, text) -> tf.Tensor:
        # Invalid UTF-8 reads as U+FFFD first, so that the regex steps see valid text.
        text = tf.strings.unicode_transcode(text, "UTF-8", "UTF-8", errors="replace",
                                            replacement_char=0xFFFD)
        if self.fast_path is None:
            return self._exact_normalize(text)
        # Rows of fast-path characters only (see sentencepiece_fast_path.py) take the
        # string-level variants of the steps, the others the exact ones; rows keep their order.
        fast = tf.strings.regex_full_match(text, self.fast_path.row_pattern)
        fast_rows = tf.cast(tf.where(fast)[:, 0], tf.int32)
        exact_rows = tf.cast(tf.where(~fast)[:, 0], tf.int32)
        fast_text = tf.gather(text, fast_rows)
        for step in self.fast_path.steps:
            fast_text = step(fast_text)
        exact_text = self._exact_normalize(tf.gather(text, exact_rows))
        return tf.dynamic_stitch([fast_rows, exact_rows], [fast_text, exact_text])

    def _exact_normalize(self, text):
        for step in self._steps:
            text = step(text)
        return text

    def tokenize_normalized(self, text, at_start=None) -> tf.RaggedTensor:
        """Normalized texts to ids; `at_start` says which texts begin their input (for
        prepend_scheme="first")."""
        # Metaspace on bytes: " " becomes "▁" and a word starts at each "▁": the text is split
        # at each of them (as " ": one byte, and the split needs no regex), every part but the
        # first becomes a word with "▁" put back, the first one too where the scheme prepends
        # "▁" (a text that starts with neither), or where it is not empty.
        parts = tf.strings.split(tf.strings.regex_replace(text, "\\x{2581}", " "), sep=" ")
        first_part = tf.equal(tf.range(tf.shape(parts.values, out_type=tf.int64)[0]),
                              tf.gather(parts.row_starts(), parts.value_rowids()))
        prepend = tf.strings.length(parts.values) > 0  # on first parts: not starting with "▁"
        if self.prepend_scheme == "never":
            prepend &= False
        elif self.prepend_scheme == "first" and at_start is not None:
            prepend &= tf.gather(at_start, parts.value_rowids())
        keep = ~first_part | tf.not_equal(parts.values, "")
        words = tf.boolean_mask(tf.strings.join(
            [tf.where(~first_part | prepend, _METASPACE, b""), parts.values]), keep)
        word_rows = tf.boolean_mask(parts.value_rowids(), keep)
        ids = tf.cast(self._unigram.tokenize(words), tf.int64)
        # The copy of the unknown piece (see unigram_model_proto) is 🤗's unknown id.
        flat = tf.where(ids.values >= self._n_pieces, tf.gather(self._extra_ids, ids.values),
                        ids.values)
        flat = self._order_commuting_runs(flat, ids.value_rowids())
        return tf.RaggedTensor.from_value_rowids(flat, tf.gather(word_rows, ids.value_rowids()),
                                                 nrows=parts.nrows())

    def _order_commuting_runs(self, ids, words):
        """🤗's order for segmentations that tie exactly.

        Adjacent pieces that are powers of one string ("é"×14, "é"×15) can be swapped without
        changing the text or the score. 🤗's Viterbi keeps the first best path it meets, which
        ends with the longest such piece, so a run of them comes out shortest first;
        SentencePiece's comes out the other way. Each run within a word is sorted by length.
        """
        roots = tf.gather(self._roots, ids)
        starts = tf.concat([[True], (roots[1:] != roots[:-1]) | (words[1:] != words[:-1])],
                           0)[:tf.shape(ids)[0]]  # no ids: no runs
        exponents = tf.gather(self._exponents, ids)

        def sort_runs():
            runs = tf.cumsum(tf.cast(starts, tf.int64)) - 1
            keys = runs * (tf.reduce_max(self._exponents) + 1) + exponents
            return tf.gather(ids, tf.argsort(keys, stable=True))

        out_of_order = ~starts[1:] & (exponents[1:] < exponents[:-1])
        return tf.cond(tf.reduce_any(out_of_order), sort_runs, lambda: ids)

    def __call__(self, text, at_start=None) -> tf.RaggedTensor:
        return self.tokenize_normalized(self.normalize(text), at_start)
