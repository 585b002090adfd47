"""Token classification (NER, POS, chunking): a tag per word, from the per-token logits of
`TFAutoModelForTokenClassification`.

Data: a word-tagged 🤗 dataset, a list of words per row (`text_feature`, e.g. CoNLL's
`tokens`) and a `Sequence(ClassLabel)` of tags (`label_feature`, e.g. `ner_tags`), checked by
HFDatasetExampleGen's `word_tag_columns`.

Transform: the words are tokenized in the graph as 🤗 tokenizes `is_split_into_words=True`
input, and the tags aligned to sub-words as 🤗's token-classification examples align them
(components/tokenization/split_words.py): `label_id` is a `[batch, max_length]` int64 of tag
ids, -100 where no tag applies (later sub-words unless `label_all_tokens`, special and padding
tokens). Training uses the model's own loss, which leaves -100 out.

Serving: `serving_default(text)` takes raw strings, tokenizes them with character offsets,
runs the model and merges sub-words into entities with character spans as 🤗's
`pipeline("token-classification", aggregation_strategy=...)` does
(components/task/token_entities.py's EntityAggregator): `entity_group`, `score`, `start`,
`end`, `word`, `num_entities`, and the token-level `logits`. Texts longer than `max_length`
tokens are truncated, as 🤗's pipeline without `stride`: entities past the cut are not found.
`serving_tf_example` gives the token-level `logits` on the examples' words, aligned with
`transform_labels`' `label_id`, for TFMA and BulkInferrer.
"""
from typing import Any, Dict, List, Optional

import numpy as np
import tensorflow as tf

from tfx_hf.components.contracts import LABEL_ID_FEATURE
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task.base import Task, ThresholdFor

TOKEN_CLASSIFICATION = "token_classification"
AGGREGATION_STRATEGIES = ("simple", "first", "average", "max")
IGNORED_LABEL = -100  # = split_words.IGNORED_LABEL (not imported: it pulls in the tokenizer)
# The input of serving_default: raw text, whatever the words column is called.
SERVING_TEXT_INPUT = "text"
ENTITY_OUTPUTS = ("entity_group", "score", "start", "end", "word", "num_entities")


def _ragged(feature) -> tf.RaggedTensor:
    """A parsed list feature (sparse, ragged or dense `[batch, n]`) as `[batch, (n)]`."""
    if isinstance(feature, tf.sparse.SparseTensor):
        return tf.RaggedTensor.from_sparse(feature)
    if isinstance(feature, tf.RaggedTensor):
        return feature
    return tf.RaggedTensor.from_tensor(feature)


