"""Sending a compiled pipeline to Vertex AI Pipelines (`aiplatform.PipelineJob`) or to a
Kubeflow Pipelines 2.x host (`kfp.Client`)."""
import json
import os
from typing import Any, Dict, Mapping, Optional

from tfx_hf.pipelines.config import ConfigError

SUBMIT_TARGETS = ("vertex", "kubeflow")


def _check_file(pipeline_file: str) -> None:
    if "://" not in pipeline_file and not os.path.isfile(pipeline_file):
        raise ConfigError(f"Pipeline file {pipeline_file!r} does not exist: write it with "
                          "`tfx-hf compile` first.")


def target_for(pipeline_file: str, target: Optional[str] = None) -> str:
    """`.json` (a PipelineJob) goes to Vertex; `.yaml` (a bare PipelineSpec) to KFP unless
    Vertex is named (Vertex takes both)."""
    if target is not None and target not in SUBMIT_TARGETS:
        raise ConfigError(f"target={target!r}: use one of {SUBMIT_TARGETS}.")
    is_json = pipeline_file.endswith(".json")
    if not is_json and not pipeline_file.endswith((".yaml", ".yml")):
        raise ConfigError(f"Pipeline file {pipeline_file!r}: expected the .json or .yaml "
                          "that `tfx-hf compile` writes.")
    if target == "kubeflow" and is_json:
        raise ConfigError(f"{pipeline_file!r} is a Vertex PipelineJob; the KFP backend takes "
                          "the bare PipelineSpec: `tfx-hf compile --target kubeflow --output "
                          "pipeline.yaml`.")
    return target or ("vertex" if is_json else "kubeflow")


def _display_name(pipeline_file: str) -> Optional[str]:
    """The name inside a local compiled file (Vertex requires a display name)."""
    if "://" in pipeline_file:
        return None
    with open(pipeline_file) as f:
        text = f.read()
    if pipeline_file.endswith(".json"):
        content = json.loads(text)
        return content.get("displayName") or content.get("pipelineSpec", {}).get(
            "pipelineInfo", {}).get("name")
    import yaml  # pylint: disable=g-import-not-at-top
    return (yaml.safe_load(text) or {}).get("pipelineInfo", {}).get("name")


def submit_to_vertex(pipeline_file: str, project: Optional[str] = None,
                     region: Optional[str] = None,
                     pipeline_root: Optional[str] = None, display_name: Optional[str] = None,
                     service_account: Optional[str] = None,
                     enable_caching: Optional[bool] = None,
                     labels: Optional[Mapping[str, str]] = None, network: Optional[str] = None,
                     parameters: Optional[Mapping[str, Any]] = None) -> str:
    """Submits without waiting; returns the PipelineJob's resource name."""
    missing = [flag for flag, value in (("--project", project), ("--region", region))
               if not value]
    if missing:
        raise ConfigError(f"Submitting to Vertex AI needs {' and '.join(missing)}.")
    _check_file(pipeline_file)
    from google.cloud import aiplatform  # pylint: disable=g-import-not-at-top

    job = aiplatform.PipelineJob(
        display_name=display_name or _display_name(pipeline_file) or "tfx-hf",
        template_path=pipeline_file, pipeline_root=pipeline_root,
        parameter_values=dict(parameters) if parameters else None,
        enable_caching=enable_caching, labels=dict(labels) if labels else None,
        project=project, location=region)
    job.submit(service_account=service_account, network=network)
    return job.resource_name


def submit_to_kubeflow(pipeline_file: str, host: Optional[str] = None, experiment: Optional[str] = None,
                       namespace: Optional[str] = None, run_name: Optional[str] = None,
                       pipeline_root: Optional[str] = None,
                       service_account: Optional[str] = None,
                       enable_caching: Optional[bool] = None,
                       parameters: Optional[Mapping[str, Any]] = None) -> str:
    """Creates a run on the KFP 2.x API server at `host`; returns the run id."""
    if not host:
        raise ConfigError("Submitting to Kubeflow Pipelines needs --host (the KFP API "
                          "endpoint, e.g. http://localhost:8080 after a port-forward).")
    _check_file(pipeline_file)
    import kfp  # pylint: disable=g-import-not-at-top

    client_kwargs: Dict[str, Any] = {"host": host}
    if namespace:
        client_kwargs["namespace"] = namespace
    client = kfp.Client(**client_kwargs)
    result = client.create_run_from_pipeline_package(
        pipeline_file, arguments=dict(parameters or {}), run_name=run_name,
        experiment_name=experiment, namespace=namespace, pipeline_root=pipeline_root,
        enable_caching=enable_caching, service_account=service_account)
    return result.run_id


def submit(pipeline_file: str, target: Optional[str] = None, **options) -> str:
    """Dispatches on the target (see target_for); `options` are the submit section's keys."""
    target = target_for(pipeline_file, target)
    vertex_only = ("project", "region", "display_name", "labels", "network")
    kubeflow_only = ("host", "experiment", "namespace", "run_name")
    wrong = [k for k in (kubeflow_only if target == "vertex" else vertex_only)
             if options.get(k) is not None]
    if wrong:
        raise ConfigError(f"{', '.join(wrong)} do not apply to {target}; "
                          f"{'vertex' if target == 'kubeflow' else 'kubeflow'} takes them.")
    if target == "vertex":
        return submit_to_vertex(pipeline_file, **{k: v for k, v in options.items()
                                                  if k not in kubeflow_only})
    return submit_to_kubeflow(pipeline_file, **{k: v for k, v in options.items()
                                                if k not in vertex_only})
