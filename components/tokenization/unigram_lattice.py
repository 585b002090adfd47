"""🤗's Unigram segmentation of Metaspace words as TF ops, with its exact tie-breaking.

`tokenizers` (models/unigram/model.rs, `encode_optimized`) runs a Viterbi over the word's
character positions: for each start position in increasing order, every vocabulary piece that
matches there (and, where no one-character piece does, one unknown character scored
`min_score - 10`) offers `best[start] + score` (f64) to its end position, which keeps the first
offer that is strictly better. The best path is read back from the end; runs of unknown pieces
fuse into one. So among equally scored paths it keeps, at each end position, the piece that
starts earliest. SentencePiece's own Viterbi adds f32 scores instead, so where two paths tie
(the same pieces in another order, `?!?` `!` `?!` against `?!` `?!?` `!`) or nearly tie, its
choice is not 🤗's; this module runs 🤗's algorithm itself, on f64, in the same order.

All words of a batch run at once: the pieces matching at each position come from a walk of the
vocabulary's trie (one hash lookup per character followed), the Viterbi is one loop step per
character position (the longest word's length), and each distinct word is segmented once.
"""
from typing import List, Tuple

import numpy as np
import tensorflow as tf

_UNK_PENALTY = 10.0  # K_UNK_PENALTY in tokenizers
_CODE_POINTS = 0x110000


def build_trie(pieces: List[str]):
    """(keys, children, terminal ids, depth): the trie of the pieces over code points, as
    `parent * 0x110000 + code point -> child` and, per node, the id 🤗 gives the piece ending
    there (the last id of a duplicated piece) or -1. Empty pieces never match (as in 🤗)."""
    children = {}
    terminal = [-1]
    depth = 0
    for piece_id, piece in enumerate(pieces):
        node = 0
        for c in piece:
            key = node * _CODE_POINTS + ord(c)
            if key not in children:
                children[key] = len(terminal)
                terminal.append(-1)
            node = children[key]
        if piece:
            terminal[node] = piece_id
            depth = max(depth, len(piece))
    keys = np.fromiter(children.keys(), np.int64, len(children))
    values = np.fromiter(children.values(), np.int64, len(children))
    return keys, values, np.asarray(terminal, np.int64), depth


def _dense(indices, size, values, default):
    """A [size] vector of `default` with `values` at `indices` (distinct): SparseToDense,
    several times faster on CPU than tf.scatter_nd."""
    return tf.raw_ops.SparseToDense(sparse_indices=indices, output_shape=tf.reshape(size, [1]),
                                    sparse_values=values,
                                    default_value=tf.constant(default, values.dtype),
                                    validate_indices=False)


