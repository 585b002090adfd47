"""Entity-level precision, recall and F1 (micro and per entity type) and token accuracy of a
token-classification model, with seqeval's semantics, as TFMA metrics (give
`module="tfx_hf.components.evaluation.entity_metrics"`).

Each example's label is its token tags as the task aligns them (tag ids, -100 on the tokens
that carry no tag: special tokens, padding and the sub-words after a word's first); its
prediction is the model's token-level logits (or tag ids). Only the tagged positions count,
as in 🤗's token-classification examples: `[names[p] for p, l in zip(pred, label) if l != -100]`.
Entities are read from the tag sequences exactly as `seqeval.metrics.sequence_labeling.
get_entities` reads them (its default, conlleval-style mode: "I-X" after "O" opens an entity, a
change of type closes one); an entity counts as found when its type, start and end all match.
The numbers equal seqeval's `precision_score`, `recall_score`, `f1_score` (micro),
`classification_report` (per type) and `accuracy_score` over the same sequences. With
`"mode": "strict"` in the config, entities are read as seqeval's `mode="strict",
scheme=IOB2` reads them: only "B-X" opens an entity, "I-X" continues it, a stray "I-X" is none.

Metric names (usable in thresholds): `entity_precision`, `entity_recall`, `entity_f1`,
`token_accuracy`; per entity type `entity_precision/PER`, `entity_recall/PER`, `entity_f1/PER`.
Each metric needs `label_names`, the tag names in id order, in its config; `with_label_names`
fills them into an EvalConfig at run time. Every metric is computed per model, so a baseline
model gets the same names and TFMA's change thresholds compare candidate and baseline.
"""
import collections
import functools
import json
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import apache_beam as beam
import numpy as np
import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.metrics import metric_types

from tfx_hf.components.evaluation.metric_configs import metric
from tfx_hf.components.input_error import InputError

ENTITY_METRICS_MODULE = "tfx_hf.components.evaluation.entity_metrics"
IGNORE_INDEX = -100  # the label of tokens that carry no tag (🤗's CrossEntropy ignore_index)
_COUNTS_NAME = "_entity_counts"
MODES = ("default", "strict")  # seqeval's default (conlleval) reading, or strict IOB2


# --- seqeval's entity reading ---------------------------------------------------------------

def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    return (prev_tag in ("E", "S")
            or (prev_tag in ("B", "I") and tag in ("B", "S", "O"))
            or (prev_tag not in ("O", ".") and prev_type != type_))


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    return (tag in ("B", "S")
            or (prev_tag in ("E", "S", "O") and tag in ("E", "I"))
            or (tag not in ("O", ".") and prev_type != type_))


def get_entities(tags: Sequence[str]) -> List[Tuple[str, int, int]]:
    """(type, first, last) of each entity in one tag sequence, as seqeval's `get_entities`
    (prefix tags: "B-PER", "I-PER", "O"; "E-"/"S-" as IOBES)."""
    prev_tag, prev_type, begin = "O", "", 0
    chunks = []
    for i, chunk in enumerate(list(tags) + ["O"]):
        tag, type_ = chunk[0], chunk[1:].split("-", maxsplit=1)[-1] or "_"
        if _end_of_chunk(prev_tag, tag, prev_type, type_):
            chunks.append((prev_type, begin, i - 1))
        if _start_of_chunk(prev_tag, tag, prev_type, type_):
            begin = i
        prev_tag, prev_type = tag, type_
    return chunks


def _entity_type(tag: str) -> str:
    """seqeval's Token.tag: the tag after its prefix, without the delimiters around it."""
    return tag[1:].strip("-") or "_"


def get_strict_iob2_entities(tags: Sequence[str]) -> List[Tuple[str, int, int]]:
    """(type, first, last) of each entity as seqeval's `Tokens(tags, IOB2).entities` reads
    them in strict mode: "B-X" followed by any "I-X"."""
    entities, i = [], 0
    while i < len(tags):
        if tags[i][0] == "B":
            entity_type, end = _entity_type(tags[i]), i + 1
            while end < len(tags) and tags[end][0] == "I" and \
                    _entity_type(tags[end]) == entity_type:
                end += 1
            entities.append((entity_type, i, end - 1))
            i = end
        else:
            i += 1
    return entities


def check_mode(mode: str, label_names: Sequence[str]) -> str:
    if mode not in MODES:
        raise InputError(f"entity metrics mode={mode!r} is not known; use one of {list(MODES)}.")
    bad = [name for name in label_names if name[:1] not in ("B", "I", "O")]
    if mode == "strict" and bad:
        raise InputError(f"mode='strict' reads IOB2 tags (B-X, I-X, O), not {bad}; use "
                         "mode='default'.")
    return mode


