"""🤗's byte-level BPE (ByteLevel pre-tokenizer, BPE model: GPT-2, RoBERTa, BART, DeBERTa v1,
Longformer) as TF ops, vectorized over the whole batch.

Each step follows `tokenizers` (Rust: pre_tokenizers/byte_level.rs, models/bpe/):
  - ByteLevel splits each text by GPT-2's regex
    `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+`, matched by
    Oniguruma. RE2 (tf.strings.regex_*) has no lookahead and other Unicode tables, so the
    splits are computed here on code points, from per-code-point classes probed from
    `tokenizers` (`byte_level_tables.py`): a pre-token starts where the class changes, a " "
    joins the run after it, a whitespace run followed by a non-space leaves its last char to
    the next match, and a lowercase contraction starts where a match can start. With
    add_prefix_space, a " " goes before every text (and every text between added tokens)
    that has none;
  - each pre-token's UTF-8 bytes are BPE symbols (the byte-to-unicode map only renames bytes:
    the vocabulary is read back to bytes instead), with continuing_subword_prefix and
    end_of_word_suffix variants and unk_token for a byte the vocabulary lacks;
  - merges apply by rank: a pre-token that is a known word is looked up whole (a table of the
    vocabulary's words that BPE makes one token, found at construction by the same merge
    loop in numpy), the others merge together: each round merges, in every word, the
    lowest-ranked adjacent pair everywhere it occurs (left to right, not overlapping), and
    words with nothing left to merge leave the loop. That is 🤗's order (lowest rank, then
    leftmost) whenever a merge never makes a pair ranked lower than itself, true of trained
    merges; for other merge lists each round merges only the leftmost lowest pair of each word.
Offsets (`encode_with_offsets`) follow 🤗's alignments: a token's range in the byte-level string
(counted as 🤗 counts it) maps to the characters its bytes come from.

Measured on BBC News (benchmarks/tokenization.py, 30k-token vocabulary, 2 CPU cores): the
split (~30% of the time), UTF-8 decoding and the word strings for the lookup (~35%) cost more
than merging the few unknown words (~25%).
"""
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np
import tensorflow as tf

from tfx_hf.components.tokenization import byte_level_tables
from tfx_hf.components.tokenization.code_points import WHITESPACE_CHARS, flag_table
from tfx_hf.components.tokenization.tokenizer_files import ByteLevelBPEConfig, TokenizerFilesError

# The code point classes the split regex tells apart.
SPACE, OTHER_WHITESPACE, LETTER, NUMBER, OTHER = range(5)
_APOSTROPHE = ord("'")
_NO_MERGE = np.iinfo(np.int64).max
_ID_BITS = 32

Merges = Dict[Tuple[int, int], Tuple[int, int]]  # (left id, right id) -> (rank, new id)


def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's byte -> printable character map: printable Latin-1 bytes stand for themselves,
    the others for the characters from U+0100 on, in byte order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    chars, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            chars[byte] = chr(byte)
        else:
            chars[byte] = chr(256 + extra)
            extra += 1
    return chars


_BYTE_OF_CHAR = {char: byte for byte, char in bytes_to_unicode().items()}


def token_bytes(token: str) -> Optional[bytes]:
    """The bytes a byte-level token stands for, or None when it has a character outside the
    byte-level alphabet (no text can produce it)."""
    try:
        return bytes(_BYTE_OF_CHAR[char] for char in token)
    except KeyError:
        return None


def class_table() -> np.ndarray:
    """Class of each code point (uint8, 0x110000 entries)."""
    flags = flag_table(byte_level_tables.FLAG_RANGES)
    classes = np.full(flags.shape, OTHER, np.int32)
    classes[flags & byte_level_tables.NUMBER != 0] = NUMBER
    classes[flags & byte_level_tables.LETTER != 0] = LETTER
    classes[flags & byte_level_tables.REGEX_WHITESPACE != 0] = OTHER_WHITESPACE
    classes[ord(" ")] = SPACE
    return classes.astype(np.uint8)


