"""The Google Cloud requests a rehearsed step recorded (cloud_calls.py), read back and checked
against what Vertex AI requires before it accepts them."""
import json
import os
import re
from typing import Any, Dict, List

from tfx_hf.pipelines.rehearsal import cloud_calls

STEP_SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "step_site")
RECORD_DIR_ENV = "TFX_HF_REHEARSAL_CLOUD_DIR"


def recorded(record_dir: str) -> Dict[str, Dict[str, Any]]:
    """File name → request, for each request a step recorded in `record_dir`."""
    out = {}
    for name in sorted(os.listdir(record_dir)) if os.path.isdir(record_dir) else []:
        if name.endswith(".json"):
            with open(os.path.join(record_dir, name)) as f:
                out[name] = json.load(f)
    return out


def problems(name: str, request: Dict[str, Any]) -> List[str]:
    """What the service would refuse in the recorded request `name`."""
    if name == cloud_calls.CUSTOM_JOB_FILE:
        return custom_job_problems(request)
    if name.startswith("dataflow_job"):
        return dataflow_problems(request)
    if name == cloud_calls.DEPLOY_FILE:
        return deploy_problems(request)
    return []


def deploy_problems(request: Dict[str, Any]) -> List[str]:
    """What a Vertex AI model upload and endpoint deployment need."""
    serving_args = request.get("ai_platform_serving_args") or {}
    found = [f"no ai_platform_serving_args.{key}" for key in ("project_id", "endpoint_name")
             if not serving_args.get(key)]
    found += [f"no {key}" for key in ("endpoint_region", "serving_container_image_uri")
              if not request.get(key)]
    return found


def dataflow_problems(request: Dict[str, Any]) -> List[str]:
    """What Dataflow needs of a job's pipeline options before it starts one."""
    options = request.get("options") or {}
    found = [f"no --{key}" for key in ("project", "region", "temp_location")
             if not options.get(key)]
    for key in ("temp_location", "staging_location"):
        if options.get(key) and not str(options[key]).startswith("gs://"):
            found.append(f"--{key}={options[key]} is not a gs:// path")
    return found


def custom_job_problems(request: Dict[str, Any]) -> List[str]:
    """What Vertex would refuse in a recorded CreateCustomJob request (its fields and enum
    names were already checked by the API's own type when it was recorded)."""
    problems = []
    parent = re.fullmatch(r"projects/([^/]+)/locations/([^/]+)", request.get("parent") or "")
    if not parent:
        problems.append(f"parent {request.get('parent')!r} is not projects/P/locations/REGION")
    elif request.get("api_endpoint") != f"{parent.group(2)}-aiplatform.googleapis.com":
        problems.append(f"api_endpoint {request.get('api_endpoint')!r} is not the region's "
                        f"({parent.group(2)}-aiplatform.googleapis.com)")
    pools = request["custom_job"].get("job_spec", {}).get("worker_pool_specs") or []
    if not pools:
        problems.append("no worker_pool_specs")
    for i, pool in enumerate(pools):
        machine, container = pool.get("machine_spec") or {}, pool.get("container_spec") or {}
        where = f"worker_pool_specs[{i}]"
        if not machine.get("machine_type"):
            problems.append(f"{where}: no machine_spec.machine_type")
        if not container.get("image_uri"):
            problems.append(f"{where}: no container_spec.image_uri")
        if int(pool.get("replica_count") or 0) < 1:
            problems.append(f"{where}: replica_count {pool.get('replica_count')!r}")
        has_type = machine.get("accelerator_type", "ACCELERATOR_TYPE_UNSPECIFIED") not in (
            "ACCELERATOR_TYPE_UNSPECIFIED", "")
        if has_type != bool(machine.get("accelerator_count")):
            problems.append(f"{where}: accelerator_type {machine.get('accelerator_type')!r} "
                            f"with accelerator_count {machine.get('accelerator_count')!r}")
    if pools and int(pools[0].get("replica_count") or 0) != 1:
        problems.append("worker_pool_specs[0] (the chief) must have replica_count 1")
    return problems


def describe_custom_job(request: Dict[str, Any]) -> str:
    """`3 × n1-standard-16 + 2 NVIDIA_TESLA_T4 each, image IMAGE` for the step's line."""
    pools = request["custom_job"]["job_spec"]["worker_pool_specs"]
    replicas = sum(int(p.get("replica_count") or 0) for p in pools)
    machine = pools[0].get("machine_spec", {})
    accelerator = (f" + {machine['accelerator_count']} {machine['accelerator_type']} each"
                   if machine.get("accelerator_count") else "")
    return (f"{replicas} × {machine.get('machine_type')}{accelerator}, image "
            f"{pools[0].get('container_spec', {}).get('image_uri')}")
