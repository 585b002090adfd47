"""Entity metrics against seqeval's own numbers on the same predictions: entity reading,
micro and per-type precision/recall/F1 and token accuracy, and a real TFMA evaluation (Beam,
TFMA's extractors, evaluator, validator and writers) of a candidate against a baseline whose
metrics carry the same names, with a change threshold and a value threshold."""
import numpy as np
import pandas as pd
import pytest
import tensorflow_model_analysis as tfma

from tfx_hf.components.evaluation.entity_metrics import (
    ENTITY_METRICS, ENTITY_METRICS_MODULE, IGNORE_INDEX, EntityCounts, EntityF1,
    entity_metrics_spec, get_entities, get_strict_iob2_entities, label_names_config,
    tagged_sequences, with_label_names)
from tfx_hf.components.input_error import InputError

# seqeval is a test dependency (setup.py's test extra): a missing one fails, not skips.
import seqeval.metrics as seqeval_metrics  # noqa: E402
from seqeval.metrics.sequence_labeling import get_entities as seqeval_get_entities  # noqa: E402
from seqeval.scheme import IOB2 as SEQEVAL_IOB2, Tokens  # noqa: E402

IOB2 = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
IOBES = IOB2 + ["E-PER", "S-LOC", "E-MISC", "S-MISC"]


def _random_examples(rng, n, num_tags, right=0.7):
    """(label ids with -100 on untagged tokens, logits) per example; the logits' argmax is the
    label with probability `right`, else a random tag."""
    examples = []
    for _ in range(n):
        length = int(rng.integers(1, 25))
        labels = rng.integers(0, num_tags, length)
        labels[rng.random(length) < 0.3] = IGNORE_INDEX
        predicted = np.where((rng.random(length) < right) & (labels >= 0), labels,
                             rng.integers(0, num_tags, length))
        logits = rng.normal(size=(length, num_tags)).astype(np.float32)
        logits[np.arange(length), predicted] += 10.0
        examples.append((labels, logits))
    return examples


def _seqeval_sequences(examples, names):
    true, pred = [], []
    for labels, logits in examples:
        keep = labels != IGNORE_INDEX
        true.append([names[i] for i in labels[keep]])
        pred.append([names[i] for i in logits.argmax(-1)[keep]])
    return true, pred


def _seqeval_scores(true, pred, mode="default"):
    options = dict(mode="strict", scheme=SEQEVAL_IOB2) if mode == "strict" else {}
    report = seqeval_metrics.classification_report(true, pred, output_dict=True,
                                                   zero_division=0, **options)
    return {
        "entity_precision": seqeval_metrics.precision_score(true, pred, zero_division=0,
                                                            **options),
        "entity_recall": seqeval_metrics.recall_score(true, pred, zero_division=0, **options),
        "entity_f1": seqeval_metrics.f1_score(true, pred, zero_division=0, **options),
        "token_accuracy": seqeval_metrics.accuracy_score(true, pred),
        **{f"entity_{stat}/{t}": values[f"{stat}-score" if stat == "f1" else stat]
           for t, values in report.items() if "avg" not in t
           for stat in ("precision", "recall", "f1")},
    }


def _our_scores(counts):
    scores = {f"entity_{stat}": value for stat, value in counts.scores().items()}
    scores["token_accuracy"] = counts.accuracy()
    for t in counts.types():
        scores.update({f"entity_{stat}/{t}": v for stat, v in counts.scores(t).items()})
    return scores


@pytest.mark.filterwarnings("ignore::UserWarning")  # seqeval: "X seems not to be NE tag"
def test_entities_are_read_as_seqeval_reads_them():
    rng = np.random.default_rng(0)
    tags = IOBES + ["B", "I", "O", "MISC", "B-X-Y", "I-X-Y"]
    for _ in range(500):
        sequence = list(rng.choice(tags, int(rng.integers(0, 15))))
        assert get_entities(sequence) == seqeval_get_entities(sequence), sequence