class _Symbols(NamedTuple):
    """The initial BPE symbols of the words to merge: id, word (0, 1, ... in order), length in
    bytes of the byte-level string; and for offsets, the code point of each text byte, the
    text byte of each byte-level string byte, and where each word starts in the latter."""
    ids: tf.Tensor
    word: tf.Tensor
    lengths: tf.Tensor
    byte_cp: tf.Tensor
    char_byte_to_byte: tf.Tensor
    word_first_char_byte: tf.Tensor


class ByteLevelBPE(tf.Module):
    """Texts ([n] strings) to byte-level BPE ids ([n, (tokens)] int64), without special
    tokens."""

    def __init__(self, config: ByteLevelBPEConfig, name=None):
        super().__init__(name=name)
        self.add_prefix_space = config.add_prefix_space
        self.use_regex = config.use_regex
        # The split regex ends every pre-token at whitespace (truncation_prefix.py); without
        # it the whole text is one.
        self.cuts_at_spaces = config.use_regex
        vocab = config.vocab
        self._id_base = max(vocab.values(), default=0) + 1
        self._unk_id = config.vocab.get(config.unk_token)  # 🤗 looks it up in the model's
        self.fuse_unk = config.fuse_unk
        self._symbol_ids = self._initial_symbols(config)  # [4 * 256]: by position kind, byte
        self.merges = self._merge_map(config)
        self.leftmost_only = not self._merges_rank_after_their_parts(self.merges)
        self.known_words = self._known_words(config)
        self._trim = config.trim_offsets
        self._trim_add_prefix_space = config.trim_offsets_add_prefix_space
        self._spaces = tf.constant(_space_counts(config), tf.int64)
        self._classes = tf.constant(class_table())
        self._symbol_table = tf.constant(np.asarray(self._symbol_ids, np.int64))
        keys = np.array([left * self._id_base + right for left, right in self.merges], np.int64)
        values = np.array([rank << _ID_BITS | new_id for rank, new_id in self.merges.values()],
                          np.int64)
        self._merge_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(keys, values), default_value=-1)
        # The merge loop as a graph also when called eagerly (an eager while_loop runs each
        # round's ops one by one from Python).
        vector, scalar = tf.TensorSpec([None], tf.int64), tf.TensorSpec([], tf.int64)
        self._merge_ids = tf.function(lambda symbols, word, n_words: self._merge(
            symbols, word, n_words)[0], input_signature=[vector, vector, scalar])
        self._merge_with_lengths = tf.function(self._merge,
                                               input_signature=[vector, vector, scalar, vector])
        self._word_table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            tf.constant(list(self.known_words), tf.string),
            tf.constant(list(self.known_words.values()), tf.int64)), default_value=-1)

    def _initial_symbols(self, config: ByteLevelBPEConfig) -> List[int]:
        """Id of each byte's symbol by its place in the word (middle, first, last, alone): the
        byte-level char, with the continuing_subword_prefix when not first and the
        end_of_word_suffix when last; -1 when the vocabulary lacks it."""
        chars = bytes_to_unicode()
        prefix, suffix = config.continuing_subword_prefix, config.end_of_word_suffix
        ids = []
        for first, last in ((False, False), (True, False), (False, True), (True, True)):
            for byte in range(256):
                symbol = ("" if first else prefix) + chars[byte] + (suffix if last else "")
                ids.append(config.vocab.get(symbol, -1))
        if min(ids) < 0 and config.unk_token is not None and \
                config.unk_token not in config.vocab:
            raise TokenizerFilesError(
                f"BPE unk_token {config.unk_token!r} is not in the model's vocabulary.")
        return ids

    @staticmethod
    def _merge_map(config: ByteLevelBPEConfig) -> Merges:
        """🤗's merge map: (left id, right id) -> (rank, id of left + right without the
        continuing_subword_prefix); a pair listed twice keeps its last rank, as 🤗's does."""
        vocab, prefix_len = config.vocab, len(config.continuing_subword_prefix.encode("utf-8"))
        merges = {}
        for rank, (left, right) in enumerate(config.merges):
            merged = left + right.encode("utf-8")[prefix_len:].decode("utf-8", "replace")
            for token in (left, right, merged):
                if token not in vocab:
                    raise TokenizerFilesError(
                        f"BPE merge {left!r} {right!r}: {token!r} is not in the vocabulary.")
            merges[vocab[left], vocab[right]] = (rank, vocab[merged])
        return merges

    @staticmethod
    def _merges_rank_after_their_parts(merges: Merges) -> bool:
        """Whether every merge ranks below each merge that uses its result, so merging all
        occurrences of a word's lowest pair at once is 🤗's order."""
        first_use = {}
        for (left, right), (rank, _) in merges.items():
            for token in (left, right):
                first_use[token] = min(rank, first_use.get(token, rank))
        return all(first_use.get(new_id, _NO_MERGE) > rank for rank, new_id in merges.values())

    def _known_words(self, config: ByteLevelBPEConfig) -> Dict[bytes, int]:
        """Pre-tokens (as bytes) that become one token: every vocabulary token (without the
        end_of_word_suffix) that BPE merges back into one token, and with ignore_merges every
        token as it is (🤗 looks the word up before merging)."""
        suffix = config.end_of_word_suffix
        candidates = {}
        for token in config.vocab:
            word = token_bytes(token[:-len(suffix)] if suffix and token.endswith(suffix)
                               else token)
            if word:
                candidates[word] = True
        words = list(candidates)
        symbols = [self.symbols_of(word) for word in words]
        merged = self.merge_all(np.concatenate([np.asarray(s, np.int64) for s in symbols]),
                                np.repeat(np.arange(len(words)), [len(s) for s in symbols]),
                                len(words))
        known = {word: ids[0] for word, ids in zip(words, merged) if len(ids) == 1}
        if config.ignore_merges:
            known.update((token_bytes(token), token_id) for token, token_id in
                         config.vocab.items() if token_bytes(token))
        return known

    def merge_all(self, symbols: np.ndarray, word: np.ndarray, n_words: int
                  ) -> List[List[int]]:
        """The in-graph merge loop (`_merge`) in numpy, for the known words at construction:
        each word's symbols after all merges."""
        # Sorted pair keys (and a -1 no pair has, so that there is one).
        keys = np.array([-1] + [left * self._id_base + right for left, right in self.merges],
                        np.int64)
        order = np.argsort(keys)
        keys = keys[order]
        ranks = np.array([0] + [rank for rank, _ in self.merges.values()], np.int64)[order]
        new_ids = np.array([0] + [new_id for _, new_id in self.merges.values()],
                           np.int64)[order]
        active = np.arange(n_words)
        finished = [[] for _ in range(n_words)]
        while len(symbols):
            pair_word = word[:-1]
            query = symbols[:-1] * self._id_base + symbols[1:]
            found = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
            has_merge = (pair_word == word[1:]) & (keys[found] == query)
            rank = np.where(has_merge, ranks[found], _NO_MERGE)
            lowest = np.full(len(active), _NO_MERGE)
            np.minimum.at(lowest, pair_word, rank)
            is_lowest = (rank < _NO_MERGE) & (rank == lowest[pair_word])
            position = np.arange(len(rank))
            if self.leftmost_only:
                leftmost = np.full(len(active), _NO_MERGE)
                np.minimum.at(leftmost, pair_word, np.where(is_lowest, position, _NO_MERGE))
                merge_at = is_lowest & (position == leftmost[pair_word])
            else:
                run_start = np.maximum.accumulate(np.where(is_lowest, -1, position)) \
                    if len(position) else position
                merge_at = is_lowest & ((position - run_start) % 2 == 1)
            merged = np.zeros(len(active), bool)
            merged[pair_word[merge_at]] = True
            done = ~merged[word]
            for w, symbol in zip(active[word[done]], symbols[done]):
                finished[w].append(int(symbol))
            symbols = np.concatenate([np.where(merge_at, new_ids[found], symbols[:-1]),
                                      symbols[-1:]])
            keep = ~done & ~np.concatenate([[False], merge_at])
            symbols, word = symbols[keep], (np.cumsum(merged) - 1)[word[keep]]
            active = active[merged]
        return finished

    def symbols_of(self, word: bytes) -> List[int]:
        """The initial symbols of a word, as 🤗's BPE::merge_word makes them (unknown bytes as
        unk_token, fused if fuse_unk, or dropped without an unk_token)."""
        symbols, last, unknown_before = [], len(word) - 1, False
        for i, byte in enumerate(word):
            symbol = self._symbol_ids[(i == 0) * 256 + (i == last) * 512 + byte]
            if symbol >= 0:
                symbols.append(symbol)
            elif self._unk_id is not None and not (self.fuse_unk and unknown_before):
                symbols.append(self._unk_id)
            unknown_before = symbol < 0
        return symbols

    def trim_offsets(self, ids, starts, ends):
        """The post-processor's trim_offsets (RobertaProcessing, ByteLevel): a token's leading
        and trailing spaces ("Ġ" or whitespace in its string) leave its offsets, but for the
        one space add_prefix_space put before a text's first token."""
        if not self._trim:
            return starts, ends
        size = tf.shape(self._spaces, out_type=tf.int64)[0]
        spaces = tf.gather(self._spaces, tf.minimum(ids.values, size - 1))
        lead, trail = spaces[:, 0], spaces[:, 1]
        start, end = starts.values, ends.values
        index = tf.range(tf.size(start, tf.int64)) - tf.gather(ids.row_starts(),
                                                                ids.value_rowids())
        if self._trim_add_prefix_space:
            lead = tf.where(((index == 0) | (start == 0)) & (lead == 1), 0, lead)
        start = tf.where(lead > 0, tf.minimum(start + lead, end), start)
        end = tf.where((trail > 0) & (end >= trail), tf.maximum(end - trail, start), end)
        return starts.with_values(start), ends.with_values(end)

    # The encoders' interface for added tokens marked `normalized`: byte-level BPE has no
    # normalizer, so the normalized text is the text.
    def normalize(self, text):
        return text

    def tokenize_normalized(self, text, at_start=None) -> tf.RaggedTensor:
        return self(text, at_start)

    def __call__(self, text, at_start=None) -> tf.RaggedTensor:
        """`at_start` is the encoders' common signature: ByteLevel treats every text between
        added tokens alike."""
        return self._encode(text, with_offsets=False)[0]

    def encode_with_offsets(self, text):
        """([n, (ids)], [n, (starts)], [n, (ends)]): ids with the code point range of the text
        that each token comes from, as 🤗's encoding has them before any post-processor: a
        token with part of a character's bytes gets the whole character, the prefix space
        stands for the text's first character."""
        return self._encode(text, with_offsets=True)

    def _encode(self, text, with_offsets: bool):
        cps = tf.strings.unicode_decode(text, "UTF-8", errors="replace",
                                        replacement_char=0xFFFD)
        prefix = tf.zeros_like(cps.row_lengths())
        if self.add_prefix_space:
            # (the appended " " stands in for the first char of an empty last text)
            first = tf.gather(tf.concat([cps.values, [32]], 0), cps.row_starts())
            prefix = tf.cast((cps.row_lengths() > 0) & (first != 32), tf.int64)
            cps = tf.concat([tf.RaggedTensor.from_row_lengths(
                tf.fill([tf.reduce_sum(prefix)], 32), prefix), cps], axis=1)
        values, rows = cps.values, cps.value_rowids()
        starts = self._pre_token_starts(values, rows)
        word_of_cp = tf.cumsum(tf.cast(starts, tf.int64)) - 1
        n_words = tf.reduce_sum(tf.cast(starts, tf.int64))
        words = tf.strings.unicode_encode(
            tf.RaggedTensor.from_value_rowids(values, word_of_cp, nrows=n_words), "UTF-8")
        # unicode_encode writes noncharacters (U+FDD0..U+FDEF, U+xFFFE/F) as U+FFFD: such a
        # word's string is not its text, so it takes the merge path (bytes computed below).
        nonchar = tf.equal(values & 0xFFFE, 0xFFFE) | ((values >= 0xFDD0) & (values <= 0xFDEF))
        known = tf.where(tf.math.unsorted_segment_max(tf.cast(nonchar, tf.int32), word_of_cp,
                                                      n_words) > 0,
                         tf.constant(-1, tf.int64), self._word_table.lookup(words))
        is_known = known >= 0
        unknown_words = tf.where(~is_known)[:, 0]
        known_words = tf.where(is_known)[:, 0]
        symbols = self._word_symbols(values, word_of_cp, is_known)
        n_unknown = tf.size(unknown_words, tf.int64)
        merged = self._merge_with_lengths(symbols.ids, symbols.word, n_unknown,
                                          symbols.lengths) if with_offsets else \
            (self._merge_ids(symbols.ids, symbols.word, n_unknown), None)
        # Each word's tokens at their place in the text's: a known word has one, an unknown
        # word its merged ones.
        tokens_per_word = tf.tensor_scatter_nd_update(
            tf.ones([n_words], tf.int64), unknown_words[:, None], merged[0].row_lengths())
        word_token_start = tf.cumsum(tokens_per_word, exclusive=True)
        known_at = tf.cast(tf.gather(word_token_start, known_words), tf.int32)
        unknown_at = tf.cast(tf.gather(tf.gather(word_token_start, unknown_words),
                                       merged[0].value_rowids()) + tf.range(
            tf.size(merged[0].values, tf.int64)) - tf.gather(merged[0].row_starts(),
                                                             merged[0].value_rowids()), tf.int32)
        text_tokens = tf.math.unsorted_segment_sum(tokens_per_word,
                                                   tf.boolean_mask(rows, starts), cps.nrows())

        def by_text(known_values, unknown_values):
            return tf.RaggedTensor.from_row_lengths(tf.dynamic_stitch(
                [known_at, unknown_at], [known_values, unknown_values.values]), text_tokens)

        ids = by_text(tf.boolean_mask(known, is_known), merged[0])
        if not with_offsets:
            return ids, None, None
        # Offsets as flat code point indices (first, last), then in each text.
        cp_index = tf.range(tf.size(values, tf.int64))
        word_first = tf.math.unsorted_segment_min(cp_index, word_of_cp, n_words)
        word_last = tf.math.unsorted_segment_max(cp_index, word_of_cp, n_words)
        lengths = merged[1]
        before = tf.cumsum(lengths.values, exclusive=True)
        word_start = tf.gather(tf.concat([before, [tf.reduce_sum(lengths.values)]], 0),
                               lengths.row_starts())
        token_start = tf.gather(symbols.word_first_char_byte, lengths.value_rowids()) + \
            before - tf.gather(word_start, lengths.value_rowids())

        def token_cp(char_byte):
            return lengths.with_values(tf.gather(symbols.byte_cp, tf.gather(
                symbols.char_byte_to_byte, char_byte)))
        first_cp = by_text(tf.gather(word_first, known_words), token_cp(token_start))
        last_cp = by_text(tf.gather(word_last, known_words),
                          token_cp(token_start + lengths.values - 1))
        text_start = tf.gather(cps.row_starts() + prefix, first_cp.value_rowids())

        def in_text(flat):
            return tf.maximum(flat - text_start, 0)
        return (ids, first_cp.with_values(in_text(first_cp.values)),
                last_cp.with_values(in_text(last_cp.values) + 1))

    def _pre_token_starts(self, values, rows):
        """Whether each code point starts a pre-token of the GPT-2 split regex (or a text)."""
        first = rows != tf.concat([[-1], rows[:-1]], 0)
        if not self.use_regex:
            return first
        classes = tf.cast(tf.gather(self._classes, values), tf.int32)
        last = rows != tf.concat([rows[1:], [-1]], 0)
        space = classes <= OTHER_WHITESPACE
        previous = tf.where(first, -1, tf.concat([[-1], classes[:-1]], 0))
        after_whitespace = tf.cast(previous, tf.uint32) <= OTHER_WHITESPACE  # -1: no
        next_is_space = last | tf.concat([space[1:], [True]], 0)
        # A whitespace run is one match, but for its last char when a non-space follows;
        # " " joins the run after it, other whitespace does not; runs of letters, numbers and
        # other chars are one match each.
        starts = tf.where(space, ~after_whitespace | ~next_is_space,
                          first | (previous == OTHER_WHITESPACE) |
                          (~after_whitespace & (classes != previous)))
        return self._contractions(values, rows, previous, starts)

    @staticmethod
    def _contractions(values, rows, previous, starts):
        """`starts` with the lowercase contractions ('s 't 're 've 'm 'll 'd) as matches of
        their own where a match can start: not after " " or other chars (their runs take the
        apostrophe). Computed at the apostrophes only."""
        at = tf.where((values == _APOSTROPHE) & (previous != SPACE) & (previous != OTHER))[:, 0]
        n = tf.size(values, tf.int64)

        def following(k):  # the code point k after each apostrophe, -1 past its text
            index = tf.minimum(at + k, n - 1)
            same = (at + k < n) & (tf.gather(rows, index) == tf.gather(rows, at))
            return tf.where(same, tf.gather(values, index), -1)
        next1, next2 = following(1), following(2)
        length = tf.where(_among(next1, "stmd"), 2, tf.where(
            ((next1 == ord("r")) & (next2 == ord("e"))) |
            ((next1 == ord("v")) & (next2 == ord("e"))) |
            ((next1 == ord("l")) & (next2 == ord("l"))), 3, 0))
        at, length = tf.boolean_mask(at, length > 0), tf.boolean_mask(length, length > 0)
        # Starts at the apostrophe and after the contraction, none inside.
        inside = tf.concat([at + 1, tf.boolean_mask(at + 2, length == 3)], 0)
        after = tf.boolean_mask(at + tf.cast(length, tf.int64),
                                at + tf.cast(length, tf.int64) < n)
        after = tf.boolean_mask(after, tf.gather(rows, after) == tf.gather(
            rows, tf.boolean_mask(at, at + tf.cast(length, tf.int64) < n)))
        updates = tf.concat([at, inside, after], 0)
        flags = tf.concat([tf.ones_like(at, tf.bool), tf.zeros_like(inside, tf.bool),
                           tf.ones_like(after, tf.bool)], 0)
        return tf.tensor_scatter_nd_update(starts, updates[:, None], flags)

    def _word_symbols(self, values, word_of_cp, is_known) -> "_Symbols":
        """The initial symbols of the unknown words' bytes (each code point's UTF-8 bytes,
        computed from it), with what offsets need."""
        keep = tf.gather(~is_known, word_of_cp)
        cp_index = tf.boolean_mask(tf.range(tf.size(values, tf.int64)), keep)
        values = tf.cast(tf.boolean_mask(values, keep), tf.int64)
        word = tf.boolean_mask(word_of_cp, keep)
        # Renumber the unknown words 0, 1, ... in order.
        word = tf.gather(tf.cumsum(tf.cast(~is_known, tf.int64)) - 1, word)
        n_bytes = 1 + tf.cast(values >= 0x80, tf.int64) + tf.cast(values >= 0x800, tf.int64) + \
            tf.cast(values >= 0x10000, tf.int64)
        cp = tf.repeat(values, n_bytes)
        count = tf.repeat(n_bytes, n_bytes)
        k = tf.range(tf.size(cp, tf.int64)) - tf.repeat(tf.cumsum(n_bytes, exclusive=True),
                                                        n_bytes)
        shifted = tf.bitwise.right_shift(cp, 6 * (count - 1 - k))
        lead = tf.gather(tf.constant([0, 0, 0xC0, 0xE0, 0xF0], tf.int64), count)
        byte = tf.where(k == 0, lead | shifted, 0x80 | (shifted & 0x3F))
        word = tf.repeat(word, n_bytes)
        is_first = word != tf.concat([[-1], word[:-1]], 0)
        is_last = word != tf.concat([word[1:], [-1]], 0)
        kind = tf.cast(is_first, tf.int64) + 2 * tf.cast(is_last, tf.int64)
        # 🤗 counts offsets in the UTF-8 bytes of the byte-level string: "!".."~" stand for
        # themselves (1 byte), every other byte for a 2-byte char.
        char_bytes = 2 - tf.cast((byte >= 0x21) & (byte <= 0x7E), tf.int64)
        symbols = _Symbols(ids=tf.gather(self._symbol_table, kind * 256 + byte), word=word,
                           lengths=char_bytes, byte_cp=tf.repeat(cp_index, n_bytes),
                           char_byte_to_byte=tf.repeat(tf.range(tf.size(byte, tf.int64)),
                                                       char_bytes),
                           word_first_char_byte=tf.boolean_mask(
                               tf.cumsum(char_bytes, exclusive=True), is_first))
        if min(self._symbol_ids) < 0:
            symbols = self._unknown_symbols(symbols)
        return symbols

    def _unknown_symbols(self, symbols: "_Symbols") -> "_Symbols":
        """Bytes the vocabulary lacks: unk_token (one per run with fuse_unk), or dropped. As in
        🤗, a token's offsets count the lengths of the symbols before it in its word, so
        dropped bytes shift them."""
        ids, word = symbols.ids, symbols.word
        unknown = ids < 0
        if self._unk_id is None:
            keep = ~unknown
            lengths = tf.boolean_mask(symbols.lengths, keep)
        else:
            previous_unknown = tf.concat([[False], unknown[:-1] & (word[1:] == word[:-1])], 0)
            keep = ~(unknown & previous_unknown) if self.fuse_unk else tf.ones_like(unknown)
            ids = tf.where(unknown, tf.constant(self._unk_id, tf.int64), ids)
            lengths = tf.math.unsorted_segment_sum(
                symbols.lengths, tf.cumsum(tf.cast(keep, tf.int64)) - 1,
                tf.reduce_sum(tf.cast(keep, tf.int64)))
        return symbols._replace(ids=tf.boolean_mask(ids, keep), word=tf.boolean_mask(word, keep),
                                lengths=lengths)

    def _merge(self, symbols, word, n_words, lengths=None):
        """([n_words, (ids)], [n_words, (byte lengths)] or None): the merges applied to each
        word's symbols (`word`: sorted word index of each symbol; `lengths`: their lengths in
        bytes, summed as they merge, when offsets are wanted)."""
        id_mask = tf.constant((1 << _ID_BITS) - 1, tf.int64)
        carry_lengths = lengths is not None

        def merge_round(symbols, word, active, lengths, finished, i):
            n_active = tf.size(active)
            pair_word = word[:-1]
            packed = self._merge_table.lookup(symbols[:-1] * self._id_base + symbols[1:])
            packed = tf.where(pair_word == word[1:], packed, -1)
            rank = tf.where(packed >= 0, tf.bitwise.right_shift(packed, _ID_BITS), _NO_MERGE)
            lowest = tf.math.unsorted_segment_min(rank, pair_word, n_active)
            is_lowest = (rank < _NO_MERGE) & (rank == tf.gather(lowest, pair_word))
            position = tf.range(tf.size(rank, tf.int64))
            if self.leftmost_only:
                leftmost = tf.math.unsorted_segment_min(
                    tf.where(is_lowest, position, _NO_MERGE), pair_word, n_active)
                merge_at = is_lowest & (position == tf.gather(leftmost, pair_word))
            else:
                # Occurrences of one pair overlap only in runs of one symbol ("a a a"): merge
                # the 1st, 3rd, ... of each run, as left-to-right merging does.
                run = tf.cumsum(tf.cast(~is_lowest, tf.int64))
                run_start = tf.math.unsorted_segment_max(
                    tf.where(is_lowest, tf.constant(-1, tf.int64), position), run,
                    tf.size(rank, tf.int64) + 1)
                merge_at = is_lowest & ((position - tf.gather(run_start, run)) % 2 == 1)
            merged = tf.math.unsorted_segment_max(tf.cast(merge_at, tf.int32), pair_word,
                                                  n_active) > 0
            done = ~tf.gather(merged, word)
            outputs = [symbols, tf.gather(active, word)] + ([lengths] if carry_lengths else [])
            finished = [array.write(i, tf.boolean_mask(output, done))
                        for array, output in zip(finished, outputs)]
            removed = tf.concat([[False], merge_at], 0)
            keep = ~done & ~removed
            symbols = tf.concat([tf.where(merge_at, packed & id_mask, symbols[:-1]),
                                 symbols[-1:]], 0)
            if carry_lengths:
                lengths = lengths + tf.concat([tf.where(merge_at, lengths[1:], 0), [0]], 0)
                lengths = tf.boolean_mask(lengths, keep)
            renumber = tf.cumsum(tf.cast(merged, tf.int64)) - 1
            return (tf.boolean_mask(symbols, keep),
                    tf.gather(renumber, tf.boolean_mask(word, keep)),
                    tf.boolean_mask(active, merged), lengths, finished, i + 1)

        def has_symbols(symbols, *_):
            return tf.size(symbols) > 0

        # Element 0 is empty: concat needs one when no word needs merging.
        finished = [tf.TensorArray(tf.int64, size=0, dynamic_size=True, infer_shape=False,
                                   element_shape=[None]).write(0, tf.zeros([0], tf.int64))
                    for _ in range(3 if carry_lengths else 2)]
        if not carry_lengths:
            lengths = tf.zeros([0], tf.int64)
        *_, finished, _ = tf.while_loop(
            has_symbols, merge_round, (symbols, word, tf.range(n_words), lengths, finished, 1))
        finished = [array.concat() for array in finished]
        order = tf.argsort(finished[1], stable=True)
        rows = tf.gather(finished[1], order)
        ids = tf.RaggedTensor.from_value_rowids(tf.gather(finished[0], order), rows,
                                                nrows=n_words)
        if not carry_lengths:
            return ids, None
        return ids, ids.with_values(tf.gather(finished[2], order))


def _space_counts(config: ByteLevelBPEConfig) -> np.ndarray:
    """[ids, 2]: the leading and trailing spaces of each token's string, as 🤗's
    process_offsets counts them ("Ġ" or Rust's char::is_whitespace)."""
    tokens = {**{i: t for t, i in config.vocab.items()},
              **{t.id: t.content for t in config.added_tokens}}
    space = bytes_to_unicode()[ord(" ")]
    counts = np.zeros([max(tokens, default=0) + 1, 2], np.int64)
    spaces = space + WHITESPACE_CHARS
    for i, token in tokens.items():  # counted from each end: "ĠĠ" has 2 leading, 2 trailing
        counts[i] = (len(token) - len(token.lstrip(spaces)),
                     len(token) - len(token.rstrip(spaces)))
    return counts


def _among(values, chars: str):
    return tf.reduce_any(values[:, None] == tf.constant([ord(c) for c in chars],
                                                        values.dtype)[None, :], axis=1)
