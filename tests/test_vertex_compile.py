"""`tfx-hf compile`: a Vertex PipelineJob (.json) and a KFP 2.x PipelineSpec (.yaml) that parse
into the KFP PipelineSpec proto, follow the KFP backend's rules, whose executor class paths all
import, and whose images and resources sit on the components they were given to."""
import json

import pytest
import yaml
from google.protobuf import json_format

from tfx_hf.pipelines import cli, vertex

EXPECTED_TASKS = {"HFDatasetExampleGen", "TokenizerParityCheck", "TokenLengthStatisticsGen",
                  "StatisticsGen", "SchemaGen",
                  "ExampleValidator", "Transform", "HFTrainer", "HFEvaluator", "ServingPusher",
                  # the Resolver compiles to two resolver tasks
                  "latest_blessed_model_resolver-model-blessing-resolver",
                  "latest_blessed_model_resolver-model-resolver"}
IMAGE = "europe-docker.pkg.dev/p/r/tfx-hf:1"
GPU_IMAGE = "europe-docker.pkg.dev/p/r/tfx-hf-gpu:1"


def _compile(path, tiny_checkpoint, *extra):
    assert cli.main(["compile", "--output", str(path), "--dataset", "SetFit/bbc-news",
                     "--checkpoint", tiny_checkpoint, "--pipeline-root", "gs://bucket/root",
                     "--push-destination", "gs://bucket/serving", "--image", IMAGE,
                     "--splits", "train=train,test=eval", *extra]) == 0


def _constant(task_inputs, name):
    """A task's constant parameter, as schema 2.0 (constantValue) or 2.1 (constant) holds it."""
    value = json_format.MessageToDict(task_inputs)["parameters"][name]["runtimeValue"]
    return value["constant"] if "constant" in value else value["constantValue"]["stringValue"]


def _executors(spec):
    return json_format.MessageToDict(spec.deployment_spec)["executors"]


@pytest.mark.parametrize("target,suffix", [("vertex", "json"), ("kubeflow", "yaml"),
                                           (None, "json"), (None, "yaml")])
def test_compiles_to_a_pipeline_spec_the_backend_accepts(tmp_path, tiny_checkpoint, target,
                                                         suffix):
    path = tmp_path / "out" / f"pipeline.{suffix}"
    _compile(path, tiny_checkpoint, *(["--target", target] if target else []))
    target = target or ("vertex" if suffix == "json" else "kubeflow")

    spec, content = vertex.read_compiled(str(path))  # strict parse into the proto
    assert vertex.check_compiled(str(path), target) == []  # includes: every executor imports
    assert spec.schema_version == ("2.0.0" if target == "vertex" else "2.1.0")
    assert ("pipelineSpec" in content) == (target == "vertex")
    assert spec.pipeline_info.name == "tfx-hf-text-classification"
    assert set(spec.root.dag.tasks) == EXPECTED_TASKS
    class_paths = set(vertex.executor_class_paths(spec).values())
    assert {"tfx_hf.components.hf_dataset_example_gen.executor.Executor",
            "tfx_hf.components.trainer.executor.Executor"} <= class_paths
    assert len(class_paths) >= 8
    assert {"tfx.Examples", "tfx.Model", "tfx.TransformGraph"} <= set(
        vertex.artifact_type_names(spec))
    images = {e["container"]["image"] for e in _executors(spec).values() if "container" in e}
    assert images == {IMAGE}
    # run_fn and preprocessing_fn are import paths: nothing was packaged from user files.
    text = path.read_text()
    assert "tfx_hf.components.trainer.run_fn.run_fn" in text
    assert "module_file" not in json.dumps(content).replace('"module_file": ""', "")


def test_the_rules_catch_what_the_backend_refuses(tmp_path, tiny_checkpoint):
    path = tmp_path / "pipeline.yaml"
    _compile(path, tiny_checkpoint)
    spec = yaml.safe_load(path.read_text())
    spec["schemaVersion"] = "2.0.0"
    spec["pipelineInfo"]["name"] = "My_Pipeline"
    args = spec["deploymentSpec"]["executors"]["ServingPusher_executor"]["container"]["args"]
    args[args.index("--executor_class_path") + 1] = "tfx_hf.components.nowhere.Executor"
    spec["components"]["ServingPusher"]["outputDefinitions"]["artifacts"]["pushed_model"][
        "artifactType"] = {"schemaTitle": "PushedModel"}
    spec["root"]["dag"]["tasks"] = {}
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(spec))
    problems = " | ".join(vertex.check_compiled(str(broken), "kubeflow"))
    for expected in ("schemaVersion '2.0.0'", "'My_Pipeline'", "root DAG has no tasks",
                     "tfx_hf.components.nowhere.Executor does not import",
                     "artifact type 'PushedModel'"):
        assert expected in problems


