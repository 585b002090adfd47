"""`tfx-hf rehearse`: the compiled pipeline (Kubeflow YAML, then Vertex JSON with its training
in a Vertex AI CustomJob) run here under one local pipeline root, each step its container's
own command; what a cluster run must produce, checked on what the steps wrote."""
import json
import os

import pytest
import yaml

from tfx_hf.pipelines import cli

CUSTOM_JOB = {"image": "tfx-hf:rehearsal", "machine_type": "n1-standard-16",
              "accelerator_type": "NVIDIA_TESLA_T4", "accelerator_count": 2, "replica_count": 3}
RESOLVER = "latest_blessed_model_resolver-model-resolver"
def compile_args(dataset, checkpoint, root, serving):
    return ["--dataset", dataset, "--checkpoint", checkpoint, "--pipeline-root", root,
            "--push-destination", serving, "--splits", "train=train,test=eval",
            "--train-steps", "5", "--batch-size", "8", "--max-length", "16",
            "--min-accuracy", "0"]


def vertex_trainer_args():
    return ["--image", CUSTOM_JOB["image"], "--vertex-trainer-project", "my-project",
            "--vertex-trainer-region", "europe-west4",
            "--vertex-trainer-machine-type", CUSTOM_JOB["machine_type"],
            "--vertex-trainer-accelerator-type", CUSTOM_JOB["accelerator_type"],
            "--vertex-trainer-accelerator-count", str(CUSTOM_JOB["accelerator_count"]),
            "--vertex-trainer-replica-count", str(CUSTOM_JOB["replica_count"])]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory, tiny_checkpoint, topic_dataset):
    """(kubeflow .yaml, vertex .json with HFVertexTrainer, pipeline root, push destination),
    compiled with local paths."""
    out = tmp_path_factory.mktemp("rehearse")
    root, serving = str(out / "root"), str(out / "serving")
    args = compile_args(topic_dataset, tiny_checkpoint, root, serving)
    kubeflow, vertex = str(out / "pipeline.yaml"), str(out / "pipeline.json")
    assert cli.main(["compile", "--output", kubeflow, *args]) == 0
    assert cli.main(["compile", "--output", vertex, *args, *vertex_trainer_args()]) == 0
    return kubeflow, vertex, root, serving


@pytest.fixture(scope="module")
def rehearsed(compiled, tmp_path_factory):
    """The Kubeflow pipeline rehearsed, then the Vertex one under the same root (so its
    resolver finds the first's blessed model): (first, second) Rehearsal results."""
    from tfx_hf.pipelines.rehearsal import runner

    kubeflow, vertex, root, _ = compiled
    first = runner.rehearse(kubeflow, pipeline_root=root, say=lambda line: None)
    second = runner.rehearse(vertex, pipeline_root=root, say=lambda line: None)
    return first, second


def metadata(artifacts):
    from google.protobuf import json_format

    assert len(artifacts) == 1, artifacts
    return json_format.MessageToDict(artifacts[0].metadata)


@pytest.mark.heavy
def test_every_step_runs_once_in_dag_order(compiled, rehearsed):
    from tfx_hf.pipelines import vertex

    for path, result in zip(compiled[:2], rehearsed):
        spec, _ = vertex.read_compiled(path)
        tasks = [step.task for step in result.steps]
        assert sorted(tasks) == sorted(spec.root.dag.tasks), path
        for position, task in enumerate(tasks):
            needs = set(spec.root.dag.tasks[task].dependent_tasks)
            assert needs <= set(tasks[:position]), (task, needs - set(tasks[:position]))
        with open(os.path.join(result.run_dir, "rehearsal.json")) as f:
            assert [s["task"] for s in json.load(f)["steps"]] == tasks
        # Each container step ran its executor's own command, the image's `python` swapped.
        command = next(s.command for s in result.steps if s.task == "Transform")
        assert command[1:3] == ["-m", "tfx.orchestration.kubeflow.v2.container."
                                "kubeflow_v2_run_executor"]
        assert command[command.index("--executor_class_path") + 1] == (
            "tfx.components.transform.executor.Executor")


@pytest.mark.heavy
def test_model_is_blessed_and_pushed_under_the_local_root(compiled, rehearsed):
    _, _, root, serving = compiled
    for result, trainer in zip(rehearsed, ("HFTrainer", "HFVertexTrainer")):
        model = result.outputs(trainer, "model")[0]
        assert model.uri.startswith(root + os.sep)
        assert os.path.exists(os.path.join(model.uri, "Format-Serving", "saved_model.pb"))
        blessing = metadata(result.outputs("HFEvaluator", "blessing"))
        assert blessing["blessed"] == 1
        assert blessing["current_model_id"] == model.name
        pushed = metadata(result.outputs("ServingPusher", "pushed_model"))
        assert pushed["pushed"] == 1
        assert pushed["pushed_destination"].startswith(serving + os.sep)
        assert os.path.exists(os.path.join(pushed["pushed_destination"], "saved_model.pb"))


