"""Bad input to `tfx-hf` stops with one line naming what was wrong (exit status 2), before
training; other failures of a run are one line too (exit status 1), their traceback in the
run's log; help and argument errors answer fast, without log lines and without importing the
training stack."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

import datasets
import pytest

from tfx_hf.components.hf_hub_pusher.hub_token import MissingTokenError
from tfx_hf.pipelines import cli, local_runner

HEAVY_MODULES = ("tensorflow", "tfx", "transformers", "apache_beam", "datasets")


def _run(tmp_path, capsys, dataset, checkpoint, *extra):
    status = cli.main(["run", "--dataset", dataset, "--checkpoint", checkpoint,
                       "--output", str(tmp_path / "out"), "--train-steps", "1",
                       "--max-length", "32", *extra])
    err = capsys.readouterr().err
    return status, err


def _no_training_happened(tmp_path):
    return not os.path.exists(tmp_path / "out" / "pipeline_root" / "HFTrainer")


def test_dataset_path_that_does_not_exist(tmp_path, capsys, tiny_checkpoint):
    status, err = _run(tmp_path, capsys, str(tmp_path / "missing"), tiny_checkpoint)
    assert status == 2
    assert "error: Dataset path" in err and "missing' does not exist" in err
    assert _no_training_happened(tmp_path)


def test_checkpoint_without_tokenizer_files(tmp_path, capsys, tiny_checkpoint, topic_dataset):
    checkpoint = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, checkpoint)
    for name in ("tokenizer.json", "vocab.txt"):
        os.remove(checkpoint / name)
    status, err = _run(tmp_path, capsys, topic_dataset, str(checkpoint))
    assert status == 2 and "has no tokenizer files" in err and str(checkpoint) in err
    assert _no_training_happened(tmp_path)


def test_checkpoint_folder_that_does_not_exist(tmp_path, capsys, topic_dataset):
    status, err = _run(tmp_path, capsys, topic_dataset, str(tmp_path / "nope"))
    assert status == 2 and "nope' is not a folder" in err


def test_missing_text_column(tmp_path, capsys, tiny_checkpoint, topic_dataset):
    status, err = _run(tmp_path, capsys, topic_dataset, tiny_checkpoint,
                       "--text-column", "headline", "--splits", "train=train,test=eval")
    assert status == 2
    assert "Column 'headline' is not in dataset" in err and "text, label, topic" in err
    assert _no_training_happened(tmp_path)


def test_missing_label_column(tmp_path, capsys, tiny_checkpoint, topic_dataset):
    status, err = _run(tmp_path, capsys, topic_dataset, tiny_checkpoint,
                       "--label-column", "category", "--splits", "train=train,test=eval")
    assert status == 2 and "Column 'category' is not in dataset" in err


def test_empty_split(tmp_path, capsys, tiny_checkpoint):
    path = str(tmp_path / "ds")
    datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"text": ["a b"], "label": [0]}),
        "test": datasets.Dataset.from_dict({"text": [], "label": []}),
    }).save_to_disk(path)
    status, err = _run(tmp_path, capsys, path, tiny_checkpoint, "--splits",
                       "train=train,test=eval")
    assert status == 2 and "Split 'test'" in err and "has no rows" in err
    assert _no_training_happened(tmp_path)


def test_malformed_splits_flag(tmp_path, capsys, tiny_checkpoint, topic_dataset):
    status, err = _run(tmp_path, capsys, topic_dataset, tiny_checkpoint, "--splits", "train")
    assert status == 2 and "HF_SPLIT=TFX_SPLIT" in err


class _FailingOrchestrator:
    """Stands in for LocalDagRunner: raises what a component's executor raised mid-run."""

    def __init__(self, error):
        self.error = error

    def run(self, pipeline):
        raise self.error


def test_an_input_error_from_deep_inside_is_one_line_and_status_2(
        tmp_path, capsys, monkeypatch, tiny_checkpoint, topic_dataset):
    # As the Hub pusher raises it, after training, inside the orchestrator.
    error = MissingTokenError("token_file='/secrets/hf' does not exist:\n  mount the Hub token "
                              "secret there.")
    monkeypatch.setattr(local_runner, "make_runner", lambda runner: _FailingOrchestrator(error))
    status, err = _run(tmp_path, capsys, topic_dataset, tiny_checkpoint,
                       "--splits", "train=train,test=eval")
    assert status == 2
    assert err == ("tfx-hf run: error: token_file='/secrets/hf' does not exist: mount the Hub "
                   "token secret there.\n")
    assert "Traceback" in (tmp_path / "out" / "logs" / "run.log").read_text()


