"""`tfx-hf run`: runner choice, DirectRunner modes, Beam args passed through, and the config
file (runs are faked here; test_pipeline_e2e.py runs the real pipeline)."""
import pytest
import yaml

from tfx_hf.pipelines import cli, local_runner
from tfx_hf.pipelines.config import ConfigError


def test_direct_runner_modes():
    assert local_runner.beam_pipeline_args() == []  # in_memory: fastest on small data
    assert local_runner.beam_pipeline_args("multi_processing", 4) == [
        "--direct_running_mode=multi_processing", "--direct_num_workers=4",
        "--sdk_container_image=tfx-hf:latest"]  # stops TFX building an sdist per executor
    with pytest.raises(ConfigError, match="beam_mode='threads'"):
        local_runner.beam_pipeline_args("threads")


def test_dataflow_args_pass_through_and_need_a_worker_image():
    dataflow = ["--runner=DataflowRunner", "--project=p", "--region=europe-west4",
                "--temp_location=gs://b/tmp"]
    with pytest.raises(ConfigError, match="--sdk_container_image=IMAGE"):
        local_runner.beam_pipeline_args("multi_processing", 2, dataflow)
    args = dataflow + ["--sdk_container_image=europe-docker.pkg.dev/p/r/tfx-hf:1"]
    # Direct-runner mode and workers do not apply to Dataflow; everything else is as given.
    assert local_runner.beam_pipeline_args("multi_processing", 2, args) == args
    assert local_runner.beam_pipeline_args(extra=dataflow, worker_image="img:1") == \
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
        return {"accuracy": 1.0, "blessed": True, "pushed_model": None, "model": None}

    monkeypatch.setattr(local_runner, "run_text_classification", run_text_classification)
    return calls


def test_flags_reach_the_runner(fake_run, tmp_path, topic_dataset, tiny_checkpoint):
    assert cli.main(["run", "--dataset", topic_dataset, "--checkpoint", tiny_checkpoint,
                     "--output", str(tmp_path / "out"), "--runner", "beam",
                     "--beam-mode", "multi_processing", "--beam-workers", "2",
                     "--beam-arg=--direct_running_mode=multi_threading",
                     "--splits", "train=train,test=eval", "--train-steps", "3"]) == 0
    assert fake_run["runner"] == "beam"
    assert fake_run["beam_mode"] == "multi_processing" and fake_run["beam_workers"] == 2
    assert fake_run["beam_args"] == ["--direct_running_mode=multi_threading"]
    assert fake_run["splits"] == {"train": "train", "test": "eval"}
    assert fake_run["train_steps"] == 3 and fake_run["learning_rate"] == 1e-4


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
