"""Inside a rehearsed step: TFX's Google Cloud clients replaced, at import, by ones that write
the request to a file instead of sending it.

- Vertex AI training (tfx.extensions.google_cloud_ai_platform.training_clients): the
  CreateCustomJob request is parsed into the API's own CustomJob type (a field or enum Vertex
  does not know fails here as it would there) and written to `custom_job.json`; then the
  command of the chief's worker pool (the job's container command, TFX's run_executor) runs
  here, so training happens and the pipeline goes on.
- Dataflow (Beam's DataflowRunner.run_pipeline): the job's pipeline options are written to
  `dataflow_job.json`; the same Beam pipeline then runs here on the DirectRunner. The bucket
  lookup Beam makes when it validates Dataflow options (a soft-delete policy warning) is
  skipped: it is a GCS call.
- Vertex AI endpoints (prediction_clients.VertexPredictionClient.deploy_model): the model
  upload and deployment arguments are written to `vertex_deploy.json`; nothing is deployed.

Only modules are touched that the step imports itself; nothing here imports them."""
import importlib.abc
import importlib.machinery
import inspect
import json
import os
import subprocess
import sys
from typing import Any, Callable, Dict

_TRAINING = "tfx.extensions.google_cloud_ai_platform.training_clients"
_PREDICTION = "tfx.extensions.google_cloud_ai_platform.prediction_clients"
_DATAFLOW = "apache_beam.runners.dataflow.dataflow_runner"
_BEAM_OPTIONS = "apache_beam.options.pipeline_options"
CUSTOM_JOB_FILE = "custom_job.json"
DEPLOY_FILE = "vertex_deploy.json"
DATAFLOW_FILE = "dataflow_job{}.json"  # one per Beam pipeline the step runs: "", "_2", ...


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Finds the named modules as Python would, and patches each once it has run."""

    def __init__(self, patches: Dict[str, Callable[[Any], None]]):
        self.patches = patches

    def find_spec(self, name, path, target=None):
        if name not in self.patches:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run_module, patch = spec.loader.exec_module, self.patches[name]

        def exec_module(module):
            run_module(module)
            patch(module)

        spec.loader.exec_module = exec_module
        return spec


def install(record_dir: str) -> None:
    def training(module):
        module.gapic = _Gapic(record_dir)

    def prediction(module):
        deploy = module.VertexPredictionClient.deploy_model
        signature = inspect.signature(deploy)

        def deploy_model(client, *args, **kwargs):
            arguments = signature.bind(client, *args, **kwargs).arguments
            arguments.pop("self", None)
            _write(record_dir, DEPLOY_FILE, {
                "api": "google.cloud.aiplatform Model.upload + Endpoint.deploy",
                **{k: v for k, v in arguments.items() if _jsonable(v)}})
            serving_args = arguments.get("ai_platform_serving_args") or {}
            return (f"projects/{serving_args.get('project_id')}/locations/"
                    f"{arguments.get('endpoint_region')}/endpoints/"
                    f"{serving_args.get('endpoint_name')}")

        module.VertexPredictionClient.deploy_model = deploy_model

    def dataflow(module):
        def run_pipeline(runner, pipeline, options):
            from apache_beam.runners.direct.direct_runner import DirectRunner

            count = 1
            while os.path.exists(os.path.join(record_dir, _dataflow_file(count))):
                count += 1
            _write(record_dir, _dataflow_file(count), {
                "api": "Dataflow projects.locations.jobs.create (Beam's DataflowRunner)",
                "options": options.get_all_options(drop_default=True,
                                                   retain_unknown_options=True)})
            return DirectRunner().run_pipeline(pipeline, options)

        module.DataflowRunner.run_pipeline = run_pipeline

    def beam_options(module):
        module.GoogleCloudOptions._warn_if_soft_delete_policy_enabled = (
            lambda options, arg_name: None)

    sys.meta_path.insert(0, _PatchAfterImport({
        _TRAINING: training, _PREDICTION: prediction, _DATAFLOW: dataflow,
        _BEAM_OPTIONS: beam_options}))


def _dataflow_file(count: int) -> str:
    return DATAFLOW_FILE.format("" if count == 1 else f"_{count}")


class _Gapic:
    """Stands for `google.cloud.aiplatform.gapic` in training_clients."""

    def __init__(self, record_dir: str):
        self.record_dir = record_dir

    def JobServiceClient(self, client_options=None, **kwargs):  # noqa: N802 (the API's name)
        return _RecordingJobServiceClient(self.record_dir, dict(client_options or {}))


class _RecordingJobServiceClient:
    def __init__(self, record_dir: str, client_options: Dict[str, Any]):
        self.record_dir, self.client_options = record_dir, client_options
        self.jobs: Dict[str, Any] = {}

    def create_custom_job(self, parent: str, custom_job, **kwargs):
        from google.cloud.aiplatform_v1.types import CustomJob, JobState

        job = CustomJob(custom_job)  # the API's type: unknown fields and enum names fail here
        _write(self.record_dir, CUSTOM_JOB_FILE, {
            "api": "google.cloud.aiplatform.v1.JobService.CreateCustomJob",
            "api_endpoint": self.client_options.get("api_endpoint"), "parent": parent,
            "custom_job": CustomJob.to_dict(job, use_integers_for_enums=False)})
        chief = job.job_spec.worker_pool_specs[0].container_spec
        command = list(chief.command) + list(chief.args)
        if command and command[0] in ("python", "python3"):
            command[0] = sys.executable  # the image's Python is this machine's here
        with open(os.path.join(self.record_dir, "custom_job.log"), "w") as log:
            code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT)
        name = f"{parent}/customJobs/rehearsal-{len(self.jobs) + 1}"
        self.jobs[name] = CustomJob(
            name=name, display_name=job.display_name,
            state=JobState.JOB_STATE_SUCCEEDED if code == 0 else JobState.JOB_STATE_FAILED)
        if code:
            self.jobs[name].error.message = (f"the chief's command exited with {code}; see "
                                             f"{os.path.join(self.record_dir, 'custom_job.log')}")
        return self.jobs[name]

    def get_custom_job(self, name: str, **kwargs):
        return self.jobs[name]


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def _write(record_dir: str, name: str, request: Dict[str, Any]) -> None:
    os.makedirs(record_dir, exist_ok=True)
    with open(os.path.join(record_dir, name), "w") as f:
        json.dump(request, f, indent=1, sort_keys=True)
