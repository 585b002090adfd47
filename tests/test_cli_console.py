"""The console of `tfx-hf run` and `demo`: one line per component as it starts and finishes,
with its key figure, a training progress bar (plain lines when the output is no terminal),
everything else in OUTPUT/logs/run.log, exit statuses 0/1/2/3, and sample predictions from the
run's own eval split."""
import importlib.util
import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest
from google.protobuf import json_format

from tfx_hf.pipelines import local_runner
from tfx_hf.pipelines.cli import console as console_lib
from tfx_hf.pipelines.cli import main, session, watch

ANSI_OR_REDRAW = re.compile(r"\x1b\[|\r")
# As TFX's LocalDagRunner ("Component ...") and BeamDagRunner ("node ...") log components,
# with some of the noise around them.
RUNNER_FORMATS = {"local": ("Component %s is running.", "Component %s is finished."),
                  "beam": ("node %s is running.", "node %s is finished.")}


def _recorded_runner_lines(runner):
    running, finished = RUNNER_FORMATS[runner]
    return [("Using deployment config:\n %s", ("executor_specs { ... }",)),
            (running, ("HFDatasetExampleGen",)),
            ("Going to run a new execution %d", (1,)),
            (["not", "a", "format", "string"], ()),
            (finished, ("HFDatasetExampleGen",)),
            (running, ("HFTrainer",))]


def _plain_console():
    out = io.StringIO()
    return console_lib.Console(out), out


def test_runner_format_strings_are_the_installed_tfx_s():
    sources = ""
    for module in ("tfx.orchestration.local.local_dag_runner",
                   "tfx.orchestration.beam.beam_dag_runner"):
        with open(importlib.util.find_spec(module).origin) as f:
            sources += f.read()
    for format_string in watch.RUNNER_RECORDS:
        assert f"logging.info('{format_string}'" in sources, format_string


def _replay(console, runner):
    """The recorded runner records through absl, and a training's progress reports."""
    from absl import logging as absl_logging

    from tfx_hf.components.trainer import progress

    with watch.PipelineWatcher(console):  # no MLMD: no figures
        for message, args in _recorded_runner_lines(runner):
            absl_logging.info(message, *args)
        progress.report_bucket_lengths([16, 32])
        progress.report(progress.TRAIN_BEGIN, step=0, total_steps=150, batch_size=16)
        for step in range(1, 151):
            progress.report(progress.TRAIN_STEP, step=step, total_steps=150, loss=1.0 / step,
                            examples_per_second=20.0)
        progress.report(progress.TRAIN_END, step=150, total_steps=150, loss=0.01)
        absl_logging.info(RUNNER_FORMATS[runner][1], "HFTrainer")


@pytest.mark.parametrize("runner", list(RUNNER_FORMATS))
def test_component_lines_and_training_lines_from_recorded_runner_records(runner, capsys):
    from absl import logging as absl_logging

    console, out = _plain_console()
    verbosity, level = absl_logging.get_verbosity(), logging.getLogger().level
    absl_logging.set_verbosity(absl_logging.INFO)
    logging.getLogger().setLevel(logging.INFO)
    try:
        _replay(console, runner)
    finally:
        absl_logging.set_verbosity(verbosity)
        logging.getLogger().setLevel(level)
    lines = out.getvalue().splitlines()
    assert not ANSI_OR_REDRAW.search(out.getvalue())
    assert "Logging error" not in capsys.readouterr().err
    components = [line for line in lines if not line.strip().startswith("training")]
    assert [line.split()[:2] for line in components] == [
        ["start", "HFDatasetExampleGen"], ["done", "HFDatasetExampleGen"],
        ["start", "HFTrainer"], ["done", "HFTrainer"]]
    assert re.fullmatch(r"done +HFDatasetExampleGen +\d+\.\d s", components[1])
    training = [line.strip() for line in lines if line.strip().startswith("training")]
    assert 10 <= len(training) <= 11  # a line per tenth of the steps, not one per step
    assert training[-1] == "training  step 150/150  loss 0.0067  20.0 examples/s  ETA 0.0 s"
    assert "training  step 75/150  loss 0.0133  20.0 examples/s  ETA 1 min 00 s" in training


