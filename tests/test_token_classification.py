"""Token classification end to end on a word-tagged dataset made here: HFDatasetExampleGen
(word_tag_columns) → Transform (words tokenized and tags aligned in the graph) → Trainer
(TFAutoModelForTokenClassification, its own loss) → the serving SavedModel, checked against
🤗's Python path: the transform graph's ids and labels against `tokenizer(words,
is_split_into_words=True)` and run_ner's alignment, the token logits against the Format-HF
model within 1e-4, and `serving_default(text)`'s entities, in a fresh process that imports
only tensorflow and tensorflow-text, against `pipeline("token-classification")`."""
import json
import os
import random
import subprocess
import sys

import datasets
import numpy as np
import pytest
import tensorflow as tf

import trainer_harness
from tfx_hf.components.contracts import (TAG_NAMES_PROPERTY, ModelInfo, hf_format_dir,
                                         serving_model_dir)
from tfx_hf.components.task import TaskConfig, get_task
from tfx_hf.components.trainer.checkpoint import load_model

pytestmark = pytest.mark.slow

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
FIRST = ["Anna", "Tom", "Maria", "Peter", "Sara"]
LAST = ["Smith", "Stone", "Parker"]
PLACES = [["Paris"], ["Berlin"], ["New", "York"], ["Rome"]]
FILLER = "the team said in a new market on this week and after".split()
MAX_LENGTH = 32


def _sentence(rng):
    """A row of words with IOB2 tags: a person, filler, a place, filler, in some order."""
    person = [rng.choice(FIRST)] + ([rng.choice(LAST)] if rng.random() < 0.5 else [])
    place = rng.choice(PLACES)
    parts = [(person, "PER"), (rng.sample(FILLER, 3), None), (place, "LOC"),
             (rng.sample(FILLER, 2) + ["."], None)]
    if rng.random() < 0.3:
        parts = parts[2:] + parts[:2]
    words, tags = [], []
    for part_words, kind in parts:
        for i, word in enumerate(part_words):
            words.append(word)
            tags.append(0 if kind is None else TAGS.index(("B-" if i == 0 else "I-") + kind))
    return words, tags


def _rows(n, seed):
    rng = random.Random(seed)
    words, tags = zip(*[_sentence(rng) for _ in range(n)])
    return {"tokens": list(words), "ner_tags": list(tags)}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_checkpoint):
    root = tmp_path_factory.mktemp("token_classification")
    features = datasets.Features({
        "tokens": datasets.Sequence(datasets.Value("string")),
        "ner_tags": datasets.Sequence(datasets.ClassLabel(names=TAGS))})
    dataset = str(root / "data")
    datasets.DatasetDict({
        "train": datasets.Dataset.from_dict(_rows(80, 0), features=features),
        "test": datasets.Dataset.from_dict(_rows(24, 1), features=features),
    }).save_to_disk(dataset)
    config = TaskConfig(checkpoint=tiny_checkpoint, task="token_classification",
                        text_feature="tokens", label_feature="ner_tags",
                        max_length=MAX_LENGTH, batch_size=8, learning_rate=1e-3)
    examples, transform_graph = trainer_harness.prepare(
        str(root), dataset, config, splits={"train": "train", "test": "eval"},
        word_tag_columns={"tokens": "ner_tags"})
    model, _ = trainer_harness.train(str(root), examples, transform_graph, config,
                                     train_steps=60)
    return config, examples, model


def _hf_inputs(tokenizer, rows):
    encoded = tokenizer(rows["tokens"], is_split_into_words=True, truncation=True,
                        max_length=MAX_LENGTH, padding="max_length")
    labels = []
    for i, tags in enumerate(rows["ner_tags"]):  # run_ner.py's alignment
        previous, row = None, []
        for word in encoded.word_ids(i):
            row.append(-100 if word is None or word == previous else tags[word])
            previous = word
        labels.append(row)
    return encoded, np.array(labels)


def test_transform_trains_and_serves_token_logits(trained, tiny_checkpoint):
    from transformers import AutoTokenizer, TFAutoModelForTokenClassification

    config, examples, model = trained
    assert examples.get_json_value_custom_property(TAG_NAMES_PROPERTY) == {"ner_tags": TAGS}
    hf_model = TFAutoModelForTokenClassification.from_pretrained(hf_format_dir(model.uri))
    assert hf_model.config.id2label == dict(enumerate(TAGS))
    info = ModelInfo.read(serving_model_dir(model.uri))
    assert (info.task, info.text_features, info.label_names) == (
        "token_classification", ["text"], TAGS)

    serving = tf.saved_model.load(serving_model_dir(model.uri))
    serialized, _ = trainer_harness.eval_split(examples, "ner_tags")
    parsed = [tf.train.Example.FromString(s) for s in serialized.numpy()]
    rows = {"tokens": [[w.decode() for w in e.features.feature["tokens"].bytes_list.value]
                       for e in parsed],
            "ner_tags": [list(e.features.feature["ner_tags"].int64_list.value) for e in parsed]}
    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    encoded, labels = _hf_inputs(tokenizer, rows)
    # The transform graph tokenizes the words and aligns the tags as 🤗 does.
    transformed = serving.signatures["transform_features"](examples=serialized)
    np.testing.assert_array_equal(transformed["input_ids"].numpy(), encoded["input_ids"])
    np.testing.assert_array_equal(
        serving.signatures["transform_labels"](examples=serialized)["label_id"].numpy(), labels)
    # Token logits of serving_tf_example == the Format-HF model on 🤗's inputs.
    out = serving.signatures["serving_tf_example"](examples=serialized)
    inputs = {k: tf.constant(v) for k, v in encoded.items()}
    np.testing.assert_allclose(out["logits"].numpy(), hf_model(**inputs).logits.numpy(),
                               atol=1e-4)
    # It learned: the model's own loss (which leaves -100 out) fell well below the start.
    tf.keras.utils.set_random_seed(config.seed)
    start = load_model(tiny_checkpoint, get_task(config.task), TAGS)
    start_loss = float(tf.reduce_mean(start(**inputs, labels=tf.constant(labels)).loss))
    final_loss = float(tf.reduce_mean(hf_model(**inputs, labels=tf.constant(labels)).loss))
    assert final_loss < 0.5 * start_loss, (start_loss, final_loss)
    tagged = labels != -100
    accuracy = np.mean(np.argmax(out["logits"].numpy(), axis=-1)[tagged] == labels[tagged])
    assert accuracy > 0.8, accuracy


