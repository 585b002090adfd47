"""`tfx-hf submit`: which client gets which arguments (the clients are fakes: no network)."""
import json
import sys
import types

import pytest
import yaml

from tfx_hf.pipelines import cli


@pytest.fixture
def fake_clients(monkeypatch):
    calls = {}

    class PipelineJob:
        def __init__(self, **kwargs):
            calls["PipelineJob"] = kwargs
            self.resource_name = "projects/p/locations/r/pipelineJobs/job-1"

        def submit(self, **kwargs):
            calls["submit"] = kwargs

    class Client:
        def __init__(self, **kwargs):
            calls["Client"] = kwargs

        def create_run_from_pipeline_package(self, pipeline_file, **kwargs):
            calls["create_run"] = dict(kwargs, pipeline_file=pipeline_file)
            return types.SimpleNamespace(run_id="run-1")

    import google.cloud
    aiplatform = types.ModuleType("google.cloud.aiplatform")
    aiplatform.PipelineJob = PipelineJob
    monkeypatch.setitem(sys.modules, "google.cloud.aiplatform", aiplatform)
    monkeypatch.setattr(google.cloud, "aiplatform", aiplatform, raising=False)
    kfp = types.ModuleType("kfp")
    kfp.Client = Client
    monkeypatch.setitem(sys.modules, "kfp", kfp)
    return calls


@pytest.fixture
def compiled(tmp_path):
    job = tmp_path / "pipeline.json"
    job.write_text(json.dumps({"displayName": "bbc-news", "pipelineSpec": {
        "pipelineInfo": {"name": "bbc-news"}}}))
    spec = tmp_path / "pipeline.yaml"
    spec.write_text(yaml.safe_dump({"pipelineInfo": {"name": "bbc-news"},
                                    "schemaVersion": "2.1.0"}))
    return job, spec


def test_vertex(fake_clients, compiled, capsys):
    job, _ = compiled
    assert cli.main(["submit", str(job), "--project", "p", "--region", "europe-west4",
                     "--service-account", "sa@p.iam.gserviceaccount.com", "--no-cache",
                     "--label", "team=nlp", "--param", "lr=0.1"]) == 0
    assert fake_clients["PipelineJob"] == {
        "display_name": "bbc-news", "template_path": str(job), "pipeline_root": None,
        "parameter_values": {"lr": 0.1}, "enable_caching": False, "labels": {"team": "nlp"},
        "project": "p", "location": "europe-west4"}
    assert fake_clients["submit"] == {"service_account": "sa@p.iam.gserviceaccount.com",
                                      "network": None}
    assert "pipelineJobs/job-1" in capsys.readouterr().out


def test_kubeflow(fake_clients, compiled, capsys):
    _, spec = compiled
    assert cli.main(["submit", str(spec), "--host", "http://localhost:8080",
                     "--experiment", "nlp", "--namespace", "team", "--run-name", "r1"]) == 0
    assert fake_clients["Client"] == {"host": "http://localhost:8080", "namespace": "team"}
    assert fake_clients["create_run"] == {
        "pipeline_file": str(spec), "arguments": {}, "run_name": "r1", "experiment_name": "nlp",
        "namespace": "team", "pipeline_root": None, "enable_caching": None,
        "service_account": None}
    assert "run-1" in capsys.readouterr().out


def test_config_file_gives_the_file_and_the_target(fake_clients, compiled, tmp_path):
    _, spec = compiled
    config = tmp_path / "tfx-hf.yaml"
    config.write_text(yaml.safe_dump({
        "compile": {"output": str(spec)},
        "submit": {"target": "vertex", "project": "p", "region": "r"}}))
    assert cli.main(["submit", "--config", str(config), "--region", "us-central1"]) == 0
    assert fake_clients["PipelineJob"]["template_path"] == str(spec)  # Vertex takes YAML too
    assert fake_clients["PipelineJob"]["location"] == "us-central1"  # the flag wins


@pytest.mark.parametrize("which,args,message", [
    ("json", ["--target", "kubeflow", "--host", "h"], "the KFP backend takes the bare"),
    ("json", ["--project", "p"], "Submitting to Vertex AI needs --region"),
    ("yaml", [], "Submitting to Kubeflow Pipelines needs --host"),
    ("yaml", ["--host", "h", "--project", "p"], "project do not apply to kubeflow"),
    ("missing", ["--project", "p", "--region", "r"], "does not exist: write it with"),
    (None, [], "No pipeline file"),
])
def test_argument_errors(fake_clients, compiled, tmp_path, capsys, which, args, message):
    job, spec = compiled
    files = {"json": [str(job)], "yaml": [str(spec)], None: [],
             "missing": [str(tmp_path / "nope.json")]}[which]
    assert cli.main(["submit", *files, *args]) == 2
    assert message in capsys.readouterr().err
    assert "submit" not in fake_clients and "create_run" not in fake_clients