@pytest.mark.slow  # runs the HFDatasetExampleGen executor (Beam)
def test_example_gen_reports_its_rows_as_it_writes_them(tmp_path, topic_dataset):
    """The real executor's Beam DoFns (DirectRunner in_memory) report the rows they wrote;
    the plain console prints a line per tenth of the rows, the last one 120/120."""
    from absl import logging as absl_logging
    from tfx.types import standard_artifacts

    from tfx_hf.components.hf_dataset_example_gen import executor
    from tfx_hf.components.hf_dataset_example_gen.component import HFDatasetExampleGen

    component = HFDatasetExampleGen(dataset=topic_dataset, splits={"train": "train",
                                                                   "test": "eval"})
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    console, out = _plain_console()
    with watch.PipelineWatcher(console):
        absl_logging.info(RUNNER_FORMATS["local"][0], "HFDatasetExampleGen")
        executor.Executor().Do({}, {"examples": [examples]}, {
            k: v if not hasattr(v, "DESCRIPTOR") else json_format.MessageToJson(v)
            for k, v in component.exec_properties.items()})
        absl_logging.info(RUNNER_FORMATS["local"][1], "HFDatasetExampleGen")
    rows = [line.strip() for line in out.getvalue().splitlines()
            if line.strip().startswith("rows")]
    assert rows[-1] == "rows  120/120  (100 %)"
    assert 1 <= len(rows) <= 11


def test_the_bar_is_drawn_on_a_terminal():
    out = io.StringIO()
    console = console_lib.Console(out, terminal=True)
    console.component("start", "HFTrainer")
    console.begin_training(total=40, first_step=0, batch_size=8)
    for step in range(1, 41):
        console.training(step, 40, 0.5, 12.0)
    console.component("done", "HFTrainer", 3.0, "final loss 0.5000")
    text = out.getvalue()
    assert "\x1b[" in text  # styled and redrawn in place
    assert "40/40" in text and "loss 0.5000" in text and "12.0 examples/s" in text
    assert re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).rstrip().endswith(
        "done    HFTrainer                           3.0 s  final loss 0.5000")


def test_training_progress_reports_only_to_a_listener():
    import numpy as np
    import tensorflow as tf

    from tfx_hf.components import progress_events
    from tfx_hf.components.trainer import progress

    class Events(logging.Handler):
        def __init__(self):
            super().__init__()
            self.events = []

        def emit(self, record):
            self.events.append(record.progress)

    def fit(callback):
        model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        x = np.ones((40, 2), np.float32)
        model.fit(x, x[:, :1], batch_size=4, epochs=1, callbacks=[callback], verbose=0)

    root_events = Events()
    logging.getLogger().addHandler(root_events)
    try:
        fit(progress.TrainingProgress(total_steps=10, batch_size=4))  # nobody listens
        assert root_events.events == []  # and nothing reaches the log: it does not propagate
        listener = Events()
        progress_events.logger.addHandler(listener)
        try:
            fit(progress.TrainingProgress(total_steps=10, batch_size=4))
        finally:
            progress_events.logger.removeHandler(listener)
    finally:
        logging.getLogger().removeHandler(root_events)
    kinds = [e["event"] for e in listener.events]
    assert kinds[0] == "train_begin" and kinds[-1] == "train_end"
    steps = [e for e in listener.events if e["event"] == "train_step"]
    assert steps[-1]["step"] == 10 and steps[-1]["total_steps"] == 10
    assert steps[-1]["examples_per_second"] > 0 and steps[-1]["loss"] >= 0
    assert root_events.events == []


NOISY_PROCESS = """
import logging, os, subprocess, sys, warnings
from absl import logging as absl_logging
from tfx_hf.pipelines.cli import session

def work(console, watcher):
    print("python print")
    sys.stderr.write("python stderr\\n")
    os.write(1, b"fd 1 write\\n")
    os.write(2, b"fd 2 write, as C++ logs\\n")
    absl_logging.info("absl info")
    logging.getLogger("apache_beam").warning("beam warning")
    warnings.warn("a dependency's warning", FutureWarning)
    subprocess.run(["sh", "-c", "echo child stdout; echo child stderr >&2"])
    console.line("console line")
    if sys.argv[2] == "fail":
        raise RuntimeError("it broke")
    return {"blessed": sys.argv[2] == "blessed", "pushed_model": "/m/1",
            "not_blessed_because": ["accuracy 0.4000 (needs >= 0.9)"]}

sys.exit(session.run("run", sys.argv[1], False, work))
"""
NOISE = ["python print", "python stderr", "fd 1 write", "fd 2 write, as C++ logs", "absl info",
         "beam warning", "a dependency's warning", "child stdout", "child stderr"]