class MaskedTokenAccuracy(tf.keras.metrics.Mean):
    """The share of tagged tokens (label ≠ -100) whose top logit is their tag."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.cast(y_true, tf.int64)
        tagged = tf.cast(tf.not_equal(y_true, IGNORED_LABEL), tf.float32)
        correct = tf.cast(tf.equal(tf.argmax(y_pred, axis=-1), y_true), tf.float32)
        if sample_weight is not None:
            tagged *= tf.cast(sample_weight, tf.float32)
        return super().update_state(correct, sample_weight=tagged)


class TokenClassification(Task):
    name = TOKEN_CLASSIFICATION
    description = "token classification"
    auto_model_class = "TFAutoModelForTokenClassification"
    encodes_class_labels = False  # the tags are a Sequence(ClassLabel) already
    token_labels = True
    # Entity-level metrics (seqeval semantics) are TFMA custom metrics on the token logits
    # (components/evaluation/entity_metrics.py), given by `class_metrics_specs`: they need
    # the tag names in their config, which overall metrics cannot carry.
    overall_metrics: Dict[str, Any] = {}
    main_metric = "entity_f1"
    prediction_key = "logits"

    # --- Transform -------------------------------------------------------------------------
    def transform_features(self, inputs: Dict[str, Any], config) -> Dict[str, Any]:
        from tfx_hf.components.tokenization.split_words import SplitWordsTokenizer

        if config.label_all_tokens and not config.label_names:
            raise InputError(
                "label_all_tokens=True turns B- tags into I- tags on later sub-words, which "
                "needs the tag names: set label_names (tfx-hf run reads them from the dataset).")
        tokenizer = SplitWordsTokenizer.from_pretrained(
            config.checkpoint, max_length=config.max_length,
            label_all_tokens=config.label_all_tokens, label_names=config.label_names)
        tags = _ragged(inputs[config.label_feature]) if config.label_feature in inputs \
            else None
        outputs = tokenizer(_ragged(inputs[config.text_feature]), tags)
        outputs.pop("word_ids")
        if tags is not None:
            outputs[LABEL_ID_FEATURE] = outputs.pop("labels")
        return outputs

    def transform_label(self, label):
        raise NotImplementedError("token classification aligns its labels with the tokens "
                                  "in transform_features")

    # --- Trainer ---------------------------------------------------------------------------
    def label_names(self, configured: Optional[List[str]], tf_transform_output,
                    label_feature: str) -> List[str]:
        if configured:
            return list(configured)
        raise InputError(
            f"No tag names for {label_feature!r}: make it a Sequence(ClassLabel) "
            "(HFDatasetExampleGen's `word_tag_columns` records its names) or set label_names.")

    def from_pretrained_kwargs(self, label_names: List[str]) -> Dict[str, Any]:
        # No problem_type: 🤗's config knows only the sequence-classification ones.
        return dict(num_labels=len(label_names), id2label=dict(enumerate(label_names)),
                    label2id={name: i for i, name in enumerate(label_names)})

    def keras_metrics(self):
        return [MaskedTokenAccuracy("accuracy")]

    # --- Export ----------------------------------------------------------------------------
    def serving_text_inputs(self, text_features: List[str]) -> List[str]:
        return [SERVING_TEXT_INPUT]

    def serving_outputs(self, logits, label_names):
        """`serving_tf_example`'s output, position by position with `label_id`: the logits
        alone (TFMA hands custom metrics the whole output when there are several)."""
        return {"logits": logits}

    def check_checkpoint(self, checkpoint: str) -> None:
        """serving_default needs character offsets from the in-graph tokenizer: a tokenizer
        family without them is refused before training, not at export."""
        from tfx_hf.components.tokenization.in_graph_tokenizer import InGraphTokenizer
        from tfx_hf.components.tokenization.split_words import for_split_words
        from tfx_hf.components.tokenization.tokenizer_files import read_tokenizer_config

        # Any bounded length: only whether the family gives offsets is asked here (a
        # checkpoint may name no model_max_length).
        InGraphTokenizer(for_split_words(read_tokenizer_config(checkpoint)), max_length=16,
                         return_offsets_mapping=True)

    def hf_tokenizer_options(self, checkpoint: str) -> Dict[str, Any]:
        """Byte-level BPE was trained (and serves) with add_prefix_space, which 🤗 needs for
        words: Format-HF's tokenizer is saved with it, so 🤗's pipeline on Format-HF
        tokenizes texts as the served model does."""
        from tfx_hf.components.tokenization.tokenizer_files import (ByteLevelBPEConfig,
                                                                    read_tokenizer_config)

        config = read_tokenizer_config(checkpoint)
        if isinstance(config, ByteLevelBPEConfig) and not config.add_prefix_space:
            return {"add_prefix_space": True}
        return {}

    def text_server(self, config, label_names: List[str]) -> tf.Module:
        """What `serving_default` runs on raw texts (components/export/serving_model.py)."""
        from tfx_hf.components.export.token_serving import TokenTextServer

        return TokenTextServer(config.checkpoint, label_names, config.max_length,
                               config.aggregation_strategy)

    # --- Evaluation ------------------------------------------------------------------------
    def threshold_names(self) -> List[str]:
        """entity_f1, entity_precision, entity_recall (micro) and token_accuracy."""
        from tfx_hf.components.evaluation.entity_metrics import ENTITY_METRICS

        return list(ENTITY_METRICS)

    def class_metrics_specs(self, num_classes, threshold_for: ThresholdFor):
        """The entity metrics, without tag names: `entity_metrics.with_label_names` gives
        them the model's (the pipeline when it read the dataset, else HFEvaluator)."""
        from tfx_hf.components.evaluation.entity_metrics import entity_metrics_spec

        return [entity_metrics_spec(None, threshold_for)]

    # --- Reading answers -------------------------------------------------------------------
    def show_prediction(self, outputs, label_names):
        n = int(np.asarray(outputs["num_entities"]))
        entities = [{"entity_group": _text(outputs["entity_group"][i]),
                     "score": float(outputs["score"][i]), "start": int(outputs["start"][i]),
                     "end": int(outputs["end"][i]), "word": _text(outputs["word"][i])}
                    for i in range(n)]
        lines = [f"{e['entity_group']}  {e['score']:.4f}  {e['start']}:{e['end']}  {e['word']}"
                 for e in entities]
        return {"entities": entities, "lines": lines,
                "summary": "; ".join(f"{e['entity_group']} {e['word']!r}" for e in entities)
                or "-"}

    def serving_expectations(self, label_names):
        return {"outputs": list(ENTITY_OUTPUTS) + ["logits"],
                "description": "a token classifier (entities)",
                "label_names": list(label_names), "unit_interval": ["score"]}


def _text(value) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