def test_images_and_resources_land_on_their_components(tmp_path, tiny_checkpoint):
    path = tmp_path / "pipeline.yaml"
    _compile(path, tiny_checkpoint, "--target", "kubeflow",
             "--component-image", f"HFTrainer={GPU_IMAGE}",
             "--resources", "HFTrainer=cpu=8,memory=32Gi,accelerator_type=NVIDIA_TESLA_T4,"
                            "accelerator_count=2",
             "--resources", "Transform=cpu=4,memory=16G")
    spec, _ = vertex.read_compiled(str(path))
    executors = _executors(spec)
    container = {label.rsplit("_executor", 1)[0]: e["container"]
                 for label, e in executors.items() if "container" in e}
    assert container["HFTrainer"]["image"] == GPU_IMAGE
    assert {c["image"] for name, c in container.items() if name != "HFTrainer"} == {IMAGE}
    trainer = container["HFTrainer"]["resources"]
    assert trainer["cpuLimit"] == 8 and trainer["memoryLimit"] == pytest.approx(34.36, 0.01)
    assert trainer["accelerator"] == {"type": "NVIDIA_TESLA_T4", "count": "2"}
    assert container["Transform"]["resources"] == {"cpuLimit": 4.0, "memoryLimit": 16.0}
    assert all("resources" not in c for name, c in container.items()
               if name not in ("HFTrainer", "Transform"))


def test_vertex_trainer_runs_our_executor_in_a_custom_job(tmp_path, tiny_checkpoint):
    path = tmp_path / "pipeline.json"
    _compile(path, tiny_checkpoint, "--component-image", f"HFTrainer={GPU_IMAGE}",
             "--vertex-trainer-project", "p", "--vertex-trainer-region", "europe-west4",
             "--vertex-trainer-machine-type", "n1-standard-16",
             "--vertex-trainer-accelerator-type", "NVIDIA_L4",
             "--vertex-trainer-accelerator-count", "2", "--vertex-trainer-replica-count", "3",
             "--component-image", f"HFVertexTrainer={IMAGE}")
    spec, _ = vertex.read_compiled(str(path))
    assert vertex.check_compiled(str(path), "vertex") == []
    assert "HFVertexTrainer" in spec.root.dag.tasks and "HFTrainer" not in spec.root.dag.tasks
    assert vertex.executor_class_paths(spec)["HFVertexTrainer_executor"] == \
        "tfx_hf.components.vertex_trainer.executor.Executor"
    custom_config = json.loads(_constant(spec.root.dag.tasks["HFVertexTrainer"].inputs,
                                         "custom_config"))
    assert custom_config["ai_platform_enable_vertex"] is True
    assert custom_config["ai_platform_vertex_region"] == "europe-west4"
    job = custom_config["ai_platform_training_args"]
    assert job["project"] == "p"
    pools = job["job_spec"]["worker_pool_specs"]
    assert [p["replica_count"] for p in pools] == [1, 2]
    for pool in pools:
        assert pool["container_spec"] == {"image_uri": GPU_IMAGE}
        assert pool["machine_spec"] == {"machine_type": "n1-standard-16",
                                        "accelerator_type": "NVIDIA_L4", "accelerator_count": 2}
    assert custom_config["checkpoint"] == tiny_checkpoint  # the TaskConfig travels as well