@pytest.mark.slow  # a fresh Python process (without TensorFlow)
@pytest.mark.parametrize("outcome, status", [("blessed", 0), ("not_blessed", 3), ("fail", 1)])
def test_everything_but_the_console_goes_to_the_log(tmp_path, outcome, status):
    result = subprocess.run([sys.executable, "-c", NOISY_PROCESS, str(tmp_path), outcome],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == status, result.stderr
    with open(tmp_path / "logs" / "run.log") as f:
        log = f.read()
    for noise in NOISE:
        assert noise in log
    log_path = str(tmp_path / "logs" / "run.log")
    if status == 0:
        assert result.stdout == f"console line\nFull log: {log_path}\n"
        assert result.stderr == ""
    elif status == 3:
        assert result.stdout == "console line\n"
        assert result.stderr == (
            "tfx-hf run: the model was not blessed: accuracy 0.4000 (needs >= 0.9); nothing "
            f"was pushed (full log: {log_path})\n")
    else:
        assert result.stdout == "console line\n"
        assert result.stderr == (
            f"tfx-hf run: error: RuntimeError: it broke (full log: {log_path})\n")
        assert "Traceback" in log and "RuntimeError: it broke" in log


def _fake_run(summary):
    def run_text_classification(output_dir, **kwargs):
        return dict(summary)
    return run_text_classification


@pytest.mark.parametrize("command", [["run", "--dataset", "d", "--checkpoint", "c"], ["demo"]])
@pytest.mark.parametrize("blessed, pushed, status", [(True, "/serving/1", 0), (False, None, 3),
                                                     (True, None, 1)])
def test_exit_status_of_run_and_demo(tmp_path, capsys, monkeypatch, command, blessed, pushed,
                                     status):
    from tfx_hf.pipelines import demo_data

    monkeypatch.setattr(local_runner, "run_text_classification", _fake_run(
        {"blessed": blessed, "pushed_model": pushed, "model": None, "examples": None,
         "accuracy": 0.5, "metrics": {"accuracy": 0.5}, "row_counts": {"train": 2, "eval": 1},
         "not_blessed_because": [] if blessed else ["accuracy 0.5000 (needs >= 0.9)"]}))
    monkeypatch.setattr(demo_data, "build_bbc_news_dataset",
                        lambda folder: (folder, {"articles": 3}))
    monkeypatch.setattr(demo_data, "minilm_checkpoint", lambda: "c")
    assert main([*command, "--output", str(tmp_path)]) == status
    out, err = capsys.readouterr()
    log_path = tmp_path / "logs" / "run.log"
    assert "Eval accuracy: 0.5000" in out and "Report" not in out  # no MLMD: nothing ran
    if status == 0:
        assert err == "" and out.endswith(f"Full log: {log_path}\n")
    else:
        assert str(log_path) not in out and err.endswith(f"(full log: {log_path})\n")
        assert len(err.splitlines()) == 1
        assert ("blessed but not pushed" if blessed else
                "not blessed: accuracy 0.5000 (needs >= 0.9); nothing was pushed") in err


def test_eval_samples_take_a_few_rows_per_class_with_their_true_labels(tmp_path):
    import tensorflow as tf

    from tfx_hf.pipelines.cli import run_summary

    split = tmp_path / "examples" / "Split-eval"
    split.mkdir(parents=True)
    rows = [(f"text {i}", i % 3) for i in range(15)]
    with tf.io.TFRecordWriter(str(split / "data.gz"), options="GZIP") as writer:
        for text, label in rows:
            writer.write(tf.train.Example(features=tf.train.Features(feature={
                "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[text.encode()])),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
            })).SerializeToString())
    samples = run_summary.eval_samples(str(tmp_path / "examples"), "label", num_classes=3)
    texts = [e.features.feature["text"].bytes_list.value[0].decode() for e in samples]
    assert texts == ["text 0", "text 3", "text 1", "text 4", "text 2", "text 5"]
    names = ["sport", "business", "tech"]
    assert [run_summary.true_label(list(e.features.feature["label"].int64_list.value), names)
            for e in samples] == ["sport", "sport", "business", "business", "tech", "tech"]
    assert run_summary.true_label([0.25], []) == "0.25"
    assert len(run_summary.eval_samples(str(tmp_path / "examples"), "label", per_class=1,
                                        limit=2)) == 2


@pytest.mark.pipeline
def test_a_real_run_prints_one_line_per_component_and_keeps_the_log(
        tmp_path, tiny_checkpoint, topic_dataset):
    """One real `tfx-hf run` with its output piped (no terminal), as in CI."""
    import datasets

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "tfx_hf.pipelines.cli", "run", "--dataset", topic_dataset,
         "--checkpoint", tiny_checkpoint, "--output", str(tmp_path), "--splits",
         "train=train,test=eval", "--train-steps", "40", "--batch-size", "8",
         "--max-length", "32", "--learning-rate", "3e-3", "--min-accuracy", "0"],
        capture_output=True, text=True, timeout=1500, env=env)
    assert result.returncode == 0, result.stderr + result.stdout[-3000:]
    assert result.stderr == ""
    out = result.stdout
    assert not ANSI_OR_REDRAW.search(out)
    lines = out.splitlines()
    done = {line.split()[1]: line for line in lines if line.startswith("done ")}
    started = [line.split()[1] for line in lines if line.startswith("start ")]
    assert started == list(done) == [
        "HFDatasetExampleGen", "latest_blessed_model_resolver", "StatisticsGen",
        "TokenLengthStatisticsGen", "TokenizerParityCheck", "SchemaGen", "ExampleValidator",
        "Transform", "HFTrainer", "HFEvaluator", "ServingPusher"]
    assert done["HFDatasetExampleGen"].endswith("rows train 90, eval 30")
    assert done["TokenizerParityCheck"].endswith("tokenizer parity 120/120 rows exact")
    assert re.search(r"token length p95 [\d.]+ \(max_length 32\), truncated 0\.0%$",
                     done["TokenLengthStatisticsGen"])
    assert re.search(r"^Token lengths \(train\): median [\d.]+, p95 ", out, re.M)
    assert done["latest_blessed_model_resolver"].endswith("no baseline (no blessed model yet)")
    assert done["ExampleValidator"].endswith("no schema anomalies")
    assert re.search(r"bucket lengths \[[0-9, ]+32\], final loss \d\.\d{4}$", done["HFTrainer"])
    assert re.search(r"accuracy \d\.\d{4}; blessed$", done["HFEvaluator"])
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert done["ServingPusher"].endswith(f"pushed to {summary['pushed_model']}")
    training = [line for line in lines if line.strip().startswith("training")]
    assert 2 <= len(training) <= 11 and "step 40/40" in training[-1]
    # Sample predictions: rows of the eval split, each class, true label beside the predicted.
    eval_split = datasets.load_from_disk(topic_dataset)["test"]
    texts = {" ".join(t.split()) for t in eval_split["text"]}
    predictions = summary["predictions"]
    assert len(predictions) == 6
    assert sorted(p["true_label"] for p in predictions) == sorted(
        ["sport", "business", "tech"] * 2)
    shown = [line.split()[:2] for line in lines if line.startswith("  ")]
    for p in predictions:
        assert p["text"] in texts and p["label"] in ("sport", "business", "tech")
        assert [p["true_label"], p["label"]] in shown
    log_path = tmp_path / "logs" / "run.log"
    assert lines[-1] == f"Full log: {log_path}" and out.count(str(log_path)) == 1
    log = log_path.read_text()
    assert "Component HFTrainer is running." in log  # absl
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] ", log, re.M)  # TF's C++
    assert "step 40/40" in log  # run_fn's own progress lines


