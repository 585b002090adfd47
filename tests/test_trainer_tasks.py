"""Each task trains through the real Trainer executor (after the real ExampleGen, StatisticsGen,
SchemaGen and Transform executors) to a loss clearly below its starting loss, and exports a
string-serving model with the task's outputs."""
import os
import random

import datasets
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_model_analysis as tfma
from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

import trainer_harness
from conftest import COMMON, TOPICS, make_texts
from tfx_hf.components.contracts import (ROW_COUNTS_PROPERTY, hf_format_dir,
                                         serving_model_dir)
from tfx_hf.components.evaluation import eval_config
from tfx_hf.components.evaluation.evaluation_results import overall_metrics
from tfx_hf.components.task import TaskConfig, get_task
from tfx_hf.components.trainer.checkpoint import load_model

pytestmark = pytest.mark.slow
TOPIC_NAMES = list(TOPICS)


def _multi_label_rows(n, seed):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        topics = sorted(rng.sample(range(3), rng.choice([1, 2])))
        words = [w for t in topics for w in rng.choices(TOPICS[TOPIC_NAMES[t]], k=4)]
        words += rng.choices(COMMON, k=3)
        rng.shuffle(words)
        rows.append({"text": " ".join(words), "label": topics})
    return rows


def _regression_rows(n, seed):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        sport = rng.randint(0, 8)
        words = rng.choices(TOPICS["sport"], k=sport) + rng.choices(TOPICS["tech"], k=8 - sport)
        rng.shuffle(words)
        rows.append({"text": " ".join(words), "label": sport / 8})
    return rows