def test_strict_entities_are_read_as_seqeval_strict_iob2():
    rng = np.random.default_rng(3)
    for _ in range(500):
        sequence = list(rng.choice(IOB2 + ["B-X-Y", "I-X-Y", "B", "I"], int(rng.integers(0, 15))))
        expected = [(e.tag, e.start, e.end - 1) for e in Tokens(sequence, SEQEVAL_IOB2).entities]
        assert get_strict_iob2_entities(sequence) == expected, sequence


@pytest.mark.parametrize("names,mode", [(IOB2, "default"), (IOBES, "default"),
                                        (IOB2, "strict")], ids=["iob2", "iobes", "strict"])
def test_scores_equal_seqeval(names, mode):
    rng = np.random.default_rng(1)
    for right in (0.0, 0.5, 0.9, 1.0):
        examples = _random_examples(rng, 40, len(names), right)
        counts = EntityCounts(mode)
        for labels, logits in examples:
            counts.add(*tagged_sequences(labels, logits, names))
        expected = _seqeval_scores(*_seqeval_sequences(examples, names), mode)
        assert _our_scores(counts) == pytest.approx(expected, abs=1e-12), right


def test_no_entities_scores_zero_as_seqeval():
    counts = EntityCounts().add(["O", "O"], ["O", "O"])
    assert counts.scores() == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert seqeval_metrics.f1_score([["O", "O"]], [["O", "O"]], zero_division=0) == 0.0
    assert counts.accuracy() == 1.0


def test_tagged_sequences_mask_untagged_tokens_and_padding():
    names = ["O", "B-PER", "I-PER"]
    labels = np.array([IGNORE_INDEX, 1, IGNORE_INDEX, 2, 0, IGNORE_INDEX, IGNORE_INDEX])
    ids = np.array([0, 1, 1, 2, 2])  # predictions padded shorter than the labels
    assert tagged_sequences(labels, ids, names) == (["B-PER", "I-PER", "O"],
                                                    ["B-PER", "I-PER", "I-PER"])
    logits = np.eye(3, dtype=np.float32)[[0, 1, 1, 2, 2, 0, 0, 0]]  # longer, flattened
    assert tagged_sequences(labels, logits.reshape(-1), names)[1] == ["B-PER", "I-PER", "I-PER"]
    with pytest.raises(InputError, match="tagged tokens but predictions for only 2"):
        tagged_sequences(labels, ids[:2], names)
    with pytest.raises(InputError, match="label id 7"):
        tagged_sequences(np.array([7]), np.array([0]), names)
    with pytest.raises(InputError, match="not logits over 3 tags"):
        tagged_sequences(labels, np.zeros(10, np.float32), names)


def test_label_names_are_required_and_filled_in():
    with pytest.raises(InputError, match="needs label_names"):
        EntityF1().computations()
    spec = entity_metrics_spec(None, lambda name, higher_is_better=True: None)
    config = with_label_names(tfma.EvalConfig(metrics_specs=[spec]), IOB2)
    assert [m.class_name for m in config.metrics_specs[0].metrics] == list(ENTITY_METRICS.values())
    assert {m.config for m in config.metrics_specs[0].metrics} == {label_names_config(IOB2)}
    assert {m.module for m in config.metrics_specs[0].metrics} == {ENTITY_METRICS_MODULE}
    strict = entity_metrics_spec(None, lambda name, higher_is_better=True: None, "strict")
    config = with_label_names(tfma.EvalConfig(metrics_specs=[strict]), IOB2)
    assert {m.config for m in config.metrics_specs[0].metrics} == {
        label_names_config(IOB2, "strict")}
    assert len(EntityF1(label_names=IOB2, mode="strict").computations()) == 2


def test_unknown_modes_and_non_iob2_tags_in_strict_mode_are_refused():
    with pytest.raises(InputError, match="mode='conll' is not known"):
        EntityF1(label_names=IOB2, mode="conll").computations()
    with pytest.raises(InputError, match=r"not \['MISC'\]"):
        entity_metrics_spec(["O", "MISC"], lambda name, higher_is_better=True: None, "strict")