def test_any_other_error_is_one_line_and_status_1_with_its_traceback_in_the_log(
        tmp_path, capsys, monkeypatch, tiny_checkpoint, topic_dataset):
    error = RuntimeError("an executor crashed")
    monkeypatch.setattr(local_runner, "make_runner", lambda runner: _FailingOrchestrator(error))
    status, err = _run(tmp_path, capsys, topic_dataset, tiny_checkpoint,
                       "--splits", "train=train,test=eval")
    log_path = tmp_path / "out" / "logs" / "run.log"
    assert status == 1
    assert err == f"tfx-hf run: error: RuntimeError: an executor crashed (full log: {log_path})\n"
    log = log_path.read_text()
    assert "Traceback (most recent call last)" in log and "raise self.error" in log


@pytest.mark.slow  # a fresh process that imports TensorFlow and TFX
def test_a_real_run_with_bad_input_prints_one_line(tmp_path, tiny_checkpoint):
    """`tfx-hf run` as a user starts it: exit status 2, nothing on stdout, one line on stderr,
    and the log holds the traceback and what TensorFlow's C++ code printed."""
    result = subprocess.run(
        [sys.executable, "-m", "tfx_hf.pipelines.cli", "run", "--dataset",
         str(tmp_path / "missing"), "--checkpoint", tiny_checkpoint, "--output",
         str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"})
    log_path = tmp_path / "out" / "logs" / "run.log"
    assert result.returncode == 2 and result.stdout == ""
    assert re.fullmatch(r"tfx-hf run: error: Dataset path .*missing' does not exist[^\n]*\n",
                        result.stderr)
    log = log_path.read_text()
    assert "Traceback (most recent call last)" in log
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] ", log, re.M)  # TF's C++


def _light_cli(argv):
    """Runs `tfx-hf ARGV` in a fresh interpreter; returns its exit status, stderr, the heavy
    modules it imported and its TF_USE_LEGACY_KERAS (unset before the CLI starts)."""
    script = (
        "import json, os, sys\n"
        "os.environ.pop('TF_USE_LEGACY_KERAS', None)\n"
        "from tfx_hf.pipelines.cli import main\n"
        "try:\n"
        f"    status = main({argv!r})\n"
        "except SystemExit as e:\n"
        "    status = e.code\n"
        f"heavy = [m for m in {HEAVY_MODULES!r} if m in sys.modules]\n"
        "print(json.dumps([status, heavy, os.environ.get('TF_USE_LEGACY_KERAS')]))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    status, heavy, legacy_keras = json.loads(result.stdout.splitlines()[-1])
    return status, result.stderr, heavy, legacy_keras


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["compile", "--help"],
                                  ["demo", "--help"]])
def test_help_does_not_import_the_training_stack(argv):
    status, err, heavy, _ = _light_cli(argv)
    assert status == 0 and heavy == [] and err == ""  # no log lines


def test_an_unknown_flag_exits_2_without_importing_the_training_stack():
    status, err, heavy, legacy_keras = _light_cli(["run", "--bogus"])
    assert status == 2 and heavy == []
    # argparse's usage and its one error line, nothing else
    assert err.startswith("usage: tfx-hf") and err.endswith(
        "tfx-hf: error: unrecognized arguments: --bogus\n")
    assert all(line.startswith(("usage:", " ", "tfx-hf")) for line in err.splitlines())
    # The program, not the library, makes tf.keras resolve to Keras 2 for what it imports.
    assert legacy_keras == "1"


@pytest.mark.slow  # six fresh (light) Python processes
@pytest.mark.parametrize("argv", [["--help"], ["run", "--bogus"]])
def test_help_and_argument_errors_answer_within_a_second(argv):
    """The whole `tfx-hf` process, start to exit; the best of three, as other processes share
    these CPUs."""
    def seconds():
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "tfx_hf.pipelines.cli", *argv],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == (0 if argv == ["--help"] else 2)
        return time.perf_counter() - started

    assert min(seconds() for _ in range(3)) < 1.0


# Inputs checked before any component runs ------------------------------------------------------

def _one_line_error(capsys, argv):
    status = cli.main(argv)
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return status, err


