"""EntityAggregator: token-classification logits → entities with character spans, in the graph,
exactly as 🤗 transformers 4.54.1's `TokenClassificationPipeline.postprocess` makes them for
`aggregation_strategy` "simple", "first", "average" or "max".

🤗's steps, each done here on the whole batch at once (no Python per row, so it runs inside a
SavedModel signature):
1. scores: softmax of each token's logits, shifted by their maximum;
2. `gather_pre_entities`: drop the tokens whose `special_tokens_mask` is 1 — the ones the
   post-processor added ([CLS], </s>, …) and padding, which carry the offsets (0, 0); a special
   token written in the text keeps its offsets and is kept, as in 🤗. Mark sub-words: when the
   tokenizer model has a `continuing_subword_prefix` (WordPiece's "##"), a token is a sub-word
   when its string's length differs from the length of the text it covers; otherwise (byte-level
   BPE, Unigram) 🤗's fallback heuristic: it starts past 0 and neither the character before it
   nor its first character is a space. The unknown token is never a sub-word;
3. `aggregate_words` (first, average, max): a word is a token and the sub-words after it; its
   label is the first token's argmax (first), the argmax of the tokens' mean scores (average),
   or the argmax of the token with the highest score (max, the first on ties);
4. `group_entities`: adjacent tokens (simple) or words with the same tag, where "B-X" starts a
   new entity and "I-X" or "X" continue one; an entity's score is the mean of its parts';
5. entities whose group (the label after its first "-") is in `ignore_labels` are dropped.

Outputs differ from 🤗's in one way, on purpose: `word` is the input's own characters
`text[start:end]` (code points, as Python indexes a str; invalid UTF-8 reads as U+FFFD), not the
tokens decoded back to text.
"""
import json
import logging
import os
from typing import Dict, Mapping, Optional, Sequence

import numpy as np
import tensorflow as tf

from tfx_hf.components.input_error import InputError
from tfx_hf.components.tokenization.tokenizer_files import (
    SentencePieceConfig, TokenizerConfig, read_tokenizer_config, tokenizer_folder)

AGGREGATION_STRATEGIES = ("simple", "first", "average", "max")
SPACE = ord(" ")  # 🤗's fallback heuristic looks for this character only, not all whitespace


class UnknownAggregationStrategy(InputError):
    """An `aggregation_strategy` the aggregator does not implement."""


def check_aggregation_strategy(aggregation_strategy: str) -> str:
    """The strategy, lower-cased as 🤗 reads it; refuses the others by name."""
    strategy = str(aggregation_strategy).lower()
    if strategy == "none":
        raise UnknownAggregationStrategy(
            "aggregation_strategy='none' gives per-token results, not entities; use one of "
            f"{list(AGGREGATION_STRATEGIES)} (the token-level `logits` output is there for "
            "per-token use).")
    if strategy not in AGGREGATION_STRATEGIES:
        raise UnknownAggregationStrategy(
            f"aggregation_strategy={aggregation_strategy!r} is not known; use one of "
            f"{list(AGGREGATION_STRATEGIES)} (as 🤗's token-classification pipeline names them).")
    return strategy


def _tag(label: str):
    """🤗's `get_tag`: (is "B-", the tag that adjacent parts must share)."""
    if label.startswith("B-"):
        return True, label[2:]
    if label.startswith("I-"):
        return False, label[2:]
    return False, label  # not B-/I-: a continuation


def _label_names(id2label: Mapping) -> list:
    try:
        labels = {int(i): str(name) for i, name in id2label.items()}
    except (TypeError, ValueError) as e:
        raise InputError(f"id2label must map class ids to label names, got {id2label!r}.") \
            from e
    if sorted(labels) != list(range(len(labels))) or not labels:
        raise InputError(f"id2label must name every class id 0…N-1, got ids {sorted(labels)}.")
    return [labels[i] for i in range(len(labels))]