class UnigramLattice(tf.Module):
    """Words ([n] strings) to 🤗's Unigram pieces: (ids, starts, ends), each [n, (pieces)]
    int64, with each piece's code point range in its word."""

    def __init__(self, pieces: List[Tuple[str, float]], unk_id: int, name=None):
        super().__init__(name=name)
        keys, values, terminal, self._depth = build_trie([piece for piece, _ in pieces])
        self._children = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(keys if len(keys) else np.asarray([-1], np.int64)),
                tf.constant(values if len(values) else np.asarray([-1], np.int64))),
            default_value=-1)
        self._terminal = tf.constant(terminal)
        scores = np.asarray([score for _, score in pieces], np.float64)
        self._scores = tf.constant(scores)
        self._unk_id = unk_id
        self._unk_score = float(scores.min()) - _UNK_PENALTY

    def __call__(self, words) -> Tuple[tf.RaggedTensor, tf.RaggedTensor, tf.RaggedTensor]:
        unique, index = tf.unique(words)
        ids, starts, ends = self._segment(unique)
        return tuple(tf.gather(t, index) for t in (ids, starts, ends))

    def _segment(self, words):
        chars = tf.strings.unicode_decode(words, "UTF-8")
        cps = tf.cast(chars.values, tf.int64)
        n_chars = tf.size(cps, tf.int64)
        word_of = chars.value_rowids()
        word_start = chars.row_starts()  # in cps
        word_len = chars.row_lengths()
        local = tf.range(n_chars) - tf.gather(word_start, word_of)  # char's index in its word
        left = tf.gather(word_len, word_of) - local  # chars from it to its word's end

        # Edges (start char, length, piece id) of every piece matching at every position.
        edge_start, edge_length, edge_id = [], [], []
        active = tf.range(n_chars)
        node = tf.zeros([n_chars], tf.int64)
        has_single = tf.zeros([n_chars], tf.bool)
        for length in range(1, self._depth + 1):
            at = active + (length - 1)
            node = self._children.lookup(node * _CODE_POINTS + tf.gather(cps, at))
            alive = node >= 0
            active, node = tf.boolean_mask(active, alive), tf.boolean_mask(node, alive)
            piece = tf.gather(self._terminal, node)
            found = piece >= 0
            edge_start.append(tf.boolean_mask(active, found))
            edge_id.append(tf.boolean_mask(piece, found))
            edge_length.append(tf.fill(tf.shape(edge_id[-1]), tf.constant(length, tf.int64)))
            if length == 1:  # (SparseToDense: tf.scatter_nd is several times slower on CPU)
                has_single = _dense(edge_start[0], n_chars, tf.ones_like(edge_start[0], tf.bool),
                                    False)
            # Only starts with room for one more character go on.
            room = tf.gather(left, active) > length
            active, node = tf.boolean_mask(active, room), tf.boolean_mask(node, room)
        unknown = tf.where(~has_single)[:, 0]
        edge_start = tf.concat(edge_start + [unknown], 0)
        edge_length = tf.concat(edge_length + [tf.ones_like(unknown)], 0)
        edge_id = tf.concat(edge_id + [tf.fill(tf.shape(unknown), tf.constant(
            self._unk_id, tf.int64))], 0)
        edge_score = tf.concat([tf.gather(self._scores, edge_id[:tf.size(edge_id) - tf.size(
            unknown)]), tf.fill(tf.shape(unknown), tf.constant(self._unk_score, tf.float64))], 0)

        return self._viterbi(word_len, edge_start, edge_length, edge_id, edge_score, local,
                             word_of)

    def _viterbi(self, word_len, edge_start, edge_length, edge_id, edge_score, local, word_of):
        """🤗's best path of each word, from its edges (start char, length, id, score), as
        (ids, starts, ends), each [words, (pieces)].

        Words go longest first, so that the words still running at position t are a prefix;
        the chars of all words are laid out position-major (all words' first chars, then
        their second chars, ...), so that step t's targets are one slice. Each step offers, per
        running word, the best value `depth` positions back plus each edge's score, in a
        [running words, depth] block whose column j holds the edge of length depth - j: the
        first best column is the earliest start, 🤗's choice."""
        n_words = tf.size(word_len, tf.int64)
        max_len = tf.reduce_max(tf.concat([[0], word_len], 0))
        depth = tf.reduce_max(tf.concat([[1], edge_length], 0))
        by_length = tf.cast(tf.argsort(word_len, direction="DESCENDING", stable=True), tf.int64)
        rank = tf.math.invert_permutation(by_length)
        # running[t]: how many words have a char at index t (t = 0..max_len-1).
        running = tf.math.bincount(tf.cast(word_len, tf.int32), minlength=tf.cast(
            max_len + 1, tf.int32), dtype=tf.int64)
        running = tf.cumsum(running, reverse=True)[1:]
        layout = tf.concat([[0], tf.cumsum(running)], 0)  # first slot of each char index
        n_chars = layout[-1]
        end_t = tf.gather(local, edge_start) + edge_length  # 1-based end char in the word
        row = tf.gather(layout, end_t - 1) + tf.gather(rank, tf.gather(word_of, edge_start))
        # One edge per slot; an empty slot's score is the lowest float (every char position
        # has an edge of length 1 ending there, so it is never the best).
        slot = row * depth + depth - edge_length
        scores = tf.reshape(_dense(slot, n_chars * depth, edge_score, -np.inf), [-1, depth])
        ids = tf.reshape(_dense(slot, n_chars * depth, edge_id, 0), [-1, depth])

        flat_ids = tf.reshape(ids, [-1])

        def step(t, window, lengths, chosen_ids):
            # The window keeps the running words only: they are a prefix, shrinking.
            n = running[t]
            offer = window[:n] + scores[layout[t]:layout[t] + n]
            top = tf.reduce_max(offer, axis=1, keepdims=True)
            column = tf.reduce_min(tf.where(offer == top, tf.range(depth), depth), axis=1)
            window = tf.concat([window[:n, 1:], top], 1)
            return (t + 1, window, lengths.write(tf.cast(t, tf.int32), depth - column),
                    chosen_ids.write(tf.cast(t, tf.int32), tf.gather(
                        flat_ids, (tf.range(layout[t], layout[t] + n)) * depth + column)))

        def array():  # one more (empty) element: no words must still concat
            return tf.TensorArray(tf.int64, size=tf.cast(max_len, tf.int32) + 1,
                                  element_shape=[None], infer_shape=False).write(
                                      tf.cast(max_len, tf.int32), tf.zeros([0], tf.int64))
        window = tf.concat([tf.fill([n_words, depth - 1], tf.constant(-np.inf, tf.float64)),
                            tf.zeros([n_words, 1], tf.float64)], 1)
        _, _, lengths, chosen_ids = tf.while_loop(
            lambda t, *_: t < max_len, step, (tf.constant(0, tf.int64), window, array(),
                                                array()),
            shape_invariants=(tf.TensorShape([]), tf.TensorShape([None, None]),
                              tf.TensorShape(None), tf.TensorShape(None)))
        lengths = tf.reshape(lengths.concat(), [-1])
        chosen_ids = tf.reshape(chosen_ids.concat(), [-1])

        # Each word's path from its end back: the i-th piece from the end, per word by rank.
        sorted_len = tf.gather(word_len, by_length)
        ranks = tf.range(n_words)

        def walk(end, i, pieces):
            live = end > 0
            row = tf.gather(layout, tf.maximum(end - 1, 0)) + ranks
            length = tf.where(live, tf.gather(lengths, tf.minimum(row, n_chars - 1)), 0)
            piece = tf.boolean_mask(tf.stack([ranks, tf.fill(tf.shape(ranks), tf.cast(
                i, tf.int64)), end - length, end, tf.gather(chosen_ids, tf.minimum(
                    row, n_chars - 1))], 1), live)
            return end - length, i + 1, pieces.write(i, piece)

        _, walked, pieces = tf.while_loop(
            lambda end, i, pieces: tf.reduce_any(end > 0), walk,
            (sorted_len, tf.constant(0), tf.TensorArray(
                tf.int64, size=0, dynamic_size=True, element_shape=[None, 5],
                infer_shape=False)))
        pieces = tf.reshape(pieces.write(walked, tf.zeros([0, 5], tf.int64)).concat(), [-1, 5])
        piece_rank, from_end = pieces[:, 0], pieces[:, 1]
        piece_word = tf.gather(by_length, piece_rank)
        count = tf.math.unsorted_segment_sum(tf.ones_like(piece_word), piece_word, n_words)
        first = tf.cumsum(count, exclusive=True)
        at = tf.gather(first, piece_word) + tf.gather(count, piece_word) - 1 - from_end
        order = tf.math.invert_permutation(at)
        piece_word, piece_start, piece_end, piece_id = (
            tf.gather(values, order)
            for values in (piece_word, pieces[:, 2], pieces[:, 3], pieces[:, 4]))
        # Runs of unknown pieces fuse into one (fuse_unk).
        unk = piece_id == self._unk_id
        same_word = tf.concat([[False], piece_word[1:] == piece_word[:-1]], 0)
        keep = ~(unk & tf.concat([[False], unk[:-1]], 0) & same_word)
        group = tf.cumsum(tf.cast(keep, tf.int64)) - 1
        n_kept = tf.reduce_sum(tf.cast(keep, tf.int64))
        fused_end = tf.math.unsorted_segment_max(piece_end, group, n_kept)
        piece_word = tf.boolean_mask(piece_word, keep)
        return tuple(tf.RaggedTensor.from_value_rowids(values, piece_word, nrows=n_words)
                     for values in (tf.boolean_mask(piece_id, keep),
                                    tf.boolean_mask(piece_start, keep), fused_end))
