"""`tfx-hf run`: runner choice, DirectRunner modes, Beam args passed through, and the config
file (runs are faked here; test_pipeline_e2e.py runs the real pipeline)."""
import json

import pytest
import yaml

from tfx_hf.components.task import TaskConfig
from tfx_hf.pipelines import beam_args, cli, demo_data, local_runner
from tfx_hf.pipelines.config import ConfigError


def test_direct_runner_modes():
    assert beam_args.beam_pipeline_args() == []  # in_memory: fastest on small data
    assert beam_args.beam_pipeline_args("in_memory") == []  # Beam's default is not written
    assert beam_args.beam_pipeline_args("multi_processing", 4) == [
        "--direct_running_mode=multi_processing", "--direct_num_workers=4",
        "--sdk_container_image=tfx-hf:latest"]  # stops TFX building an sdist per executor
    with pytest.raises(ConfigError, match="beam_mode='threads'"):
        beam_args.beam_pipeline_args("threads")


def test_a_mode_given_twice_must_agree():
    """--beam-mode and a --direct_running_mode among the Beam args: the Beam arg would win
    silently (Beam takes a flag's last value), so different values are refused."""
    with pytest.raises(ConfigError, match=r"beam_mode='in_memory' \(--beam-mode\) contradicts "
                       r"--direct_running_mode=multi_processing"):
        beam_args.beam_pipeline_args("in_memory", extra=["--direct_running_mode=multi_processing"])
    with pytest.raises(ConfigError, match=r"beam_workers=2 \(--beam-workers\) contradicts "
                       r"--direct_num_workers=3"):
        beam_args.beam_pipeline_args("multi_processing", 2, ["--direct_num_workers", "3"])
    # The same value twice, or the Beam args alone, are fine.
    assert beam_args.beam_pipeline_args("multi_processing", 2, [
        "--direct_running_mode=multi_processing"]) == [
        "--direct_running_mode=multi_processing", "--direct_num_workers=2",
        "--direct_running_mode=multi_processing", "--sdk_container_image=tfx-hf:latest"]
    assert beam_args.beam_pipeline_args(extra=["--direct_running_mode=multi_threading"]) == [
        "--direct_running_mode=multi_threading", "--sdk_container_image=tfx-hf:latest"]


def test_a_named_dependency_stops_the_placeholder_image():
    for dependency in ("--extra_package=dist/tfx_hf.whl", "--setup_file=./setup.py",
                       "--requirements_file=req.txt", "--sdk_container_image=img:2"):
        assert beam_args.beam_pipeline_args("multi_processing", extra=[dependency]) == [
            "--direct_running_mode=multi_processing", dependency]


def test_dataflow_args_pass_through_and_need_a_worker_image():
    dataflow = ["--runner=DataflowRunner", "--project=p", "--region=europe-west4",
                "--temp_location=gs://b/tmp"]
    with pytest.raises(ConfigError, match="--sdk_container_image=IMAGE"):
        beam_args.beam_pipeline_args("multi_processing", 2, dataflow)
    args = dataflow + ["--sdk_container_image=europe-docker.pkg.dev/p/r/tfx-hf:1"]
    # Direct-runner mode and workers do not apply to Dataflow; everything else is as given.
    assert beam_args.beam_pipeline_args("multi_processing", 2, args) == args
    assert beam_args.beam_pipeline_args(extra=dataflow, worker_image="img:1") == \
        dataflow + ["--sdk_container_image=img:1"]


def test_runner_choice():
    from tfx.orchestration.beam.beam_dag_runner import BeamDagRunner
    from tfx.orchestration.local.local_dag_runner import LocalDagRunner

    assert isinstance(local_runner.make_runner("local"), LocalDagRunner)
    assert isinstance(local_runner.make_runner("beam"), BeamDagRunner)


@pytest.fixture
def fake_run(monkeypatch):
    calls = {}

    def run_text_classification(output_dir, **kwargs):
        calls.update(kwargs, output_dir=output_dir)
        return {"accuracy": 1.0, "blessed": True, "pushed_model": "/serving/1", "model": None}

    monkeypatch.setattr(local_runner, "run_text_classification", run_text_classification)
    return calls