class EntityCounts:
    """What the metrics are computed from, summed over examples: per entity type the entities
    labelled (`true`), predicted (`pred`) and found (`correct`); tagged tokens and those whose
    predicted tag is right."""
    __slots__ = ["true", "pred", "correct", "tokens", "correct_tokens", "mode"]

    def __init__(self, mode: str = "default"):
        self.true, self.pred, self.correct = (collections.Counter() for _ in range(3))
        self.tokens = self.correct_tokens = 0
        self.mode = mode

    def add(self, true_tags: Sequence[str], pred_tags: Sequence[str]) -> "EntityCounts":
        entities = get_strict_iob2_entities if self.mode == "strict" else get_entities
        true_entities, pred_entities = set(entities(true_tags)), set(entities(pred_tags))
        self.true.update(t for t, _, _ in true_entities)
        self.pred.update(t for t, _, _ in pred_entities)
        self.correct.update(t for t, _, _ in true_entities & pred_entities)
        self.tokens += len(true_tags)
        self.correct_tokens += sum(t == p for t, p in zip(true_tags, pred_tags))
        return self

    def __iadd__(self, other: "EntityCounts") -> "EntityCounts":
        self.true += other.true
        self.pred += other.pred
        self.correct += other.correct
        self.tokens += other.tokens
        self.correct_tokens += other.correct_tokens
        return self

    def types(self) -> List[str]:
        return sorted(set(self.true) | set(self.pred))

    def scores(self, entity_type: Optional[str] = None) -> Dict[str, float]:
        """precision, recall, f1 of one type, or micro-averaged over all (None); 0 where
        seqeval divides by zero."""
        if entity_type is None:
            correct, pred, true = (sum(c.values()) for c in (self.correct, self.pred, self.true))
        else:
            correct, pred, true = (c[entity_type] for c in (self.correct, self.pred, self.true))
        precision = correct / pred if pred else 0.0
        recall = correct / true if true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1}

    def accuracy(self) -> float:
        return self.correct_tokens / self.tokens if self.tokens else float("nan")


def tagged_sequences(label_ids, predictions, label_names: Sequence[str]):
    """(true tags, predicted tags) of one example: the positions whose label is not -100.
    `predictions`: float logits [tokens, classes] (argmax taken) or integer tag ids [tokens]."""
    labels = np.asarray(label_ids).reshape(-1).astype(np.int64)
    predictions = np.asarray(predictions)
    if np.issubdtype(predictions.dtype, np.floating):  # logits, possibly flattened
        if predictions.size % len(label_names):
            raise InputError(
                f"predictions of {predictions.size} values are not logits over "
                f"{len(label_names)} tags; set the ModelSpec's prediction_key to the "
                "token-level logits.")
        predictions = predictions.reshape(-1, len(label_names)).argmax(axis=-1)
    predictions = predictions.reshape(-1).astype(np.int64)
    length = min(len(labels), len(predictions))
    # Labels may be padded further than the logits (or the other way): only padding may differ.
    if (labels[length:] != IGNORE_INDEX).any():
        raise InputError(
            f"an example has {int((labels != IGNORE_INDEX).sum())} tagged tokens but "
            f"predictions for only {len(predictions)} tokens: the labels and the model must "
            "tokenize alike (same tokenizer and max_length).")
    labels, predictions = labels[:length], predictions[:length]
    tagged = labels != IGNORE_INDEX
    names = np.asarray(label_names, dtype=object)
    bad = labels[tagged][(labels[tagged] < 0) | (labels[tagged] >= len(names))]
    if bad.size:
        raise InputError(f"label id {int(bad[0])} is not a tag id (0…{len(names) - 1}) nor "
                         f"{IGNORE_INDEX}; label_names has {len(names)} tags.")
    return list(names[labels[tagged]]), list(names[np.clip(predictions[tagged], 0,
                                                           len(names) - 1)])


# --- TFMA -----------------------------------------------------------------------------------

class _EntityCountsCombiner(beam.CombineFn):
    """Sums EntityCounts over a slice's examples for one model and output."""

    def __init__(self, key: metric_types.MetricKey, label_names: Sequence[str], mode: str):
        self._key, self._label_names, self._mode = key, list(label_names), mode

    def create_accumulator(self) -> EntityCounts:
        return EntityCounts(self._mode)

    def add_input(self, accumulator: EntityCounts,
                  element: metric_types.StandardMetricInputs) -> EntityCounts:
        labels = element.get_labels(self._key.model_name, self._key.output_name)
        predictions = element.get_predictions(self._key.model_name, self._key.output_name)
        if isinstance(predictions, dict):
            raise InputError(
                f"entity metrics need one prediction output, got {sorted(predictions)}: set "
                "the ModelSpec's prediction_key to the token-level logits.")
        return accumulator.add(*tagged_sequences(labels, predictions, self._label_names))

    def merge_accumulators(self, accumulators: Iterable[EntityCounts]) -> EntityCounts:
        accumulators = iter(accumulators)
        result = next(accumulators)
        for accumulator in accumulators:
            result += accumulator
        return result

    def extract_output(self, accumulator: EntityCounts) -> Dict[metric_types.MetricKey,
                                                                 EntityCounts]:
        return {self._key: accumulator}