def _pair_rows(n, seed):
    """The label is the topic of the second text; the first is about a random topic, so the
    model must tell the segments apart (token_type_ids) to learn it."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        first, second = rng.randrange(3), rng.randrange(3)
        rows.append({"text": " ".join(rng.choices(TOPICS[TOPIC_NAMES[first]], k=5)),
                     "text_b": " ".join(rng.choices(TOPICS[TOPIC_NAMES[second]], k=5)),
                     "label": second})
    return rows


def _dataset(tmp_path, rows_fn, features):
    path = str(tmp_path / "dataset")
    datasets.DatasetDict({
        "train": datasets.Dataset.from_list(rows_fn(120, 0), features=features),
        "test": datasets.Dataset.from_list(rows_fn(24, 1), features=features),
    }).save_to_disk(path)
    return path


def _hf_loss(model, tokenizer, rows, task, num_labels):
    texts = [r["text"] for r in rows]
    pairs = [r["text_b"] for r in rows] if "text_b" in rows[0] else None
    if task == "multi_label_classification":
        labels = np.zeros((len(rows), num_labels), np.float32)
        for i, r in enumerate(rows):
            labels[i, r["label"]] = 1.0
    else:
        labels = np.array([r["label"] for r in rows],
                          np.float32 if task == "regression" else np.int64)
    inputs = tokenizer(texts, pairs, padding="max_length", truncation=True, max_length=32,
                       return_tensors="tf")
    logits = model(**inputs).logits
    if task == "multi_label_classification":  # 🤗 TF models have no multi-label loss
        return float(tf.keras.losses.BinaryCrossentropy(from_logits=True)(labels, logits))
    if task == "regression":
        return float(tf.keras.losses.MeanSquaredError()(labels, logits[:, 0]))
    return float(tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits))


def _f1(truth, guess, axis=None):
    """F1 of boolean predictions (per class along `axis`); 0 where nothing was predicted or
    true, as TFMA and sklearn count it."""
    tp = np.sum(truth & guess, axis=axis)
    wrong = np.sum(truth != guess, axis=axis)
    return np.where(tp > 0, 2 * tp / np.maximum(2 * tp + wrong, 1), 0.0)


TASKS = {
    "single_label_classification": (
        lambda n, seed: [{"text": r["text"], "label": r["label"]} for r in
                         make_texts(n // 3, seed)],
        datasets.Features({"text": datasets.Value("string"),
                           "label": datasets.ClassLabel(names=TOPIC_NAMES)})),
    "multi_label_classification": (
        _multi_label_rows,
        datasets.Features({"text": datasets.Value("string"),
                           "label": datasets.Sequence(datasets.ClassLabel(names=TOPIC_NAMES))})),
    "text_pair_classification": (
        _pair_rows,
        datasets.Features({"text": datasets.Value("string"), "text_b": datasets.Value("string"),
                           "label": datasets.ClassLabel(names=TOPIC_NAMES)})),
    "regression": (
        _regression_rows,
        datasets.Features({"text": datasets.Value("string"), "label": datasets.Value("float32")})),
}


def _trained(request, tmp_path, tiny_checkpoint, task):
    """(config, Examples, Model, ModelRun) for `task`. Single-label classification is the
    shared session model (conftest); the other tasks train here on their own data, each
    exercising other training options along the way. ModelRun is None for the shared model."""
    if task == "single_label_classification":
        examples, _ = request.getfixturevalue("topic_artifacts")
        return (request.getfixturevalue("topic_config"), examples,
                request.getfixturevalue("topic_model"), None)
    rows_fn, features = TASKS[task]
    options = {
        "text_pair_classification": dict(task="single_label_classification",
                                         text_pair_feature="text_b", epochs=3,
                                         early_stopping_patience=2),
        "regression": dict(task="regression", jit_compile=True),
    }.get(task, dict(task=task))
    config = TaskConfig(checkpoint=tiny_checkpoint, max_length=32, batch_size=8,
                        learning_rate=3e-3, num_buckets=3, **options)
    examples, transform_graph = trainer_harness.prepare(
        str(tmp_path), _dataset(tmp_path, rows_fn, features), config,
        splits={"train": "train", "test": "eval"})
    model, model_run = trainer_harness.train(str(tmp_path), examples, transform_graph, config,
                                             train_steps=120)
    return config, examples, model, model_run


@pytest.mark.parametrize("task", list(TASKS))
def test_task_trains_and_serves(request, tmp_path, tiny_checkpoint, task):
    rows_fn, _ = TASKS[task]
    config, examples, model, model_run = _trained(request, tmp_path, tiny_checkpoint, task)
    task = config.task
    label_names = TOPIC_NAMES

    rows = rows_fn(48, 2)  # texts not seen in training
    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    num_labels = 0 if task == "regression" else len(label_names)
    tf.keras.utils.set_random_seed(config.seed)
    start = load_model(tiny_checkpoint, get_task(task), label_names)
    trained = TFAutoModelForSequenceClassification.from_pretrained(
        hf_format_dir(model.uri))
    assert trained.config.problem_type == task
    start_loss = _hf_loss(start, tokenizer, rows, task, num_labels)
    final_loss = _hf_loss(trained, tokenizer, rows, task, num_labels)
    # A model that learned nothing stays near its starting loss.
    assert final_loss < 0.75 * start_loss, (start_loss, final_loss)

    serving = tf.saved_model.load(serving_model_dir(model.uri))
    # Parity: Format-Serving on raw strings == 🤗 fast tokenizer + Format-HF model (padded to
    # max_length), for a batch of short rows (served at a shorter length) and one mixed with a
    # row longer than max_length.
    long_row = {f: " ".join(rows[0][f] for _ in range(6)) for f in config.text_features}
    for batch in (rows[:4], rows[:3] + [long_row]):
        out = serving.signatures["serving_default"](
            **{f: tf.constant([r[f] for r in batch]) for f in config.text_features})
        texts = [r["text"] for r in batch]
        pairs = [r["text_b"] for r in batch] if config.text_pair_feature else None
        logits = trained(**tokenizer(texts, pairs, padding="max_length", truncation=True,
                                     max_length=32, return_tensors="tf")).logits
        expected = {"single_label_classification": ("probabilities", tf.nn.softmax(logits)),
                    "multi_label_classification": ("scores", tf.sigmoid(logits)),
                    "regression": ("scores", logits[:, 0])}[task]
        np.testing.assert_allclose(out[expected[0]].numpy(), expected[1].numpy(), atol=1e-4)
    if task == "single_label_classification":
        assert out["probabilities"].shape == (4, len(label_names))
        assert set(out["label"].numpy()) <= {n.encode() for n in label_names}
    elif task == "multi_label_classification":
        assert out["scores"].shape == (4, 3)
    else:
        assert out["scores"].shape == (4,)
    if model_run is not None:
        assert tf.io.gfile.glob(os.path.join(model_run.uri, "train", "events.out.tfevents*"))

    # The Evaluator (TFMA, through serving_tf_example and transform_labels) agrees with the
    # serving model's own predictions on the eval split.
    blessed, evaluation_uri = trainer_harness.evaluate(
        os.path.join(str(tmp_path), "eval"), examples, model, eval_config(task))
    assert blessed, tfma.load_validation_result(evaluation_uri)
    metrics = overall_metrics(evaluation_uri)
    serialized, labels = trainer_harness.eval_split(examples, config.label_feature)
    predicted = serving.signatures["serving_tf_example"](examples=serialized)
    row_counts = examples.get_json_value_custom_property(ROW_COUNTS_PROPERTY)
    assert metrics["example_count"] == len(labels) == row_counts["eval"]
    if task == "single_label_classification":
        truth = np.array([label[0] for label in labels])
        guess = predicted["label_id"].numpy()
        expected = np.mean(guess == truth)
        assert metrics["sparse_categorical_accuracy"] == pytest.approx(expected, abs=1e-6)
        one_hot = np.eye(3, dtype=bool)
        assert metrics["macro_f1"] == pytest.approx(
            np.mean(_f1(one_hot[truth], one_hot[guess], axis=0)), abs=1e-6)
    elif task == "multi_label_classification":
        truth = np.zeros((len(labels), 3), bool)
        for i, ids in enumerate(labels):
            truth[i, ids] = True
        guess = predicted["scores"].numpy() > 0.5
        assert metrics["micro_average/f1_score"] == pytest.approx(_f1(truth, guess), abs=1e-5)
        assert metrics["macro_average/f1_score"] == pytest.approx(
            np.mean(_f1(truth, guess, axis=0)), abs=1e-5)
    else:
        mse = np.mean((predicted["scores"].numpy() - np.array([label[0] for label in labels])) ** 2)
        assert metrics["mean_squared_error"] == pytest.approx(mse, rel=1e-4)
        assert "mean_absolute_error" in metrics
