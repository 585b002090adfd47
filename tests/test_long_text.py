"""long_text="windows": texts longer than max_length are read as 🤗's overflowing windows.
Training learns each window with its text's label; the served model answers per text with
softmax(mean of its windows' logits), equal within 1e-4 to the Python reference computed from
the Format-HF twin (🤗 tokenizer with the same max_length, stride and
return_overflowing_tokens=True, the 🤗 TF model on every window), for texts of 1 to 40 windows,
non-ASCII text, the max_windows cap, and text pairs (windows over the second text)."""
import dataclasses
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tfx_hf.components.contracts import (LABEL_ID_FEATURE, ModelInfo, hf_format_dir,
                                         serving_model_dir)
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import TaskConfig
from tfx_hf.components.task import long_text
from conftest import COMMON, TOPICS

MAX_LENGTH, STRIDE, MAX_WINDOWS = 16, 4, 40


def test_config_checks_the_long_text_options():
    TaskConfig(checkpoint="x", long_text="windows", stride=8, max_windows=3)
    for options, message in [
            (dict(long_text="window"), "long_text='window': use one of"),
            (dict(stride=-1), "stride=-1"), (dict(max_length=16, stride=15), "stride=15"),
            (dict(max_windows=0), "max_windows=0"),
            (dict(window_aggregation="mean"), "window_aggregation='mean'")]:
        with pytest.raises(InputError, match=message):
            TaskConfig(checkpoint="x", **options)


def test_window_features_and_aggregation():
    tokenized = {"input_ids": tf.zeros([6, 4], tf.int64),
                 "overflow_to_sample_mapping": tf.constant([0, 0, 0, 1, 2, 2], tf.int64),
                 "num_windows": tf.constant([5, 1, 2], tf.int64)}
    features = long_text.window_features(tokenized)
    assert features[long_text.WINDOW_INDEX_FEATURE].numpy().tolist() == [0, 1, 2, 0, 0, 1]
    assert features[long_text.TEXT_WINDOWS_FEATURE].numpy().tolist() == [5, 5, 5, 1, 2, 2]
    assert long_text.first_windows(features).numpy().tolist() == [0, 3, 4]
    logits = tf.constant([[1., 0.], [3., 2.], [2., 7.], [5., 5.], [0., 1.], [2., -1.]])
    mapping = features[long_text.WINDOW_TEXT_FEATURE]
    np.testing.assert_allclose(long_text.aggregate_logits(logits, mapping, 3, "mean_logits"),
                               [[2., 3.], [5., 5.], [1., 0.]])
    np.testing.assert_allclose(long_text.aggregate_logits(logits, mapping, 3, "max_logits"),
                               [[3., 7.], [5., 5.], [2., 1.]])
    counts = long_text.window_counts(features[long_text.WINDOW_INDEX_FEATURE],
                                     features[long_text.TEXT_WINDOWS_FEATURE], max_windows=3)
    assert counts == {"documents": 3, "windows": 6, "mean_windows_per_document": 8 / 3,
                      "max_windows_per_document": 5, "documents_over_max_windows": 1}
    labels = tf.ragged.constant([[1], [0, 2], [3, 4, 0]], tf.int64).to_sparse()
    gathered = long_text.gather_rows(labels, mapping)  # a multi-label list per window
    assert tf.RaggedTensor.from_sparse(gathered).to_list() == \
        [[1]] * 3 + [[0, 2]] + [[3, 4, 0]] * 2


