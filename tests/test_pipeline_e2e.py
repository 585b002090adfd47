"""The whole pipeline, run by LocalDagRunner on a tiny BERT made at test time, then the pushed
model served from a process that imports only tensorflow and tensorflow_text; and a second,
worse run of the same pipeline, orchestrated by BeamDagRunner, which the Evaluator compares
with the first run's blessed model."""
import glob
import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import trainer_harness
from tfx_hf.pipelines import local_runner

pytestmark = [pytest.mark.slow, pytest.mark.pipeline]

SERVE_SCRIPT = """
import json, sys
import tensorflow as tf
import tensorflow_text  # registers the tokenizer ops
model = tf.saved_model.load(sys.argv[1])
out = model.signatures["serving_default"](text=tf.constant(json.loads(sys.argv[2])))
assert "transformers" not in sys.modules and "tfx_hf" not in sys.modules
print(json.dumps({k: v.numpy().tolist() for k, v in out.items()}, default=lambda b: b.decode()))
"""


def _eval_split(output, label_feature="label"):
    """The first run's eval split, as its HFDatasetExampleGen wrote it."""
    runs = glob.glob(os.path.join(output, "pipeline_root", "HFDatasetExampleGen", "examples",
                                  "*"))
    first = min(runs, key=lambda path: int(os.path.basename(path)))  # execution ids
    return trainer_harness.eval_split(types.SimpleNamespace(uri=first), label_feature)


def test_pipeline_blesses_and_pushes(pipeline_run):
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the tokenizer ops)

    output, summary = pipeline_run
    assert summary["row_counts"] == {"train": 90, "eval": 30}
    # The accuracy reported is the pushed model's own on the eval split.
    serialized, labels = _eval_split(output)
    served = tf.saved_model.load(summary["pushed_model"]).signatures["serving_tf_example"]
    predicted = served(examples=serialized)["label_id"].numpy()
    assert summary["accuracy"] == pytest.approx(
        np.mean(predicted == np.array([label[0] for label in labels])), abs=1e-6)
    assert summary["blessed"] is True
    pushed = summary["pushed_model"]
    assert pushed.startswith(os.path.join(output, "serving_model"))
    assert os.path.isfile(os.path.join(pushed, "saved_model.pb"))
    with open(os.path.join(pushed, "assets.extra", "requirements.txt")) as f:
        assert "tensorflow-text==" in f.read()
    model_dir = os.path.dirname(summary["model"])
    assert os.path.isfile(os.path.join(model_dir, "Format-HF", "config.json"))
    assert os.path.isfile(os.path.join(model_dir, "Format-HF", "tokenizer.json"))