def test_session_restores_output_and_logging(tmp_path, capfd):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stdout, stderr = sys.stdout, sys.stderr

    def work(console, watcher):
        os.write(1, b"hidden\n")
        console.line("shown")
        return {"blessed": True, "pushed_model": "/m/1"}

    assert session.run("run", str(tmp_path), False, work) == 0
    assert (sys.stdout, sys.stderr, root.handlers, root.level) == (stdout, stderr, handlers,
                                                                   level)
    os.write(1, b"after\n")
    out, _ = capfd.readouterr()
    assert out == f"shown\nFull log: {tmp_path / 'logs' / 'run.log'}\nafter\n"
    assert (tmp_path / "logs" / "run.log").read_text().startswith("hidden\n")


def test_verbose_streams_everything_and_still_writes_the_log(tmp_path, capfd):
    def work(console, watcher):
        os.write(2, b"as C++ logs\n")
        logging.getLogger("apache_beam").warning("beam warning")
        console.line("shown")
        return {"blessed": True, "pushed_model": "/m/1"}

    handlers = logging.getLogger().handlers[:]
    assert session.run("run", str(tmp_path), True, work) == 0
    assert logging.getLogger().handlers == handlers
    out, err = capfd.readouterr()
    assert out.startswith("shown\n") and "as C++ logs" in err and "beam warning" in err
    assert "beam warning" in (tmp_path / "logs" / "run.log").read_text()