def _special_token(tokenizer_dir: str, key: str) -> Optional[str]:
    """A special token as transformers finds it: tokenizer_config.json, then
    special_tokens_map.json (a string, or an AddedToken dict)."""
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        path = os.path.join(tokenizer_dir, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                value = json.load(f).get(key)
            value = value.get("content") if isinstance(value, dict) else value
            if value:
                return value
    return None


def _token_strings(config: TokenizerConfig) -> Dict[int, str]:
    """id → token string, as `convert_ids_to_tokens` gives it (added tokens included)."""
    return {i: token for token, i in config._ids.items()}


def _continuing_subword_prefix(tokenizer_dir: str, config: TokenizerConfig) -> str:
    """The tokenizer model's `continuing_subword_prefix` ("" when it has none: Unigram has no
    such option, a byte-level BPE normally sets none)."""
    if isinstance(config, SentencePieceConfig):
        return ""
    path = os.path.join(tokenizer_dir, "tokenizer.json")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            return (json.load(f).get("model") or {}).get("continuing_subword_prefix") or ""
    return config.continuing_subword_prefix  # vocab.txt only: 🤗 converts it with "##"


def _unk_token_id(tokenizer_dir: str, config: TokenizerConfig) -> int:
    """`tokenizer.unk_token_id`, or -1 when the tokenizer has none."""
    unk = _special_token(tokenizer_dir, "unk_token")
    if unk is None:
        if isinstance(config, SentencePieceConfig):
            return config.unk_id
        unk = config.unk_token
    return config._ids.get(unk, -1) if unk is not None else -1


def _post_processor_ids(config: TokenizerConfig) -> list:
    """Ids that `special_tokens_mask` marks: the post-processor's special tokens and padding."""
    ids = {config.token_id(config.pad_token)} if config.pad_token in config._ids else set()
    for template in config.templates():
        for piece, _ in template or ():
            if not isinstance(piece, str):
                ids.update(piece)
    return sorted(ids)


class EntityAggregator(tf.Module):
    """Aggregates a batch of token-classification logits into entities, as 🤗's
    `pipeline("token-classification", aggregation_strategy=...)` does.

    tokenizer_dir: the folder (or Hub id) of the tokenizer files that made `input_ids`.
    id2label: class id → label ("B-PER", "I-PER", "O", or plain "PER").
    aggregation_strategy: "simple" (default), "first", "average" or "max".
    ignore_labels: entity groups to leave out, as 🤗's `ignore_labels` (default ("O",)).

    Called with `text` [B] string, `input_ids` [B, T] int64, `offset_mapping` [B, T, 2] int64
    (code point spans; (0, 0) for special and padding tokens) and `logits` [B, T, C] float32;
    returns, padded to the batch's most entities E: `entity_group` [B, E] string, `score`
    [B, E] float32, `start`/`end` [B, E] int64, `word` [B, E] string (`text[start:end]`), and
    `num_entities` [B] int64.
    """

    def __init__(self, tokenizer_dir: str, id2label: Mapping[int, str],
                 aggregation_strategy: str = "simple", ignore_labels: Sequence[str] = ("O",),
                 name: Optional[str] = None):
        super().__init__(name=name)
        self.aggregation_strategy = check_aggregation_strategy(aggregation_strategy)
        self.label_names = _label_names(id2label)
        self.ignore_labels = (ignore_labels,) if isinstance(ignore_labels, str) else \
            tuple(ignore_labels)
        tokenizer_dir = tokenizer_folder(tokenizer_dir)  # a Hub id: its cached files
        config = read_tokenizer_config(tokenizer_dir)

        tags = [_tag(label) for label in self.label_names]
        tag_ids = {tag: i for i, tag in enumerate(dict.fromkeys(tag for _, tag in tags))}
        groups = [label.split("-", 1)[-1] for label in self.label_names]  # group_sub_entities
        self._is_begin = np.array([begin for begin, _ in tags], bool)
        self._tag_id = np.array([tag_ids[tag] for _, tag in tags], np.int64)
        self._group_name = np.array(groups, object)
        self._ignored = np.array([group in self.ignore_labels for group in groups], bool)

        self._special_ids = np.array(_post_processor_ids(config), np.int64)
        self._unk_id = _unk_token_id(tokenizer_dir, config)
        self.continuing_subword_prefix = _continuing_subword_prefix(tokenizer_dir, config)
        if self.continuing_subword_prefix:
            # A token is a sub-word when len(token) != len(text it covers): their lengths.
            strings = _token_strings(config)
            lengths = np.full(max(strings) + 1, -1, np.int64)
            for i, token in strings.items():
                lengths[i] = len(token)
            self._token_length = lengths
        else:
            self._token_length = None
            if self.aggregation_strategy != "simple":
                logging.warning(
                    "Tokenizer in %s marks no sub-words (no continuing_subword_prefix): "
                    "aggregation_strategy=%r finds words by 🤗's fallback heuristic (a token "
                    "not next to a space continues a word).", tokenizer_dir,
                    self.aggregation_strategy)

    # --- steps --------------------------------------------------------------------------------
    @staticmethod
    def _softmax(logits):
        shifted = tf.exp(logits - tf.reduce_max(logits, axis=-1, keepdims=True))
        return shifted / tf.reduce_sum(shifted, axis=-1, keepdims=True)

    def _is_subword(self, input_ids, starts, ends, chars):
        """[B, T] bool: 🤗's `is_subword` of each token."""
        text_length = chars.row_lengths()[:, None]
        if self._token_length is not None:
            token_length = tf.gather(self._token_length, tf.clip_by_value(
                input_ids, 0, len(self._token_length) - 1))
            covered = tf.maximum(tf.minimum(ends, text_length) - tf.minimum(starts, text_length),
                                 0)
            is_subword = token_length != covered
        else:
            # sentence[start - 1 : start + 1] holds no " " (characters past the end are absent).
            dense = chars.to_tensor(default_value=0)
            dense = tf.pad(dense, [[0, 0], [0, 1]])  # a column even for empty texts

            def is_space_at(position):
                inside = (position >= 0) & (position < text_length)
                at = tf.gather(dense, tf.clip_by_value(position, 0, tf.shape(
                    dense, out_type=tf.int64)[1] - 1), batch_dims=1)
                return inside & tf.equal(at, SPACE)

            is_subword = (starts > 0) & ~is_space_at(starts - 1) & ~is_space_at(starts)
        return is_subword & (input_ids != self._unk_id)

    def _words(self, scores, is_subword, first_in_row):
        """`aggregate_words`: (label id, score, first token, last token) of each word."""
        word_starts = first_in_row | ~is_subword
        word_id = tf.cumsum(tf.cast(word_starts, tf.int64)) - 1
        num_words = tf.reduce_sum(tf.cast(word_starts, tf.int64))
        position = tf.range(tf.size(word_id, out_type=tf.int64))
        first = tf.boolean_mask(position, word_starts)
        last = tf.math.unsorted_segment_max(position, word_id, num_words)
        if self.aggregation_strategy == "first":
            word_scores = tf.gather(scores, first)
        elif self.aggregation_strategy == "max":
            token_max = tf.reduce_max(scores, axis=-1)
            word_max = tf.math.unsorted_segment_max(token_max, word_id, num_words)
            # the first token reaching the word's maximum, as Python's max() picks it
            candidate = tf.where(token_max == tf.gather(word_max, word_id), position,
                                 tf.size(position, out_type=tf.int64))
            word_scores = tf.gather(scores, tf.math.unsorted_segment_min(
                candidate, word_id, num_words))
        else:  # average: np.nanmean over the word's tokens
            finite = ~tf.math.is_nan(scores)
            total = tf.math.unsorted_segment_sum(tf.where(finite, scores, 0.0), word_id,
                                                 num_words)
            count = tf.math.unsorted_segment_sum(tf.cast(finite, tf.float32), word_id,
                                                 num_words)
            word_scores = total / count
        label = tf.argmax(word_scores, axis=-1)
        return label, tf.reduce_max(word_scores, axis=-1), first, last

    def __call__(self, text, input_ids, offset_mapping, logits,
                 attention_mask=None) -> Dict[str, tf.Tensor]:
        """`attention_mask` (optional, [B, T]): positions with 0 are left out too, for inputs
        padded with something other than the pad token."""
        text = tf.reshape(tf.convert_to_tensor(text, tf.string), [-1])
        input_ids = tf.cast(input_ids, tf.int64)
        offset_mapping = tf.cast(offset_mapping, tf.int64)
        starts, ends = offset_mapping[..., 0], offset_mapping[..., 1]
        logits = tf.convert_to_tensor(logits)
        if logits.shape[-1] is not None and logits.shape[-1] != len(self.label_names):
            raise InputError(f"logits have {logits.shape[-1]} classes but id2label names "
                             f"{len(self.label_names)}; give the model's own id2label.")
        scores = self._softmax(tf.cast(logits, tf.float32))
        chars = tf.strings.unicode_decode(text, "UTF-8", errors="replace",
                                          replacement_char=0xFFFD)
        batch_size = tf.shape(input_ids, out_type=tf.int64)[0]

        # gather_pre_entities: tokens left after special_tokens_mask, in order, flat.
        is_special = tf.reduce_any(input_ids[..., None] == self._special_ids, axis=-1) & \
            tf.equal(starts, 0) & tf.equal(ends, 0)
        if attention_mask is not None:
            is_special |= tf.equal(tf.cast(attention_mask, tf.int64), 0)
        kept = tf.where(~is_special)  # [N, 2] (row, position), row-major
        row = kept[:, 0]
        token_scores = tf.gather_nd(scores, kept)
        token_starts, token_ends = tf.gather_nd(starts, kept), tf.gather_nd(ends, kept)
        first_in_row = tf.not_equal(row, tf.concat([[-1], row], 0)[:-1])

        if self.aggregation_strategy == "simple":
            label = tf.argmax(token_scores, axis=-1)
            score = tf.reduce_max(token_scores, axis=-1)
            part_row, part_start, part_end = row, token_starts, token_ends
        else:
            is_subword = tf.gather_nd(self._is_subword(input_ids, starts, ends, chars), kept)
            label, score, first, last = self._words(token_scores, is_subword, first_in_row)
            part_row = tf.gather(row, first)
            part_start, part_end = tf.gather(token_starts, first), tf.gather(token_ends, last)
            first_in_row = tf.gather(first_in_row, first)

        # group_entities: a part starts an entity at a row's start, a new tag, or a "B-".
        tag = tf.gather(self._tag_id, label)
        starts_group = first_in_row | tf.gather(self._is_begin, label) | tf.not_equal(
            tag, tf.concat([[-1], tag], 0)[:-1])
        group_id = tf.cumsum(tf.cast(starts_group, tf.int64)) - 1
        num_groups = tf.reduce_sum(tf.cast(starts_group, tf.int64))
        position = tf.range(tf.size(group_id, out_type=tf.int64))
        group_first = tf.boolean_mask(position, starts_group)
        group_last = tf.math.unsorted_segment_max(position, group_id, num_groups)
        group_label = tf.gather(label, group_first)
        group_score = tf.math.unsorted_segment_mean(score, group_id, num_groups)

        # Filter ignore_labels, then pad per row.
        keep = ~tf.gather(self._ignored, group_label)
        entity_row = tf.boolean_mask(tf.gather(part_row, group_first), keep)
        entity_label = tf.boolean_mask(group_label, keep)
        entity_start = tf.boolean_mask(tf.gather(part_start, group_first), keep)
        entity_end = tf.boolean_mask(tf.gather(part_end, group_last), keep)
        entity_score = tf.boolean_mask(group_score, keep)

        def padded(values, default):
            return tf.RaggedTensor.from_value_rowids(values, entity_row, nrows=batch_size) \
                .to_tensor(default_value=default)

        return {
            "entity_group": padded(tf.gather(self._group_name, entity_label), ""),
            "score": padded(entity_score, 0.0),
            "start": padded(entity_start, tf.constant(0, tf.int64)),
            "end": padded(entity_end, tf.constant(0, tf.int64)),
            "word": padded(self._text_spans(chars, entity_row, entity_start, entity_end), ""),
            "num_entities": tf.math.bincount(entity_row, minlength=batch_size,
                                             maxlength=batch_size, dtype=tf.int64),
        }

    @staticmethod
    def _text_spans(chars, rows, starts, ends):
        """text[start:end] of each (row, start, end), by code points, as UTF-8."""
        length = tf.gather(chars.row_lengths(), rows)
        first = tf.clip_by_value(starts, 0, length)
        last = tf.clip_by_value(ends, first, length)
        offset = tf.gather(chars.row_starts(), rows)
        span = tf.ragged.range(offset + first, offset + last)
        return tf.strings.unicode_encode(tf.gather(chars.values, span), "UTF-8")