def _long_texts():
    """Texts of 1 to 45 windows of 16 tokens (stride 4) in the tiny vocabulary, some with
    non-ASCII words ([UNK] or pieces), the longest beyond max_windows."""
    words = [w for ws in TOPICS.values() for w in ws] + COMMON
    rng = np.random.default_rng(0)
    texts = []
    for n_words in (1, 5, 13, 20, 40, 90, 150, 240, 330, 395, 440):
        chosen = list(rng.choice(words, n_words))
        if n_words % 2:
            chosen[len(chosen) // 2:len(chosen) // 2] = ["Café", "naïve", "中文", "😀", "ÉTÉ"]
        texts.append(" ".join(chosen))
    return texts + ["", "Goal!"]


def _windows_model(root, examples, config):
    """Transform (with the windows config) and a few Trainer steps on the shared examples."""
    import trainer_harness
    from tfx.components.transform import executor as transform_executor
    from tfx.types import standard_artifacts

    schema = trainer_harness._artifact(standard_artifacts.Schema,
                                       os.path.join(os.path.dirname(examples.uri), "schema"))
    transform_graph = trainer_harness._artifact(standard_artifacts.TransformGraph,
                                                os.path.join(root, "tg"))
    transform_executor.Executor().Do(
        {"examples": [examples], "schema": [schema]}, {"transform_graph": [transform_graph]},
        {"preprocessing_fn": trainer_harness.PREPROCESSING_FN, "force_tf_compat_v1": 0,
         "custom_config": json.dumps(config.to_custom_config()), "splits_config": None,
         "disable_statistics": 1})
    model, _ = trainer_harness.train(root, examples, transform_graph, config, train_steps=4)
    return model


def _reference(hf_dir, texts, pairs=None, max_windows=MAX_WINDOWS):
    """The Python path: 🤗 tokenizer windows, the 🤗 TF model on each, mean logits, softmax."""
    from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    model = TFAutoModelForSequenceClassification.from_pretrained(hf_dir)
    args = (texts,) if pairs is None else (pairs, texts)  # windows over the second text
    encoded = tokenizer(*args, truncation="only_second" if pairs else True,
                        max_length=MAX_LENGTH, stride=STRIDE, return_overflowing_tokens=True,
                        padding="longest", return_tensors="np")
    mapping = encoded.pop("overflow_to_sample_mapping")
    logits = model(**{k: tf.constant(v) for k, v in encoded.items()}).logits.numpy()
    windows = np.bincount(mapping, minlength=len(texts))
    probabilities = []
    for i in range(len(texts)):
        mean = logits[mapping == i][:max_windows].mean(axis=0)
        probabilities.append(tf.nn.softmax(mean).numpy())
    return np.stack(probabilities), windows


@pytest.fixture(scope="module")
def windows_config(topic_config):
    return dataclasses.replace(topic_config, max_length=MAX_LENGTH, long_text="windows",
                               stride=STRIDE, max_windows=MAX_WINDOWS)


@pytest.fixture(scope="module")
def windows_model(tmp_path_factory, topic_artifacts, windows_config):
    """A single-text windows model on the shared examples (Transform + 4 Trainer steps)."""
    examples, _ = topic_artifacts
    return _windows_model(str(tmp_path_factory.mktemp("windows_model")), examples,
                          windows_config)


@pytest.mark.slow
def test_served_probabilities_equal_the_python_windows_reference(windows_model):
    model = windows_model
    model_dir = serving_model_dir(model.uri)
    info = ModelInfo.read(model_dir)
    assert info.long_text["aggregation"] == "mean_logits"
    assert (info.long_text["stride"], info.long_text["max_windows"]) == (STRIDE, MAX_WINDOWS)
    counted = info.long_text["training_windows"]  # the 90 training documents, counted
    assert counted["documents"] == 90 and counted["windows"] >= 90, counted
    assert counted["mean_windows_per_document"] == pytest.approx(counted["windows"] / 90)

    texts = _long_texts()
    expected, windows = _reference(hf_format_dir(model.uri), texts)
    assert windows.min() == 1 and 40 <= windows.max() and (windows > MAX_WINDOWS).any()
    loaded = tf.saved_model.load(model_dir)
    served = loaded.signatures["serving_default"](text=tf.constant(texts))
    assert served["probabilities"].shape == (len(texts), 3)
    np.testing.assert_allclose(served["probabilities"].numpy(), expected, atol=1e-4)
    np.testing.assert_array_equal(served["label_id"].numpy(), expected.argmax(-1))

    # serving_tf_example answers per document too; transform_labels gives one label each.
    serialized = tf.constant([tf.train.Example(features=tf.train.Features(feature={
        "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[t.encode()])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 3]))}))
        .SerializeToString() for i, t in enumerate(texts)])
    by_example = loaded.signatures["serving_tf_example"](examples=serialized)
    np.testing.assert_allclose(by_example["probabilities"].numpy(), expected, atol=1e-4)
    labels = loaded.signatures["transform_labels"](examples=serialized)[LABEL_ID_FEATURE]
    assert labels.numpy().tolist() == [i % 3 for i in range(len(texts))]


@pytest.mark.slow
def test_evaluator_scores_documents_not_windows(tmp_path, topic_artifacts, windows_model):
    """TFMA reads serving_tf_example and transform_labels: one prediction and one label per
    eval document, whatever its number of windows."""
    import tensorflow_model_analysis as tfma

    import trainer_harness
    from tfx_hf.components.evaluation import eval_config

    examples, _ = topic_artifacts
    _, uri = trainer_harness.evaluate(str(tmp_path), examples, windows_model,
                                      eval_config(thresholds={"accuracy": 0.0}))
    serialized, labels = trainer_harness.eval_split(examples, "label")
    served = tf.saved_model.load(serving_model_dir(windows_model.uri)).signatures[
        "serving_tf_example"](examples=serialized)
    assert served["label_id"].shape == (len(labels),)
    accuracy = np.mean(served["label_id"].numpy() == np.array([label[0] for label in labels]))
    result = tfma.load_eval_result(uri)
    (overall,) = [m for key, m in result.slicing_metrics if key == ()]
    metrics = {name: value.get("doubleValue") for name, value in overall[""][""].items()}
    assert metrics["sparse_categorical_accuracy"] == pytest.approx(accuracy, abs=1e-6), metrics
    if "example_count" in metrics:
        assert metrics["example_count"] == len(labels), metrics


@pytest.mark.slow
def test_pairs_are_windowed_over_the_second_text(tmp_path, topic_artifacts, windows_config):
    """A pair model (topic name, article): the article is cut to windows, the first text is
    repeated in each, as 🤗's only_second."""
    examples, _ = topic_artifacts
    config = dataclasses.replace(windows_config, text_feature="topic", text_pair_feature="text")
    model = _windows_model(str(tmp_path), examples, config)
    assert ModelInfo.read(serving_model_dir(model.uri)).long_text["text_pair_windows"] == \
        "only_second"
    texts = _long_texts()[:8] + ["", "Goal!"]
    # Short first texts (each window of the second text holds max_length less them).
    firsts = [list(TOPICS)[i % 3] if i % 4 else "über" for i in range(len(texts))]
    expected, windows = _reference(hf_format_dir(model.uri), texts, pairs=firsts)
    assert windows.min() == 1 and windows.max() > MAX_WINDOWS  # and the cap applies
    served = tf.saved_model.load(serving_model_dir(model.uri)).signatures["serving_default"](
        topic=tf.constant(firsts), text=tf.constant(texts))
    np.testing.assert_allclose(served["probabilities"].numpy(), expected, atol=1e-4)


def test_cli_checks_the_stride_against_the_tokenizer_before_running(
        tmp_path, capsys, tiny_checkpoint, topic_dataset):
    """max_length 16 less [CLS] and [SEP]: windows hold 14 tokens, so the stride is at most
    13; one line, exit status 2, nothing run."""
    from tfx_hf.pipelines import cli

    def run(*extra):
        status = cli.main(["run", "--dataset", topic_dataset, "--checkpoint", tiny_checkpoint,
                           "--output", str(tmp_path / "out"), "--train-steps", "1",
                           "--max-length", "16", *extra])
        return status, capsys.readouterr().err

    status, err = run("--long-text", "windows", "--stride", "14")
    assert status == 2 and "stride=14" in err and "hold 14 tokens" in err, err
    assert len(err.strip().splitlines()) == 1
    status, err = run("--long-text", "windows", "--max-windows", "0")
    assert status == 2 and "max_windows=0" in err, err
    config_file = tmp_path / "pipeline.yaml"
    config_file.write_text("pipeline:\n  long_text: window\n")
    status, err = run("--config", str(config_file))
    assert status == 2 and "long_text='window'" in err, err
    assert not os.path.exists(tmp_path / "out" / "pipeline_root")
    with pytest.raises(SystemExit) as raised:  # argparse's choices
        cli.main(["run", "--long-text", "overlap"])
    assert raised.value.code == 2


def test_pipeline_passes_the_long_text_options_to_transform_and_trainer(
        tmp_path, tiny_checkpoint, topic_dataset):
    from tfx_hf.pipelines.text_classification import create_pipeline

    pipeline = create_pipeline(
        "p", str(tmp_path / "root"), topic_dataset, tiny_checkpoint, str(tmp_path / "push"),
        max_length=32, long_text="windows", stride=8, max_windows=4,
        window_aggregation="max_logits")
    checked = []
    for component in pipeline.components:
        if component.id in ("Transform", "HFTrainer"):
            checked.append(component.id)
            config = TaskConfig.from_custom_config(
                json.loads(component.exec_properties["custom_config"]))
            assert (config.long_text, config.stride, config.max_windows,
                    config.window_aggregation) == ("windows", 8, 4, "max_logits"), component.id
    assert sorted(checked) == ["HFTrainer", "Transform"]
