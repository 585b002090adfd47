"""`tfx-hf compile`: a Vertex PipelineJob (.json) and a KFP 2.x PipelineSpec (.yaml) whose
executor class paths all import."""
import importlib
import json
import pytest
import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from tfx_hf.pipelines import cli

EXPECTED_TASKS = {"HFDatasetExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator",
                  "Transform", "HFTrainer", "Evaluator", "Pusher",
                  # the Resolver compiles to two resolver tasks
                  "latest_blessed_model_resolver-model-blessing-resolver",
                  "latest_blessed_model_resolver-model-resolver"}


def _compile(path, tiny_checkpoint):
    assert cli.main(["compile", "--output", str(path), "--dataset", "SetFit/bbc-news",
                     "--checkpoint", tiny_checkpoint, "--pipeline-root", "gs://bucket/root",
                     "--push-destination", "gs://bucket/serving", "--image",
                     "europe-docker.pkg.dev/p/r/tfx-hf:1", "--splits",
                     "train=train,test=eval"]) == 0


def _executor_class_paths(spec: pipeline_spec_pb2.PipelineSpec):
    paths = []
    for executor in json_format.MessageToDict(spec.deployment_spec)["executors"].values():
        args = list(executor.get("container", {}).get("args", []))
        if "--executor_class_path" in args:
            paths.append(args[args.index("--executor_class_path") + 1])
    return paths


def _assert_importable(class_path):
    module, _, name = class_path.rpartition(".")
    assert hasattr(importlib.import_module(module), name), class_path


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_compiles_to_a_pipeline_spec_with_importable_executors(tmp_path, tiny_checkpoint, suffix):
    path = tmp_path / "out" / f"pipeline.{suffix}"
    _compile(path, tiny_checkpoint)
    if suffix == "json":
        job = json.loads(path.read_text())
        spec_dict = job["pipelineSpec"]
    else:
        spec_dict = yaml.safe_load(path.read_text())
    spec = json_format.ParseDict(spec_dict, pipeline_spec_pb2.PipelineSpec(),
                                 ignore_unknown_fields=True)
    assert spec.schema_version == ("2.0.0" if suffix == "json" else "2.1.0")
    assert set(spec.root.dag.tasks) == EXPECTED_TASKS
    class_paths = _executor_class_paths(spec)
    assert "tfx_hf.components.hf_dataset_example_gen.executor.Executor" in class_paths
    assert "tfx_hf.components.trainer.executor.Executor" in class_paths
    assert len(class_paths) >= 8
    for class_path in class_paths:
        _assert_importable(class_path)
    executors = json_format.MessageToDict(spec.deployment_spec)["executors"].values()
    images = {e["container"]["image"] for e in executors if "container" in e}
    assert images == {"europe-docker.pkg.dev/p/r/tfx-hf:1"}
    # The run_fn and preprocessing_fn are import paths: nothing was packaged from user files.
    text = path.read_text()
    assert "tfx_hf.components.trainer.run_fn.run_fn" in text
    assert "module_file" not in json.dumps(spec_dict).replace('"module_file": ""', "")


def test_relative_output_path(tmp_path, tiny_checkpoint, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _compile("nested/dir/pipeline.json", tiny_checkpoint)
    assert (tmp_path / "nested" / "dir" / "pipeline.json").is_file()