def test_why_a_model_was_not_blessed(tmp_path):
    import tensorflow as tf
    from google.protobuf import text_format
    from tensorflow_model_analysis.proto import validation_result_pb2

    from tfx_hf.pipelines import results

    result = text_format.Parse("""
        validation_ok: false
        metric_validations_per_slice {
          failures {
            metric_key { name: "sparse_categorical_accuracy" }
            metric_threshold { value_threshold { lower_bound { value: 0.9 } } }
            metric_value { double_value { value: 0.4 } }
          }
          failures {
            metric_key { name: "sparse_categorical_accuracy" is_diff: true }
            metric_threshold { change_threshold { direction: HIGHER_IS_BETTER
                                                  absolute { value: 0.0 } } }
            metric_value { double_value { value: -0.05 } }
          }
        }""", validation_result_pb2.ValidationResult())
    with tf.io.TFRecordWriter(str(tmp_path / "validations.tfrecord")) as writer:
        writer.write(result.SerializeToString())
    assert results.blessing_failures(str(tmp_path)) == [
        "sparse_categorical_accuracy 0.4000 (needs >= 0.9)",
        "sparse_categorical_accuracy change from the baseline -0.0500 (needs >= 0)"]


def test_key_figures_from_recorded_artifacts(tmp_path):
    import tensorflow as tf
    from tensorflow_metadata.proto.v0 import anomalies_pb2
    from tfx.types import standard_artifacts

    from tfx_hf.components.contracts import ROW_COUNTS_PROPERTY
    from tfx_hf.pipelines.cli import figures
    from tfx_hf.pipelines.results import NodeExecution

    examples = standard_artifacts.Examples()
    examples.split_names = '["train", "eval"]'
    examples.set_json_value_custom_property(ROW_COUNTS_PROPERTY, {"eval": 445, "train": 1780})
    anomalies = standard_artifacts.ExampleAnomalies()
    anomalies.uri, anomalies.split_names = str(tmp_path), '["train", "eval"]'
    for split, found in (("train", {}), ("eval", {"label": "Unexpected string values"})):
        result = anomalies_pb2.Anomalies()
        for feature, description in found.items():
            result.anomaly_info[feature].short_description = description
        (tmp_path / f"Split-{split}").mkdir()
        with tf.io.gfile.GFile(str(tmp_path / f"Split-{split}" / "SchemaDiff.pb"), "wb") as f:
            f.write(result.SerializeToString())
    blessing, pushed = standard_artifacts.ModelBlessing(), standard_artifacts.PushedModel()
    blessing.set_int_custom_property("blessed", 0)
    pushed.set_int_custom_property("pushed", 0)
    model = standard_artifacts.Model()
    model.id = 7

    def figure(outputs, type_name="x.Component", inputs=None, training=None):
        return figures.key_figure(NodeExecution(type_name, "COMPLETE", inputs or {}, outputs),
                                  training or {})

    assert figure({"examples": [examples]}) == "rows train 1,780, eval 445"
    assert figure({"anomalies": [anomalies]}) == \
        "schema anomalies: eval: label: Unexpected string values"
    assert figure({"blessing": [blessing]}) == "NOT blessed"
    assert figure({"pushed_model": [pushed]}) == "not pushed"
    assert figure({"model": [model]}, training={"buckets": [16, 32], "loss": 0.25}) == \
        "bucket lengths [16, 32], final loss 0.2500"
    assert figure({"model": [model]}, figures.RESOLVER_TYPE) == "baseline: model 7"
    assert figure({}, figures.RESOLVER_TYPE) == "no baseline (no blessed model yet)"
    assert figures.key_figure(None, {}) == ""