def _evaluate(tmp_path, examples, baseline_ids, metrics):
    """A real TFMA evaluation of the candidate's logits and the baseline's tag ids, as the
    Evaluator runs it on materialized predictions."""
    import apache_beam as beam
    import pyarrow as pa
    from tfx_bsl.arrow import table_util

    frame = pd.DataFrame({
        "labels": [labels.tolist() for labels, _ in examples],
        "logits": [logits.reshape(-1).tolist() for _, logits in examples],  # flattened
        "baseline_ids": [ids.tolist() for ids in baseline_ids]})
    config = tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(name="candidate", label_key="labels",
                                    prediction_key="logits"),
                     tfma.ModelSpec(name="baseline", label_key="labels",
                                    prediction_key="baseline_ids", is_baseline=True)],
        metrics_specs=[tfma.MetricsSpec(metrics=metrics, model_names=["candidate", "baseline"])],
        slicing_specs=[tfma.SlicingSpec()])
    models = [tfma.types.EvalSharedModel(model_name=name, model_path="",
                                         model_type=tfma.constants.MATERIALIZED_PREDICTION)
              for name in ("candidate", "baseline")]
    batch = table_util.CanonicalizeRecordBatch(pa.RecordBatch.from_pandas(frame))
    output = str(tmp_path)
    with beam.Pipeline() as pipeline:
        _ = (pipeline | beam.Create([batch])
             | tfma.ExtractEvaluateAndWriteResults(eval_shared_model=models,
                                                   eval_config=config, output_path=output))

    def overall(model_name):
        result = tfma.load_eval_result(output, model_name=model_name)
        ((_, metrics),) = result.slicing_metrics
        return {k: v["doubleValue"] for k, v in metrics[""][""].items()}
    return overall("candidate"), overall("baseline"), tfma.load_validation_result(output)


def test_tfma_evaluation_with_a_baseline_equals_seqeval(tmp_path):
    rng = np.random.default_rng(2)
    examples = _random_examples(rng, 60, len(IOB2), right=0.8)
    baseline_ids = [rng.integers(0, len(IOB2), len(labels)) for labels, _ in examples]
    change = tfma.MetricThreshold(change_threshold=tfma.GenericChangeThreshold(
        direction=tfma.MetricDirection.HIGHER_IS_BETTER, absolute={"value": -1e-10}))
    too_high = tfma.MetricThreshold(value_threshold=tfma.GenericValueThreshold(
        lower_bound={"value": 0.99}))
    config = label_names_config(IOB2)
    metrics = [tfma.MetricConfig(class_name=class_name, module=ENTITY_METRICS_MODULE,
                                 config=config, threshold=change)
               for class_name in ("EntityF1", "EntityPrecision", "EntityRecall")]
    metrics.append(tfma.MetricConfig(class_name="TokenAccuracy", module=ENTITY_METRICS_MODULE,
                                     config=config, threshold=too_high))
    candidate, baseline, validation = _evaluate(tmp_path, examples, baseline_ids, metrics)

    expected = _seqeval_scores(*_seqeval_sequences(examples, IOB2))
    assert {k: v for k, v in candidate.items() if not k.endswith("_diff")} == \
        pytest.approx(expected, abs=1e-9)
    baseline_logits = [(labels, np.eye(len(IOB2), dtype=np.float32)[ids])
                       for (labels, _), ids in zip(examples, baseline_ids)]
    expected_baseline = _seqeval_scores(*_seqeval_sequences(baseline_logits, IOB2))
    assert baseline == pytest.approx(expected_baseline, abs=1e-9)
    # TFMA's diffs: the same names on the baseline, candidate minus baseline.
    for name in ("entity_f1", "entity_precision", "entity_recall", "token_accuracy",
                 "entity_f1/PER"):
        assert candidate[f"{name}_diff"] == pytest.approx(expected[name] - baseline[name])
    assert candidate["entity_f1"] > baseline["entity_f1"]  # the change threshold passes
    assert not validation.validation_ok  # token_accuracy < 0.99 fails, and only it
    failures = {f.metric_key.name for s in validation.metric_validations_per_slice
                for f in s.failures}
    assert failures == {"token_accuracy"}