def test_output_that_is_a_file(tmp_path, capsys):
    output = tmp_path / "a_file"
    output.write_text("not a folder")
    status, err = _one_line_error(capsys, ["run", "--dataset", "d", "--checkpoint", "c",
                                           "--output", str(output)])
    assert status == 2
    assert err == (f"tfx-hf run: error: --output {str(output)!r} is a file, not a folder: give "
                   "a folder (it is created if it does not exist).\n")
    assert output.read_text() == "not a folder"


@pytest.fixture
def unwritable_folder(tmp_path):
    """A folder nothing can be written in, root included (root ignores permission bits: then
    it is made immutable)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = os.geteuid() == 0
    if immutable and subprocess.run(["chattr", "+i", str(folder)],
                                    capture_output=True).returncode != 0:
        pytest.skip("running as root where chattr +i is not available")
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


@pytest.mark.parametrize("below", ["", "out"])
def test_output_that_cannot_be_written(unwritable_folder, capsys, below):
    output = os.path.join(str(unwritable_folder), below) if below else str(unwritable_folder)
    status, err = _one_line_error(capsys, ["run", "--dataset", "d", "--checkpoint", "c",
                                           "--output", output])
    assert status == 2
    assert re.fullmatch(rf"tfx-hf run: error: --output {re.escape(repr(output))} cannot be "
                        r"written \((Permission denied|Operation not permitted)\): give a "
                        r"folder you can write to\.\n", err)
    assert os.listdir(unwritable_folder) == []


@pytest.mark.parametrize("spec, message", [
    ("HFTrainer=cpu=eight", "--resources HFTrainer: cpu='eight' is not a positive number: "
                            "write cpu=8 or cpu=0.5."),
    ("HFTrainer=cpu=0", "--resources HFTrainer: cpu=0 is not a positive number"),
    ("HFTrainer=accelerator_type=NVIDIA_L4,accelerator_count=1.5",
     "--resources HFTrainer: accelerator_count=1.5 is not a positive whole number: write "
     "accelerator_count=1."),
])
def test_resources_that_are_not_numbers(tmp_path, capsys, spec, message):
    output = tmp_path / "pipeline.json"
    status, err = _one_line_error(capsys, [
        "compile", "--target", "vertex", "--output", str(output), "--dataset", "d",
        "--checkpoint", "gs://b/c", "--pipeline-root", "gs://b/root",
        "--push-destination", "gs://b/serving", "--resources", spec])
    assert status == 2 and err.startswith(f"tfx-hf compile: error: {message}")
    assert not output.exists()


@pytest.mark.parametrize("key_file", [None, "missing-key.json"])
def test_submit_without_google_credentials(tmp_path, capsys, monkeypatch, key_file):
    from google.auth.compute_engine import _metadata

    job = tmp_path / "pipeline.json"
    job.write_text(json.dumps({"displayName": "p", "pipelineSpec": {}}))
    # No key file, no gcloud login, not on Google Cloud.
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setattr(_metadata, "is_on_gce", lambda *args, **kwargs: False)
    if key_file:
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / key_file))
    else:
        monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    status, err = _one_line_error(capsys, ["submit", str(job), "--project", "p",
                                           "--region", "europe-west4"])
    assert status == 2
    if key_file:
        assert err.startswith(f"tfx-hf submit: error: Submitting to Vertex AI: "
                              f"GOOGLE_APPLICATION_CREDENTIALS={str(tmp_path / key_file)!r} "
                              "gives no usable credentials (")
    else:
        assert err == ("tfx-hf submit: error: Submitting to Vertex AI needs Google credentials "
                       "and none were found: run `gcloud auth application-default login`, or "
                       "set GOOGLE_APPLICATION_CREDENTIALS to a service account key file.\n")


def test_predict_texts_that_are_not_utf8(tmp_path):
    """Bytes as a shell passes them; refused before any model is looked at (there is none)."""
    result = subprocess.run(
        [sys.executable, "-m", "tfx_hf.pipelines.cli", "predict", str(tmp_path / "no_model"),
         "fine", b"caf\xe9 \xff ok"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("tfx-hf predict: error: text 2 (b'caf\\xe9 \\xff ok') is not valid "
                             "UTF-8 (byte 0xe9 at character 3): pass UTF-8 text, e.g. convert "
                             "it with `iconv -f latin1 -t utf-8`.\n")
