"""TokenTextServer: `serving_default` of a token classifier, raw strings to entities.

The transform graph of token classification reads words (a word-tagged dataset's lists), so
raw text is tokenized here, with character offsets, by the checkpoint's in-graph tokenizer
with the options training used (byte-level BPE with add_prefix_space, as 🤗 requires for
words: split_words.for_split_words); the model's logits and the offsets go to the
EntityAggregator (components/task/token_entities.py), which merges sub-words into entities as
🤗's token-classification pipeline does. Texts longer than max_length tokens are truncated
(🤗's pipeline without `stride`): entities past the cut are not returned.
"""
from typing import Callable, Dict, List, Sequence

import tensorflow as tf

from tfx_hf.components.tokenization.in_graph_tokenizer import InGraphTokenizer
from tfx_hf.components.tokenization.split_words import for_split_words
from tfx_hf.components.tokenization.tokenizer_files import (
    read_tokenizer_config, tokenizer_folder)


class TokenTextServer(tf.Module):
    """`(texts [batch] string, run_model)` → the aggregator's entity outputs and `logits`."""

    def __init__(self, checkpoint: str, label_names: Sequence[str], max_length: int,
                 aggregation_strategy: str = "simple", name=None):
        super().__init__(name=name)
        from tfx_hf.components.task.token_entities import EntityAggregator

        self.tokenizer = InGraphTokenizer(
            for_split_words(read_tokenizer_config(checkpoint)), max_length=max_length,
            padding="max_length", return_offsets_mapping=True)
        self.aggregator = EntityAggregator(tokenizer_folder(checkpoint),
                                           dict(enumerate(label_names)),
                                           aggregation_strategy=aggregation_strategy)

    def __call__(self, text: tf.Tensor,
                 run_model: Callable[[Dict[str, tf.Tensor]], tf.Tensor]) -> Dict[str, tf.Tensor]:
        inputs = self.tokenizer(text)
        offsets = inputs.pop("offset_mapping")
        logits = run_model(inputs)  # cut to a serving length: what is cut is padding
        length = tf.shape(logits)[1]
        entities = self.aggregator(text, inputs["input_ids"][:, :length],
                                   offsets[:, :length], logits)
        return {**entities, "logits": logits}

    def row_lengths(self, texts: List[str]) -> List[int]:
        """Real tokens per row of `texts` (the warm-up requests' lengths)."""
        mask = self.tokenizer(tf.constant(texts))["attention_mask"]
        return tf.reduce_sum(tf.cast(mask, tf.int32), axis=-1).numpy().tolist()
