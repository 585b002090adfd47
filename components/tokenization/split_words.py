"""SplitWordsTokenizer: rows of words (a word-tagged dataset's `tokens` column) to model inputs
and sub-word labels, as 🤗's `tokenizer(words, is_split_into_words=True, truncation=True,
max_length=L)` and the label alignment of its token-classification examples (`run_ner.py`).

🤗 `tokenizers` encodes a pre-tokenized row one word at a time: each word goes through the
added-token split, the normalizer, the pre-tokenizer and the model on its own, as if it were a
whole text, and the tokens of a row are the concatenation of its words' tokens. So each word
here is encoded by the checkpoint's in-graph encoder as its own text, which gives each family
its prefix-space rule per word: WordPiece has none, Metaspace (Unigram) puts "▁" before every
word, and byte-level BPE puts a space before every word, which 🤗 allows only with
`add_prefix_space=True` (RoBERTa and GPT-2 refuse pre-tokenized input without it), so the
encoder of a byte-level BPE checkpoint is built with it on. A word that encodes to no token
(an empty word, a control character BERT drops) has no token and so no label, as in 🤗.

Labels (🤗's `word_ids()` alignment): the first sub-word of a word gets the word's tag, its
other sub-words -100 (or, with `label_all_tokens`, the word's tag with B-X turned into I-X
where the tag set has I-X), and special and padding tokens -100, which the model's loss and
the metrics leave out.
"""
import dataclasses
from typing import Dict, Optional, Sequence

import tensorflow as tf

from tfx_hf.components.tokenization.in_graph_tokenizer import InGraphTokenizer
from tfx_hf.components.tokenization.tokenizer_files import (
    ByteLevelBPEConfig, TokenizerConfig, read_tokenizer_config)

IGNORED_LABEL = -100  # 🤗's and Keras' 🤗 losses' "no label here"
NO_WORD = -1  # the word id of special and padding tokens (🤗's word_ids() says None)


def for_split_words(config: TokenizerConfig) -> TokenizerConfig:
    """The tokenizer config 🤗 needs for pre-tokenized input: byte-level BPE with
    add_prefix_space on (the post-processor's offset trimming follows it, as 🤗's
    RobertaTokenizerFast sets both); other families as they are."""
    if isinstance(config, ByteLevelBPEConfig) and not config.add_prefix_space:
        return dataclasses.replace(config, add_prefix_space=True,
                                   trim_offsets_add_prefix_space=True)
    return config


def b_to_i_ids(label_names: Sequence[str]) -> list:
    """For each tag id, the id of the tag a later sub-word gets with label_all_tokens: I-X for
    B-X when the tag set has I-X, else the tag itself (run_ner.py's `b_to_i_label`)."""
    names = list(label_names)
    return [names.index("I-" + name[2:]) if name.startswith("B-") and
            "I-" + name[2:] in names else i for i, name in enumerate(names)]


class SplitWordsTokenizer(tf.Module):
    """`[batch, (words)]` strings (and optionally `[batch, (words)]` int64 tags) →
    `input_ids`, `attention_mask` (and `token_type_ids` when the model takes them),
    `word_ids` ([batch, max_length] int64, NO_WORD for special and padding tokens) and, with
    tags, `labels` (IGNORED_LABEL where no tag applies); padded to max_length."""

    def __init__(self, tokenizer_config: TokenizerConfig, max_length: Optional[int] = None,
                 label_all_tokens: bool = False, label_names: Optional[Sequence[str]] = None,
                 name=None):
        super().__init__(name=name)
        self.tokenizer = InGraphTokenizer(for_split_words(tokenizer_config),
                                          max_length=max_length, padding="max_length")
        self.label_all_tokens = label_all_tokens
        # A tag id → the tag of a word's later sub-words.
        self._later_tag = tf.constant(b_to_i_ids(label_names), tf.int64) \
            if label_all_tokens and label_names else None

    @classmethod
    def from_pretrained(cls, name_or_path: str, **options) -> "SplitWordsTokenizer":
        return cls(read_tokenizer_config(name_or_path), **options)

    @property
    def max_length(self) -> int:
        return self.tokenizer.packer.max_length

    def __call__(self, words: tf.RaggedTensor,
                 tags: Optional[tf.RaggedTensor] = None) -> Dict[str, tf.Tensor]:
        if tags is not None:
            tf.debugging.assert_equal(
                tags.row_lengths(), words.row_lengths(),
                message="A row has a different number of tags and words.")
        per_word = self.tokenizer.encode(words.flat_values)  # [all words, (sub-words)]
        ids = tf.RaggedTensor.from_row_splits(per_word, words.row_splits).merge_dims(1, 2)
        word_of_token = per_word.value_rowids()  # index among all words of the batch
        first_word_of_row = tf.gather(words.row_starts(), words.value_rowids())
        word_ids = ids.with_flat_values(
            tf.gather(tf.range(tf.shape(first_word_of_row, out_type=tf.int64)[0])
                      - first_word_of_row, word_of_token))
        # The packer carries per-token values beside the ids as it carries offsets, cut and
        # placed as the ids are, 0 at special and padding tokens: values are shifted to
        # leave 0 free.
        carried = [word_ids.with_flat_values(word_ids.flat_values - NO_WORD)]
        if tags is not None:
            carried.append(ids.with_flat_values(
                self._token_labels(per_word, word_of_token, tags) - IGNORED_LABEL))
        if len(carried) == 1:
            carried.append(carried[0])
        outputs = self.tokenizer.packer([ids], offsets=[carried])
        mapping = outputs.pop("offset_mapping")
        names = self.tokenizer.tokenizer_config.model_input_names
        result = {name: value for name, value in outputs.items() if name in names}
        result["word_ids"] = mapping[..., 0] + NO_WORD
        if tags is not None:
            result["labels"] = mapping[..., 1] + IGNORED_LABEL
        return result

    def _token_labels(self, per_word: tf.RaggedTensor, word_of_token: tf.Tensor,
                      tags: tf.RaggedTensor) -> tf.Tensor:
        """The label of each token of the batch (flat), from its word's tag."""
        tag = tf.gather(tf.cast(tags.flat_values, tf.int64), word_of_token)
        position_in_word = tf.range(tf.shape(word_of_token, out_type=tf.int64)[0]) - \
            tf.gather(per_word.row_starts(), word_of_token)
        if not self.label_all_tokens:
            later = tf.fill(tf.shape(tag), tf.constant(IGNORED_LABEL, tf.int64))
        elif self._later_tag is not None:
            later = tf.gather(self._later_tag, tag)
        else:
            later = tag
        return tf.where(position_in_word == 0, tag, later)