def test_vertex_endpoint_and_hub_pushers_are_wired_to_the_blessing(tmp_path, tiny_checkpoint,
                                                                   monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_never_compiled")
    path = tmp_path / "pipeline.json"
    _compile(path, tiny_checkpoint,
             "--set", "vertex_endpoint={project_id: p, region: europe-west4, "
                      "endpoint_name: news, machine_type: n1-standard-8}",
             "--set", "hub_repo_id=acme/news-classifier",
             "--set", "hub_options={branch: 'model-{version}', tag: null}")
    spec, content = vertex.read_compiled(str(path))
    assert vertex.check_compiled(str(path), "vertex") == []
    tasks = spec.root.dag.tasks
    assert {"ServingPusher", "VertexPusher", "HFHubPusher"} <= set(tasks)
    for pusher in ("VertexPusher", "HFHubPusher"):
        blessing = json_format.MessageToDict(tasks[pusher].inputs)["artifacts"]["model_blessing"]
        assert blessing["taskOutputArtifact"]["producerTask"] == "HFEvaluator"
    assert vertex.executor_class_paths(spec)["VertexPusher_executor"] == \
        "tfx_hf.components.vertex_pusher.executor.Executor"
    custom_config = json.loads(_constant(tasks["VertexPusher"].inputs, "custom_config"))
    assert custom_config["ai_platform_enable_vertex"] is True
    assert custom_config["ai_platform_vertex_region"] == "europe-west4"
    assert custom_config["ai_platform_vertex_container_image_uri"].startswith(
        "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-16")
    assert custom_config["ai_platform_serving_args"] == {
        "project_id": "p", "endpoint_name": "news", "machine_type": "n1-standard-8"}
    assert _constant(tasks["HFHubPusher"].inputs, "repo_id") == "acme/news-classifier"
    assert _constant(tasks["HFHubPusher"].inputs, "branch") == "model-{version}"
    assert "hf_secret_never_compiled" not in json.dumps(content)


def test_vertex_executor_launches_our_trainer_executor_class():
    from tfx.utils import name_utils

    from tfx_hf.components.vertex_trainer import executor

    assert name_utils.get_full_name(executor.Executor()._GetExecutorClass()) == \
        "tfx_hf.components.trainer.executor.Executor"


def test_beam_args_reach_every_beam_step_with_the_image_as_worker_image(tmp_path,
                                                                        tiny_checkpoint):
    path = tmp_path / "pipeline.json"
    _compile(path, tiny_checkpoint, "--beam-arg=--runner=DataflowRunner",
             "--beam-arg=--project=p", "--beam-arg=--temp_location=gs://bucket/tmp")
    spec, _ = vertex.read_compiled(str(path))
    args = _executors(spec)["Transform_executor"]["container"]["args"]
    assert args[-4:] == ["--runner=DataflowRunner", "--project=p",
                         "--temp_location=gs://bucket/tmp", f"--sdk_container_image={IMAGE}"]


def test_config_file_carries_the_flags_and_flags_override_it(tmp_path, tiny_checkpoint):
    config = tmp_path / "pipeline.yaml"
    config.write_text(yaml.safe_dump({
        "pipeline": {"pipeline_name": "bbc-news", "dataset": "SetFit/bbc-news",
                     "checkpoint": tiny_checkpoint, "pipeline_root": "gs://b/root",
                     "push_destination": "gs://b/serving", "train_steps": 7,
                     "splits": {"train": "train", "test": "eval"}},
        "compile": {"target": "kubeflow", "output": str(tmp_path / "compiled.yaml"),
                    "image": IMAGE, "images": {"HFTrainer": GPU_IMAGE},
                    "resources": {"HFTrainer": {"cpu": 2}}}}))
    assert cli.main(["compile", "--config", str(config), "--train-steps", "9",
                     "--resources", "HFTrainer=memory=8G"]) == 0
    spec, _ = vertex.read_compiled(str(tmp_path / "compiled.yaml"))
    assert spec.pipeline_info.name == "bbc-news"
    assert json.loads(_constant(spec.root.dag.tasks["HFTrainer"].inputs, "train_args")) == \
        {"num_steps": 9}
    container = _executors(spec)["HFTrainer_executor"]["container"]
    assert container["image"] == GPU_IMAGE
    assert container["resources"] == {"cpuLimit": 2.0, "memoryLimit": 8.0}


@pytest.mark.parametrize("config,flags,message", [
    ({"pipeline": {"train_stpes": 3}}, [],
     "unknown key 'train_stpes'; known keys: aggregation_strategy, allow_label_change, "
     "allow_tokenizer_mismatch"),
    ({"pipeline": {"beam_pipeline_args": []}}, [], "give run.beam_args / compile.beam_args"),
    ({"compile": {"imgae": "x"}}, [], "unknown key 'imgae'"),
    ({"extras": {}}, [], "unknown section 'extras'"),
    ({}, ["--set", "nope=1"], "--set: unknown key 'nope'"),
    ({}, ["--component-image", "Trainer=x"], "no component 'Trainer' in the pipeline"),
    ({}, ["--target", "kubeflow"], "does not fit --target kubeflow"),
    ({}, ["--resources", "HFTrainer=gpus=1"], "unknown key 'gpus'"),
    ({}, ["--vertex-trainer-project", "p"], "vertex_trainer needs region"),
    ({}, ["--pipeline-name", "My_Pipeline"], "pipeline_name='My_Pipeline'"),
])
def test_config_and_flag_errors_name_the_key(tmp_path, capsys, tiny_checkpoint, config, flags,
                                             message):
    config_path = tmp_path / "pipeline.yaml"
    config_path.write_text(yaml.safe_dump(config))
    status = cli.main(["compile", "--config", str(config_path), "--output",
                       str(tmp_path / "p.json"), "--dataset", "d", "--checkpoint",
                       tiny_checkpoint, "--pipeline-root", "gs://b/r", "--push-destination",
                       "gs://b/s", *flags])
    err = capsys.readouterr().err
    assert status == 2 and message in err, err


def test_a_missing_required_argument_names_its_flag(tmp_path, capsys):
    status = cli.main(["compile", "--output", str(tmp_path / "p.json"), "--dataset", "d",
                       "--pipeline-root", "gs://b/r", "--push-destination", "gs://b/s"])
    assert status == 2
    assert "checkpoint is not set: pass --checkpoint or set pipeline.checkpoint" in \
        capsys.readouterr().err


def test_relative_output_path(tmp_path, tiny_checkpoint, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _compile("nested/dir/pipeline.json", tiny_checkpoint)
    assert (tmp_path / "nested" / "dir" / "pipeline.json").is_file()


def test_vertex_endpoint_without_required_keys_names_them():
    from tfx_hf.components.input_error import InputError
    from tfx_hf.pipelines.text_classification import create_pipeline

    with pytest.raises(InputError,
                       match=r"vertex_endpoint needs \['endpoint_name', 'project_id'\]"):
        create_pipeline("p", "gs://b/root", "SetFit/bbc-news", "bert", "gs://b/serving",
                        validate=False, vertex_endpoint={"region": "europe-west4"})