def test_flags_reach_the_runner(fake_run, tmp_path, topic_dataset, tiny_checkpoint):
    assert cli.main(["run", "--dataset", topic_dataset, "--checkpoint", tiny_checkpoint,
                     "--output", str(tmp_path / "out"), "--runner", "beam",
                     "--beam-mode", "multi_processing", "--beam-workers", "2",
                     "--beam-arg=--direct_runner_bundle_repeat=1",
                     "--splits", "train=train,test=eval", "--train-steps", "3"]) == 0
    # Exactly what was given: a setting given nowhere (learning_rate, max_length, ...) is left
    # to create_pipeline's signature, the one place its default is set.
    assert fake_run == {
        "output_dir": str(tmp_path / "out"), "runner": "beam", "beam_mode": "multi_processing",
        "beam_workers": 2, "beam_args": ["--direct_runner_bundle_repeat=1"],
        "dataset": topic_dataset, "checkpoint": tiny_checkpoint,
        "splits": {"train": "train", "test": "eval"}, "train_steps": 3}
    with open(tmp_path / "out" / "summary.json") as f:
        assert json.load(f)["max_length"] == TaskConfig.max_length  # what the pipeline used


def test_demo_departs_from_the_defaults_only_in_its_settings(fake_run, monkeypatch, tmp_path):
    monkeypatch.setattr(demo_data, "build_bbc_news_dataset",
                        lambda folder: ("bbc_news", {"articles": 3}))
    monkeypatch.setattr(demo_data, "minilm_checkpoint", lambda: "minilm")
    assert cli.main(["demo", "--output", str(tmp_path), "--train-steps", "7"]) == 0
    assert fake_run == {
        "output_dir": str(tmp_path), "dataset": "bbc_news", "checkpoint": "minilm",
        "pipeline_name": "tfx-hf-demo", "splits": {"train": "train", "test": "eval"},
        "train_steps": 7, "learning_rate": 1e-4, "min_accuracy": 0.9}


def test_contradictory_beam_modes_stop_the_run(tmp_path, capsys, topic_dataset,
                                               tiny_checkpoint):
    status = cli.main(["run", "--dataset", topic_dataset, "--checkpoint", tiny_checkpoint,
                       "--output", str(tmp_path / "out"), "--beam-mode", "in_memory",
                       "--beam-arg=--direct_running_mode=multi_processing"])
    err = capsys.readouterr().err
    assert status == 2
    assert err == ("tfx-hf run: error: beam_mode='in_memory' (--beam-mode) contradicts "
                   "--direct_running_mode=multi_processing in the Beam args: give the mode "
                   "once.\n")
    assert not (tmp_path / "out" / "metadata.sqlite").exists()


def test_config_file_with_flags_over_it(fake_run, tmp_path, topic_dataset, tiny_checkpoint):
    config = tmp_path / "tfx-hf.yaml"
    config.write_text(yaml.safe_dump({
        "pipeline": {"dataset": topic_dataset, "checkpoint": tiny_checkpoint,
                     "splits": {"train": "train", "test": "eval"}, "train_steps": 3,
                     "learning_rate": 3e-5, "eval_steps": 2},
        "run": {"runner": "beam", "output": str(tmp_path / "from-config"),
                "beam_args": ["--direct_num_workers=3"]}}))
    assert cli.main(["run", "--config", str(config), "--runner", "local", "--train-steps", "5",
                     "--set", "max_length=32", "--beam-arg=--direct_running_mode=multi_processing"
                     ]) == 0
    assert fake_run["runner"] == "local"  # the flag wins
    assert fake_run["output_dir"] == str(tmp_path / "from-config")
    assert fake_run["train_steps"] == 5 and fake_run["learning_rate"] == 3e-5
    assert fake_run["eval_steps"] == 2 and fake_run["max_length"] == 32
    assert fake_run["beam_args"] == ["--direct_num_workers=3",
                                     "--direct_running_mode=multi_processing"]


def test_run_without_a_dataset_names_the_flag(tmp_path, capsys):
    assert cli.main(["run", "--checkpoint", "c", "--output", str(tmp_path)]) == 2
    assert "dataset is not set: pass --dataset or set pipeline.dataset" in capsys.readouterr().err