def test_pushed_model_serves_strings_without_transformers(pipeline_run):
    _, summary = pipeline_run
    texts = ["The striker scored a late goal", "Bank profit and market shares", ""]
    result = subprocess.run(
        [sys.executable, "-c", SERVE_SCRIPT, summary["pushed_model"], json.dumps(texts)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    probabilities = np.array(out["probabilities"])
    assert probabilities.shape == (3, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert out["label_id"] == probabilities.argmax(axis=1).tolist()
    assert out["label"] == [["sport", "business", "tech"][i] for i in out["label_id"]]


def test_serving_logits_match_the_hf_python_path(pipeline_run):
    """Format-Serving on raw strings == 🤗 fast tokenizer + Format-HF model."""
    import tensorflow as tf
    from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

    _, summary = pipeline_run
    hf_dir = os.path.join(os.path.dirname(summary["model"]), "Format-HF")
    texts = ["Chip users on the network", "The coach and the league season"]
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    model = TFAutoModelForSequenceClassification.from_pretrained(hf_dir)
    assert model.config.id2label == {0: "sport", 1: "business", 2: "tech"}
    logits = model(**tokenizer(texts, padding="max_length", truncation=True, max_length=32,
                               return_tensors="tf")).logits
    serving = tf.saved_model.load(summary["pushed_model"]).signatures["serving_default"]
    probabilities = serving(text=tf.constant(texts))["probabilities"].numpy()
    np.testing.assert_allclose(probabilities, tf.nn.softmax(logits).numpy(), atol=1e-4)


def test_tf_example_signature_and_transform_features(pipeline_run):
    import tensorflow as tf

    _, summary = pipeline_run
    loaded = tf.saved_model.load(summary["pushed_model"])
    example = tf.train.Example(features=tf.train.Features(feature={
        "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"the match"]))}))
    serialized = tf.constant([example.SerializeToString()])
    by_example = loaded.signatures["serving_tf_example"](examples=serialized)
    by_text = loaded.signatures["serving_default"](text=tf.constant(["the match"]))
    np.testing.assert_allclose(by_example["probabilities"], by_text["probabilities"], atol=1e-6)
    features = loaded.signatures["transform_features"](examples=serialized)
    assert features["input_ids"].shape == (1, 32)


def test_predict_command_reads_the_push_destination(pipeline_run):
    output, _ = pipeline_run
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "tfx-hf"), "predict",
         os.path.join(output, "serving_model"), "Software for phone apps"],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    label, probability, text = result.stdout.strip().splitlines()[-1].split("\t")
    assert label in ("sport", "business", "tech") and 0 < float(probability) <= 1
    assert text == "Software for phone apps"


@pytest.fixture(scope="module")
def worse_run_by_beam(pipeline_run, tiny_checkpoint, topic_dataset):
    """The same pipeline again in the same root and MLMD, orchestrated by BeamDagRunner, with
    a model that cannot learn (one step at learning rate 0)."""
    output, _ = pipeline_run
    return local_runner.run_text_classification(
        output, dataset=topic_dataset, checkpoint=tiny_checkpoint, runner="beam",
        splits={"train": "train", "test": "eval"}, train_steps=1, batch_size=8,
        max_length=32, learning_rate=0.0, min_accuracy=0.0)


def test_beam_dag_runner_runs_the_pipeline(pipeline_run, worse_run_by_beam):
    """`tfx-hf run --runner beam`: BeamDagRunner runs every component of the pipeline: a new
    model is trained, exported and evaluated on the eval split."""
    from tfx.orchestration import metadata

    output, first = pipeline_run
    summary = worse_run_by_beam
    assert summary["runner"] == "beam"
    assert summary["row_counts"] == {"train": 90, "eval": 30}
    assert summary["model"] != first["model"]
    assert os.path.isfile(os.path.join(summary["model"], "saved_model.pb"))
    assert summary["metrics"]["example_count"] == 30
    # Every node of the pipeline executed in this second run.
    config = metadata.sqlite_metadata_connection_config(os.path.join(output, "metadata.sqlite"))
    with metadata.Metadata(config) as m:
        runs = m.store.get_contexts_by_type("pipeline_run")
        second = max(runs, key=lambda c: c.id)
        node_type = m.store.get_context_type("node").id
        nodes = {c.name.rsplit(".", 1)[-1]
                 for e in m.store.get_executions_by_context(second.id)
                 for c in m.store.get_contexts_by_execution(e.id) if c.type_id == node_type}
    assert len(runs) == 2
    assert nodes == {"HFDatasetExampleGen", "TokenizerParityCheck", "TokenLengthStatisticsGen",
                     "StatisticsGen", "SchemaGen",
                     "ExampleValidator", "Transform", "HFTrainer",
                     "latest_blessed_model_resolver", "HFEvaluator", "ServingPusher"}


def test_worse_second_run_is_not_blessed_against_the_blessed_baseline(
        pipeline_run, worse_run_by_beam):
    """The Resolver hands the first run's blessed model to the Evaluator as its baseline; an
    untrained second model passes the value threshold (0) but is worse than the baseline, so
    it is neither blessed nor pushed."""
    import tensorflow_model_analysis as tfma

    output, first = pipeline_run
    summary = worse_run_by_beam
    assert summary["model"] != first["model"]
    assert summary["accuracy"] < first["accuracy"], (summary["accuracy"], first["accuracy"])
    assert summary["blessed"] is False
    assert summary["pushed_model"] is None
    versions = os.listdir(os.path.join(output, "serving_model"))
    assert len(versions) == 1 and versions[0].isdigit()  # the first model only, complete
    evaluations = sorted(glob.glob(os.path.join(output, "pipeline_root", "HFEvaluator",
                                                "evaluation", "*")), key=os.path.getmtime)
    failures = tfma.load_validation_result(evaluations[-1]).metric_validations_per_slice
    (failure,) = [f for s in failures for f in s.failures]
    assert failure.metric_key.name == "sparse_categorical_accuracy"
    assert failure.metric_key.is_diff  # failed on the change against the baseline


def test_report_of_the_worse_run_says_why_it_was_not_blessed(pipeline_run, worse_run_by_beam):
    from tfx_hf.pipelines.report import write_report

    with open(write_report(pipeline_run[0]), encoding="utf-8") as f:  # the newest run
        page = f.read()
    assert "Not blessed" in page and "must be no worse than the baseline" in page


def test_summary_has_token_length_statistics(pipeline_run):
    """TokenLengthStatisticsGen's figures per split, in summary.json's `token_lengths`: every
    row counted, lengths as the checkpoint's 🤗 tokenizer counts them."""
    from transformers import AutoTokenizer

    output, summary = pipeline_run
    found = summary["token_lengths"]
    assert found["max_length"] == 32 and found["max_length_auto"] is None
    assert {s: found["splits"][s]["rows"] for s in found["splits"]} == {"train": 90, "eval": 30}
    serialized, _ = _eval_split(output)
    import tensorflow as tf
    texts = [tf.train.Example.FromString(e).features.feature["text"].bytes_list.value[0]
             .decode() for e in serialized.numpy()]
    lengths = [len(ids) for ids in AutoTokenizer.from_pretrained(
        os.path.join(os.path.dirname(summary["model"]), "Format-HF"))(texts)["input_ids"]]
    evaluation = found["splits"]["eval"]
    assert evaluation["mean"] == pytest.approx(np.mean(lengths))
    assert evaluation["quantiles"]["p95"] == pytest.approx(np.quantile(lengths, 0.95))
    assert evaluation["truncated"] == sum(n > 32 for n in lengths)
    assert evaluation["windows_per_text"]["max"] == 1  # short texts: one window each