@pytest.mark.heavy
def test_artifacts_carry_the_promised_properties(rehearsed):
    for result in rehearsed:
        examples = metadata(result.outputs("HFDatasetExampleGen", "examples"))
        assert examples["row_counts"] == {"train": 90, "eval": 30}
        assert examples["label_names"] == {"label": ["sport", "business", "tech"]}
        assert json.loads(examples["split_names"]) == ["train", "eval"]
        parity = metadata(result.outputs("TokenizerParityCheck", "tokenizer_parity"))
        assert parity["rows_compared"] == 120 and parity["exact_row_rate"] == 1


@pytest.mark.heavy
def test_second_rehearsal_resolves_the_first_blessed_model_as_baseline(rehearsed):
    first, second = rehearsed
    assert first.outputs(RESOLVER, "model") == []  # nothing blessed before it
    baseline = second.outputs(RESOLVER, "model")
    assert [a.uri for a in baseline] == [first.outputs("HFTrainer", "model")[0].uri]
    assert [a.name for a in baseline] == [first.outputs("HFTrainer", "model")[0].name]
    blessing = metadata(second.outputs("HFEvaluator", "blessing"))
    assert blessing["baseline_model_id"] == baseline[0].name
    # The evaluator was handed it: its executor input named the baseline model.
    evaluator = next(s for s in second.steps if s.task == "HFEvaluator")
    invocation = json.loads(evaluator.command[evaluator.command.index(
        "--json_serialized_invocation_args") + 1])
    assert (invocation["inputs"]["artifacts"]["baseline_model"]["artifacts"][0]["uri"]
            == baseline[0].uri)


@pytest.mark.heavy
def test_vertex_trainer_custom_job_request_is_recorded_with_the_settings_asked_for(rehearsed):
    _, second = rehearsed
    step = next(s for s in second.steps if s.task == "HFVertexTrainer")
    with open(step.cloud_requests["custom_job.json"]) as f:
        request = json.load(f)
    assert request["parent"] == "projects/my-project/locations/europe-west4"
    assert request["api_endpoint"] == "europe-west4-aiplatform.googleapis.com"
    pools = request["custom_job"]["job_spec"]["worker_pool_specs"]
    assert [int(p["replica_count"]) for p in pools] == [1, CUSTOM_JOB["replica_count"] - 1]
    for pool in pools:
        assert pool["container_spec"]["image_uri"] == CUSTOM_JOB["image"]
        for key in ("machine_type", "accelerator_type", "accelerator_count"):
            assert pool["machine_spec"][key] == CUSTOM_JOB[key], key
        assert pool["container_spec"]["command"][:3] == ["python", "-m",
                                                         "tfx.scripts.run_executor"]
        executor = pool["container_spec"]["command"][
            pool["container_spec"]["command"].index("--executor_class_path") + 1]
        assert executor == "tfx_hf.components.trainer.executor.Executor"


def test_custom_artifact_types_import_in_the_container(small_spec):
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2
    from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_entrypoint_utils as utils
    from tfx.utils import import_utils

    spec = json_format.ParseDict(small_spec, pipeline_spec_pb2.PipelineSpec())
    for component in spec.components.values():
        for artifact in component.output_definitions.artifacts.values():
            import_utils.import_class_by_path(
                utils._retrieve_class_path(artifact.artifact_type))  # noqa: SLF001


# Broken specs: one line naming the step, exit 2 -------------------------------------------

@pytest.fixture(scope="module")
def small_spec(tmp_path_factory):
    """A compiled KFP spec (as a dict) whose dataset and checkpoint need not exist: the tests
    below break it and stop before or at its first step."""
    out = tmp_path_factory.mktemp("broken")
    path = str(out / "pipeline.yaml")
    assert cli.main(["compile", "--output", path, *compile_args(
        str(out / "ds"), str(out / "ckpt"), str(out / "root"), str(out / "serving"))]) == 0
    with open(path) as f:
        return yaml.safe_load(f)


def write(spec, path):
    with open(path, "w") as f:
        yaml.safe_dump(spec, f)
    return str(path)


