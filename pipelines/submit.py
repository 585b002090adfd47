"""Sending a compiled pipeline to Vertex AI Pipelines (`aiplatform.PipelineJob`) or to a
Kubeflow Pipelines 2.x host (`kfp.Client`).

Each client is imported when its target is used: each pulls in a large SDK the other target
does not need.
"""
import json
import os
from typing import Any, Dict, Mapping, Optional

import yaml

from tfx_hf.pipelines.config import ConfigError
from tfx_hf.pipelines.targets import target_for


def _check_file(pipeline_file: str) -> None:
    if "://" not in pipeline_file and not os.path.isfile(pipeline_file):
        raise ConfigError(f"Pipeline file {pipeline_file!r} does not exist: write it with "
                          "`tfx-hf compile` first.")


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
    from google.auth.exceptions import DefaultCredentialsError
    from google.cloud import aiplatform

    try:  # the credentials are looked up as the job is made, before anything is sent
        job = aiplatform.PipelineJob(
            display_name=display_name or _display_name(pipeline_file) or "tfx-hf",
            template_path=pipeline_file, pipeline_root=pipeline_root,
            parameter_values=dict(parameters) if parameters else None,
            enable_caching=enable_caching, labels=dict(labels) if labels else None,
            project=project, location=region)
        job.submit(service_account=service_account, network=network)
    except DefaultCredentialsError as e:
        raise ConfigError(_no_credentials(e)) from e
    return job.resource_name


def _no_credentials(error: Exception) -> str:
    """What to do when google.auth found no usable credentials (`error`)."""
    key_file = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if key_file:
        return (f"Submitting to Vertex AI: GOOGLE_APPLICATION_CREDENTIALS={key_file!r} gives "
                f"no usable credentials ({error}): point it at a service account key file, or "
                "unset it and run `gcloud auth application-default login`.")
    return ("Submitting to Vertex AI needs Google credentials and none were found: run "
            "`gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS "
            "to a service account key file.")


def submit_to_kubeflow(pipeline_file: str, host: Optional[str] = None,
                       experiment: Optional[str] = None,
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
    import kfp

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
    """Dispatches on the target (see targets.target_for); `options` are the submit section's
    keys."""
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
