"""A RoBERTa-architecture model through the whole pipeline: a tiny
TFRobertaForSequenceClassification with a byte-level BPE trained here (conftest's
`tiny_roberta_checkpoint`) is trained, evaluated, blessed and pushed by LocalDagRunner; the
pushed SavedModel serves raw strings, with the probabilities of the 🤗 Python path
(RobertaTokenizerFast + the Format-HF TF model) on hard text, and passes `tfx-hf serve-check`.
The run picks its max_length with `max_length="auto"`."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tfx_hf.pipelines import local_runner

pytestmark = [pytest.mark.slow, pytest.mark.pipeline]

# Non-ASCII, emoji with modifiers and ZWJ, other scripts, whitespace runs, a special token's
# text, empty, and a text longer than max_length.
HARD_TEXTS = ["The striker scored a late goal", "Café naïve — résumé ½ €5", "日本語のテキスト",
              "Привет мир, market shares", "emoji 😀👍🏽 👨‍👩‍👧 #tags @you",
              "  leading\tand  runs  ",
              "<s> bank </s> profit <mask>", "", " ".join(["network data apps"] * 20)]


@pytest.fixture(scope="module")
def roberta_run(tmp_path_factory, tiny_roberta_checkpoint, topic_dataset):
    output = str(tmp_path_factory.mktemp("roberta_run"))
    summary = local_runner.run_text_classification(
        output, dataset=topic_dataset, checkpoint=tiny_roberta_checkpoint,
        splits={"train": "train", "test": "eval"}, train_steps=30, batch_size=8,
        max_length="auto", learning_rate=3e-3, min_accuracy=0.0)
    return output, summary


def _max_length(summary) -> int:
    """The max_length `auto` picked for the run (TokenLengthStatisticsGen records it)."""
    return summary["token_lengths"]["max_length"]


def test_max_length_auto_picks_from_the_training_texts(roberta_run, tiny_roberta_checkpoint,
                                                        topic_dataset):
    """auto: the smallest multiple of 8 covering the 95th percentile of the train split's
    token lengths under RobertaTokenizerFast; the whole run used it."""
    import datasets
    import tensorflow as tf
    from transformers import AutoTokenizer

    _, summary = roberta_run
    texts = datasets.load_from_disk(topic_dataset)["train"]["text"]
    lengths = [len(ids) for ids in AutoTokenizer.from_pretrained(tiny_roberta_checkpoint)(
        texts)["input_ids"]]
    p95 = np.quantile(lengths, 0.95)
    expected = int(8 * np.ceil(p95 / 8))
    auto = summary["token_lengths"]["max_length_auto"]
    assert auto["picked"] == expected == _max_length(summary)
    assert auto["p95"] == pytest.approx(p95) and auto["cap"] == 64 and auto["rows"] == 90
    assert summary["token_lengths"]["splits"]["train"]["truncated_share"] <= 0.05
    loaded = tf.saved_model.load(summary["pushed_model"])
    example = tf.train.Example(features=tf.train.Features(feature={
        "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"the match"]))}))
    features = loaded.signatures["transform_features"](
        examples=tf.constant([example.SerializeToString()]))
    assert features["input_ids"].shape == (1, expected)


def test_roberta_pipeline_blesses_and_pushes(roberta_run):
    _, summary = roberta_run
    assert summary["row_counts"] == {"train": 90, "eval": 30}
    assert summary["blessed"] is True
    assert os.path.isfile(os.path.join(summary["pushed_model"], "saved_model.pb"))
    hf_dir = os.path.join(os.path.dirname(summary["model"]), "Format-HF")
    with open(os.path.join(hf_dir, "config.json")) as f:
        assert json.load(f)["model_type"] == "roberta"
    assert os.path.isfile(os.path.join(hf_dir, "tokenizer.json"))


def test_roberta_serving_matches_the_hf_python_path(roberta_run):
    """Format-Serving on raw strings == RobertaTokenizerFast + the Format-HF TF model."""
    import tensorflow as tf
    from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

    _, summary = roberta_run
    hf_dir = os.path.join(os.path.dirname(summary["model"]), "Format-HF")
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    assert type(tokenizer).__name__ == "RobertaTokenizerFast"
    model = TFAutoModelForSequenceClassification.from_pretrained(hf_dir)
    assert type(model).__name__ == "TFRobertaForSequenceClassification"
    encoded = tokenizer(HARD_TEXTS, padding="max_length", truncation=True,
                        max_length=_max_length(summary), return_tensors="tf")
    assert "token_type_ids" not in encoded
    expected = tf.nn.softmax(model(**encoded).logits).numpy()
    assert np.ptp(expected[:, 0]) > 1e-3  # texts tell apart: the comparison says something
    serving = tf.saved_model.load(summary["pushed_model"]).signatures["serving_default"]
    probabilities = serving(text=tf.constant(HARD_TEXTS))["probabilities"].numpy()
    np.testing.assert_allclose(probabilities, expected, atol=1e-4)
    # One text at a time (each batch cut to its own serving length) gives the same.
    for text, row in zip(HARD_TEXTS, expected):
        one = serving(text=tf.constant([text]))["probabilities"].numpy()[0]
        np.testing.assert_allclose(one, row, atol=1e-4)


def test_roberta_pushed_model_passes_serve_check(roberta_run):
    _, summary = roberta_run
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "tfx-hf"), "serve-check",
         summary["pushed_model"]], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["ok"] and report["errors"] == []
    assert report["ops"]["refused"] == []
    assert report["modules"]["imported_by_load_and_call"] == []
    assert all(s["label"] in ("sport", "business", "tech") for s in report["samples"])