def rehearse_error(capsys, *args):
    assert cli.main(["rehearse", *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_missing_input_fails_in_one_line_naming_the_step(small_spec, tmp_path, capsys):
    spec = json.loads(json.dumps(small_spec))
    del spec["root"]["dag"]["tasks"]["StatisticsGen"]["inputs"]["artifacts"]["examples"]
    line = rehearse_error(capsys, write(spec, tmp_path / "p.yaml"),
                          "--pipeline-root", str(tmp_path / "root"))
    assert "step StatisticsGen" in line and "'examples'" in line
    assert not os.path.exists(tmp_path / "root")  # found before any step ran


def test_input_from_a_step_not_in_the_pipeline_fails_naming_the_step(small_spec, tmp_path,
                                                                     capsys):
    spec = json.loads(json.dumps(small_spec))
    inputs = spec["root"]["dag"]["tasks"]["SchemaGen"]["inputs"]["artifacts"]
    inputs["statistics"]["taskOutputArtifact"]["producerTask"] = "StatsGen"
    line = rehearse_error(capsys, write(spec, tmp_path / "p.yaml"),
                          "--pipeline-root", str(tmp_path / "root"))
    assert "step SchemaGen" in line and "'StatsGen'" in line


def test_unknown_param_and_set_fail_in_one_line(small_spec, tmp_path, capsys):
    path = write(small_spec, tmp_path / "p.yaml")
    line = rehearse_error(capsys, path, "--pipeline-root", str(tmp_path), "--param", "x=1")
    assert "--param x" in line
    line = rehearse_error(capsys, path, "--pipeline-root", str(tmp_path),
                          "--set", "HFTrainer.num_steps=2")
    assert "HFTrainer" in line and "train_args" in line  # names the parameters it has


def test_remote_pipeline_root_is_refused(small_spec, tmp_path, capsys):
    line = rehearse_error(capsys, write(small_spec, tmp_path / "p.yaml"),
                          "--pipeline-root", "gs://bucket/root")
    assert "gs://bucket/root" in line and "--pipeline-root" in line


@pytest.mark.parametrize("name, text, message", [
    ("missing.yaml", None, "no such file"),
    ("broken.json", '{"pipelineSpec": [1', "is not a PipelineJob JSON or PipelineSpec YAML"),
    ("other.yaml", "steps: [a, b]", 'has no field named "steps"'),
])
def test_a_file_that_is_not_a_compiled_pipeline_is_named(tmp_path, capsys, name, text, message):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    line = rehearse_error(capsys, str(path))
    assert str(path) in line and message in line, line


@pytest.mark.slow
def test_wrong_executor_class_path_fails_in_one_line_naming_the_step(small_spec, tmp_path,
                                                                     capsys):
    spec = json.loads(json.dumps(small_spec))
    args = spec["deploymentSpec"]["executors"]["HFDatasetExampleGen_executor"]["container"][
        "args"]
    args[args.index("--executor_class_path") + 1] = (
        "tfx_hf.components.hf_dataset_example_gen.executor.NoSuchExecutor")
    line = rehearse_error(capsys, write(spec, tmp_path / "p.yaml"),
                          "--pipeline-root", str(tmp_path / "root"))
    assert line.startswith("tfx-hf rehearse: error: step HFDatasetExampleGen failed")
    assert "NoSuchExecutor" in line and "step.log" in line


# The records that answer resolvers ---------------------------------------------------------

def test_records_answer_the_latest_blessed_model_query(tmp_path):
    from kfp.pipeline_spec import pipeline_spec_pb2

    from tfx_hf.pipelines.rehearsal.records import Records

    def artifact(name, title, **meta):
        a = pipeline_spec_pb2.RuntimeArtifact(name=name, uri=f"/r/{name}")
        a.type.instance_schema = f"title: {title}\ntype: object\n"
        a.metadata.update(meta)
        return a

    records = Records(str(tmp_path))
    for run, blessed in (("1", 1), ("2", 1), ("3", 0)):
        records.add(artifact(f"m{run}", "tfx.Model"), run, "HFTrainer", "model")
        records.add(artifact(f"b{run}", "tfx.ModelBlessing", blessed=blessed,
                             current_model_id=f"m{run}"), run, "HFEvaluator", "blessing")
    records.save()
    again = Records(str(tmp_path))  # read back from the file
    blessing = again.latest('schema_title="tfx.ModelBlessing" AND state=LIVE AND '
                            "metadata.blessed.number_value=1", "resolver")
    assert blessing.name == "b2" and blessing.metadata["current_model_id"] == "m2"
    model = again.latest('schema_title="tfx.Model" AND state=LIVE AND name="m2"', "resolver")
    assert model.uri == "/r/m2"
    assert again.latest('schema_title="tfx.Model" AND name="m9"', "resolver") is None


def test_custom_job_problems_name_what_vertex_refuses():
    from tfx_hf.pipelines.rehearsal.cloud import custom_job_problems

    pool = {"machine_spec": {"machine_type": "n1-standard-8", "accelerator_type":
                             "NVIDIA_TESLA_T4", "accelerator_count": 1},
            "replica_count": 1, "container_spec": {"image_uri": "img"}}
    good = {"parent": "projects/p/locations/us-central1",
            "api_endpoint": "us-central1-aiplatform.googleapis.com",
            "custom_job": {"job_spec": {"worker_pool_specs": [pool]}}}
    assert custom_job_problems(good) == []
    bad = json.loads(json.dumps(good))
    bad["api_endpoint"] = "europe-west4-aiplatform.googleapis.com"
    bad_pool = bad["custom_job"]["job_spec"]["worker_pool_specs"][0]
    bad_pool["container_spec"]["image_uri"] = ""
    bad_pool["machine_spec"]["accelerator_count"] = 0
    problems = custom_job_problems(bad)
    assert len(problems) == 3 and "api_endpoint" in problems[0]
    assert any("image_uri" in p for p in problems) and any("accelerator" in p for p in problems)


# Google Cloud calls inside a step -----------------------------------------------------------

BEAM_ON_DATAFLOW = """
import sys
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

options = PipelineOptions(["--runner=DataflowRunner", "--project=my-project",
                           "--region=europe-west4", "--temp_location=gs://bucket/tmp",
                           "--sdk_container_image=tfx-hf:rehearsal"])
with beam.Pipeline(options=options) as p:
    _ = (p | beam.Create(["a", "b", "c"]) | beam.Map(str.upper)
         | beam.io.WriteToText(sys.argv[1], shard_name_template=""))
"""


@pytest.mark.slow
def test_dataflow_job_is_recorded_and_its_pipeline_runs_here(tmp_path):
    import subprocess
    import sys

    from tfx_hf.pipelines.rehearsal import cloud

    record_dir, output = tmp_path / "requests", tmp_path / "out.txt"
    env = {**os.environ, cloud.RECORD_DIR_ENV: str(record_dir), "PYTHONPATH": os.pathsep.join(
        [cloud.STEP_SITE, os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", BEAM_ON_DATAFLOW, str(output)], env=env, check=True,
                   capture_output=True)
    assert sorted(output.read_text().split()) == ["A", "B", "C"]  # ran on the DirectRunner
    requests = cloud.recorded(str(record_dir))
    options = requests["dataflow_job.json"]["options"]
    assert options["project"] == "my-project" and options["region"] == "europe-west4"
    assert options["sdk_container_image"] == "tfx-hf:rehearsal"
    assert cloud.problems("dataflow_job.json", requests["dataflow_job.json"]) == []
    options["temp_location"] = "/tmp/x"
    assert cloud.dataflow_problems({"options": options}) == [
        "--temp_location=/tmp/x is not a gs:// path"]


VERTEX_PUSH = """
import json, os, sys
from tfx.extensions.google_cloud_ai_platform.pusher.executor import Executor
from tfx.types import standard_artifacts

root = sys.argv[1]
model, blessing, pushed = (standard_artifacts.Model(), standard_artifacts.ModelBlessing(),
                           standard_artifacts.PushedModel())
model.uri, blessing.uri, pushed.uri = (os.path.join(root, n) for n in ("m", "b", "p"))
os.makedirs(os.path.join(model.uri, "Format-Serving"))
open(os.path.join(model.uri, "Format-Serving", "saved_model.pb"), "w").close()
os.makedirs(blessing.uri)
open(os.path.join(blessing.uri, "BLESSED"), "w").close()
blessing.set_int_custom_property("blessed", 1)
Executor().Do({"model": [model], "model_blessing": [blessing]}, {"pushed_model": [pushed]},
              {"custom_config": json.dumps({
                  "ai_platform_enable_vertex": True,
                  "ai_platform_vertex_region": "europe-west4",
                  "ai_platform_vertex_container_image_uri": "serving:1",
                  "ai_platform_serving_args": {"project_id": "my-project",
                                               "endpoint_name": "news",
                                               "machine_type": "n1-standard-4"}})})
print(json.dumps(pushed.get_int_custom_property("pushed")))
"""


@pytest.mark.slow
def test_vertex_endpoint_push_is_recorded_not_sent(tmp_path):
    import subprocess
    import sys

    from tfx_hf.pipelines.rehearsal import cloud

    record_dir = tmp_path / "requests"
    env = {**os.environ, cloud.RECORD_DIR_ENV: str(record_dir), "PYTHONPATH": os.pathsep.join(
        [cloud.STEP_SITE, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", VERTEX_PUSH, str(tmp_path)], env=env,
                          check=True, capture_output=True, text=True)
    assert done.stdout.split()[-1] == "1"  # the executor marked it pushed
    request = cloud.recorded(str(record_dir))["vertex_deploy.json"]
    assert request["endpoint_region"] == "europe-west4"
    assert request["serving_container_image_uri"] == "serving:1"
    assert request["ai_platform_serving_args"]["endpoint_name"] == "news"
    assert request["serving_path"] == str(tmp_path / "p")
    assert cloud.problems("vertex_deploy.json", request) == []