def _model_computations(statistic: str, name: str, label_names: Sequence[str], mode: str,
                        model_name: str, output_name: str, example_weighted: bool):
    """The shared counts (one combiner, deduplicated by TFMA across the four metrics) and
    `name` derived from them, for one model and output."""
    def key(metric_name: str) -> metric_types.MetricKey:
        return metric_types.MetricKey(name=metric_name, model_name=model_name,
                                      output_name=output_name, example_weighted=example_weighted)

    counts_key, metric_key = key(f"{_COUNTS_NAME}_{mode}"), key(name)

    def result(metrics):
        counts = metrics[counts_key]
        if statistic == "accuracy":
            return {metric_key: counts.accuracy()}
        values = {metric_key: counts.scores()[statistic]}
        for entity_type in counts.types():
            values[key(f"{name}/{entity_type}")] = counts.scores(entity_type)[statistic]
        return values

    return [metric_types.MetricComputation(
                keys=[counts_key], preprocessors=None,
                combiner=_EntityCountsCombiner(counts_key, label_names, mode)),
            metric_types.DerivedMetricComputation(keys=[metric_key], result=result)]


def _computations(statistic: str, name: str, label_names: Optional[Sequence[str]] = None,
                  mode: str = "default", eval_config: Optional[tfma.EvalConfig] = None,
                  model_names=None, output_names=None, example_weighted: bool = False, **_):
    del eval_config  # labels and predictions are read as the ModelSpec names them
    if not label_names:
        raise InputError(
            f"TFMA metric {name!r} needs label_names (the tag names in id order) in its "
            "config, e.g. config='\"label_names\": [\"O\", \"B-PER\", \"I-PER\"]'.")
    check_mode(mode, label_names)
    return [computation for model_name in model_names or [""]
            for output_name in output_names or [""]
            for computation in _model_computations(statistic, name, label_names, mode,
                                                   model_name, output_name, example_weighted)]


class _EntityMetric(metric_types.Metric):
    STATISTIC = ""
    NAME = ""

    def __init__(self, name: Optional[str] = None, label_names: Optional[List[str]] = None,
                 mode: str = "default"):
        """`label_names`: the tag names in id order ("O", "B-PER", "I-PER", …); `mode`:
        "default" (seqeval's default reading) or "strict" (seqeval's strict IOB2)."""
        super().__init__(functools.partial(_computations, self.STATISTIC),
                         name=name or self.NAME, label_names=label_names, mode=mode)


class EntityPrecision(_EntityMetric):
    """Entity-level precision, micro over all types and per type (`entity_precision/TYPE`)."""
    STATISTIC, NAME = "precision", "entity_precision"


class EntityRecall(_EntityMetric):
    """Entity-level recall, micro over all types and per type (`entity_recall/TYPE`)."""
    STATISTIC, NAME = "recall", "entity_recall"


class EntityF1(_EntityMetric):
    """Entity-level F1, micro over all types and per type (`entity_f1/TYPE`)."""
    STATISTIC, NAME = "f1", "entity_f1"


class TokenAccuracy(_EntityMetric):
    """The share of tagged tokens whose predicted tag is the label's (seqeval's accuracy)."""
    STATISTIC, NAME = "accuracy", "token_accuracy"


for _metric in (EntityPrecision, EntityRecall, EntityF1, TokenAccuracy):
    metric_types.register_metric(_metric)

# threshold name → TFMA class name; all are higher-is-better.
ENTITY_METRICS = {metric.NAME: metric.__name__
                  for metric in (EntityF1, EntityPrecision, EntityRecall, TokenAccuracy)}


def label_names_config(label_names: Optional[Sequence[str]], mode: str = "default") -> str:
    """The `config` of an entity metric; without label_names (filled in at run time) when
    they are unknown."""
    parts = [f'"label_names": {json.dumps(list(label_names))}'] if label_names else []
    if mode != "default":
        parts.append(f'"mode": {json.dumps(mode)}')
    return ", ".join(parts)


def with_label_names(config: tfma.EvalConfig, label_names: Sequence[str]) -> tfma.EvalConfig:
    """A copy of `config` whose entity metrics without label_names get `label_names`."""
    config = tfma.EvalConfig.FromString(config.SerializeToString())
    for spec in config.metrics_specs:
        for metric_config in spec.metrics:
            options = json.loads("{" + metric_config.config + "}")
            if metric_config.module == ENTITY_METRICS_MODULE and "label_names" not in options:
                metric_config.config = label_names_config(
                    label_names, options.get("mode", "default"))
    return config


def entity_metrics_spec(label_names: Optional[Sequence[str]], threshold_for,
                        mode: str = "default") -> tfma.MetricsSpec:
    """The four entity metrics, each with `threshold_for(name)` (see eval_config; all are
    higher-is-better); `label_names` None: filled in at run time by `with_label_names`."""
    if label_names:
        check_mode(mode, label_names)
    return tfma.MetricsSpec(metrics=[
        metric(class_name, threshold_for(name), config=label_names_config(label_names, mode),
               module=ENTITY_METRICS_MODULE)
        for name, class_name in ENTITY_METRICS.items()])