SERVE = """
import json, sys
import tensorflow as tf, tensorflow_text  # noqa: F401
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
out = serve(text=tf.constant(json.loads(sys.argv[2])))
assert "transformers" not in sys.modules and "tfx_hf" not in sys.modules
print(json.dumps({k: v.numpy().tolist() for k, v in out.items() if k != "logits"},
                 default=lambda b: b.decode()))
"""
TEXTS = ["Anna Smith said in Paris .", "Peter said the team in New York and Tom in Rome .",
         "Berlin", "", "Sara Stone Maria Parker Rome Paris"]


def test_serving_default_gives_the_entities_of_the_transformers_pipeline(trained):
    from transformers import AutoTokenizer, TFAutoModelForTokenClassification
    from transformers.pipelines.token_classification import TokenClassificationPipeline

    _, _, model = trained
    result = subprocess.run(
        [sys.executable, "-c", SERVE, serving_model_dir(model.uri), json.dumps(TEXTS)],
        capture_output=True, text=True, check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    out = json.loads(result.stdout.strip().splitlines()[-1])
    hf_dir = hf_format_dir(model.uri)
    reference = TokenClassificationPipeline(
        model=TFAutoModelForTokenClassification.from_pretrained(hf_dir),
        tokenizer=AutoTokenizer.from_pretrained(hf_dir), framework="tf")
    for row, text in enumerate(TEXTS):
        expected = reference(text, aggregation_strategy="simple") if text else []
        n = out["num_entities"][row]
        got = [(out["entity_group"][row][i], out["start"][row][i], out["end"][row][i],
                out["word"][row][i]) for i in range(n)]
        assert got == [(e["entity_group"], e["start"], e["end"], text[e["start"]:e["end"]])
                       for e in expected], text
        np.testing.assert_allclose(out["score"][row][:n], [e["score"] for e in expected],
                                   atol=1e-4)


def test_predict_shows_entities(trained):
    from tfx_hf.components.export.predict import predict

    _, _, model = trained
    [prediction] = predict(serving_model_dir(model.uri), [TEXTS[0]])
    assert prediction["lines"] == [
        f"{e['entity_group']}  {e['score']:.4f}  {e['start']}:{e['end']}  {e['word']}"
        for e in prediction["entities"]]
    assert all(TEXTS[0][e["start"]:e["end"]] == e["word"] for e in prediction["entities"])


def test_the_evaluator_computes_entity_metrics_on_the_served_token_logits(trained,
                                                                         tmp_path):
    """HFEvaluator (TFMA through serving_tf_example and transform_labels) gives the entity
    F1 of the served model's tags at each word's first sub-word, and blesses the first
    model against an entity_f1 bound it passes."""
    import tensorflow_model_analysis as tfma

    from tfx_hf.components.evaluation.entity_metrics import get_entities, with_label_names
    from tfx_hf.components.evaluation.eval_config import eval_config
    from tfx_hf.components.evaluation.evaluation_results import overall_metrics

    _, examples, model = trained
    serving = tf.saved_model.load(serving_model_dir(model.uri))
    serialized, _ = trainer_harness.eval_split(examples, "ner_tags")
    labels = serving.signatures["transform_labels"](examples=serialized)["label_id"].numpy()
    predicted = np.argmax(serving.signatures["serving_tf_example"](examples=serialized)[
        "logits"].numpy(), axis=-1)
    true_spans = found_spans = correct = 0
    for row_labels, row_predicted in zip(labels, predicted):
        tagged = row_labels != -100
        truth = set(get_entities([TAGS[i] for i in row_labels[tagged]]))
        found = set(get_entities([TAGS[i] for i in row_predicted[tagged]]))
        true_spans, found_spans = true_spans + len(truth), found_spans + len(found)
        correct += len(truth & found)
    precision, recall = correct / max(found_spans, 1), correct / max(true_spans, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    assert f1 > 0.2, f1  # entities are found (so the comparison below is not of zeros)

    config = with_label_names(eval_config("token_classification",
                                          thresholds={"entity_f1": f1 / 2}), TAGS)
    blessed, evaluation_uri = trainer_harness.evaluate(str(tmp_path), examples, model, config)
    assert blessed, tfma.load_validation_result(evaluation_uri)
    metrics = overall_metrics(evaluation_uri)
    assert metrics["entity_f1"] == pytest.approx(f1, abs=1e-6)
    assert metrics["entity_precision"] == pytest.approx(precision, abs=1e-6)
    assert metrics["entity_recall"] == pytest.approx(recall, abs=1e-6)
