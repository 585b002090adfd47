"""Compiling the pipeline for Vertex AI Pipelines or open-source Kubeflow Pipelines 2.x, and
checking a compiled file offline against the rules those backends apply."""
import importlib
import json
import os
import posixpath
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
from tfx import v1 as tfx
from tfx.dsl.io import fileio

from tfx_hf.components.vertex_trainer.component import worker_pool_specs
from tfx_hf.pipelines.beam_args import beam_pipeline_args
from tfx_hf.pipelines.config import (RESOURCE_KEYS, VERTEX_TRAINER_KEYS, ConfigError,
                                     check_keys)
from tfx_hf.pipelines.targets import target_for
from tfx_hf.pipelines.text_classification import DEFAULT_PIPELINE_NAME, create_pipeline

# The PipelineSpec schema each target takes (see targets.SUFFIXES).
SCHEMA_VERSIONS = {"vertex": "2.0.0", "kubeflow": "2.1.0"}
# What the KFP backend and Vertex accept as a pipeline name, and as a custom artifact type.
PIPELINE_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,127}$"
ARTIFACT_TYPE_PATTERN = r"^[a-z][a-z0-9-_]{2,20}[.][A-Z][a-zA-Z0-9-_]{2,49}$"
ResourceSpec = pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec
# The id kubeflow_v2_dag_runner gives the fallback image in a per-component image map.
_DEFAULT_IMAGE_KEY = "default_image_path"


def _memory_gb(value: Any) -> float:
    """`32G`, `32Gi`, `512M`, `512Mi` or a number of GB → GB (what ResourceSpec holds)."""
    if isinstance(value, (int, float)):
        return float(value)
    match = re.fullmatch(r"\s*([0-9.]+)\s*([GMT]i?)?B?\s*", str(value))
    if not match:
        raise ConfigError(f"memory={value!r}: write a size such as 32G, 32Gi or 512M.")
    number, unit = float(match.group(1)), (match.group(2) or "G")
    factor = {"G": 1.0, "Gi": 1.073741824, "M": 1e-3, "Mi": 1.048576e-3,
              "T": 1e3, "Ti": 1099.511627776}[unit]
    return number * factor


def resource_spec(component: str, resources: Mapping[str, Any]) -> ResourceSpec:
    """CPU (cores), memory and an accelerator (KFP/Vertex type and count) for one step."""
    check_keys(resources, RESOURCE_KEYS, f"resources for {component}")
    spec = ResourceSpec()
    if resources.get("cpu") is not None:
        spec.cpu_limit = float(resources["cpu"])
    if resources.get("memory") is not None:
        spec.memory_limit = _memory_gb(resources["memory"])
    accelerator_type = resources.get("accelerator_type")
    accelerator_count = int(resources.get("accelerator_count") or (1 if accelerator_type else 0))
    if accelerator_count and not accelerator_type:
        raise ConfigError(f"resources for {component}: accelerator_count without "
                          "accelerator_type (e.g. NVIDIA_TESLA_T4, NVIDIA_L4).")
    if accelerator_type:
        spec.accelerator.type = str(accelerator_type)
        spec.accelerator.count = accelerator_count
    return spec


def vertex_training_args(vertex_trainer: Mapping[str, Any], image: str) -> Dict[str, Any]:
    """compile.vertex_trainer → create_pipeline's `vertex_training` (HFVertexTrainer kwargs)."""
    check_keys(vertex_trainer, VERTEX_TRAINER_KEYS, "vertex_trainer")
    missing = [k for k in ("project", "region") if not vertex_trainer.get(k)]
    if missing:
        raise ConfigError(f"vertex_trainer needs {' and '.join(missing)} "
                          "(--vertex-trainer-project, --vertex-trainer-region).")
    # Machine type and replicas not given: worker_pool_specs' defaults.
    machine = {key: vertex_trainer[key] for key in ("machine_type", "replica_count")
               if vertex_trainer.get(key)}
    accelerator_type = vertex_trainer.get("accelerator_type")
    try:
        pools = worker_pool_specs(
            image=vertex_trainer.get("image") or image, accelerator_type=accelerator_type,
            # One accelerator per replica unless a count is given.
            accelerator_count=int(vertex_trainer.get("accelerator_count") or
                                  (1 if accelerator_type else 0)),
            **machine)
    except ValueError as e:
        raise ConfigError(f"vertex_trainer: {e}") from e
    args = {"project": vertex_trainer["project"], "region": vertex_trainer["region"],
            "worker_pool_specs": pools}
    if vertex_trainer.get("service_account"):
        args["service_account"] = vertex_trainer["service_account"]
    return args


def compile_pipeline(output_path: str, image: str, pipeline_root: str, dataset: str,
                     checkpoint: str, push_destination: str,
                     pipeline_name: str = DEFAULT_PIPELINE_NAME,
                     target: Optional[str] = None,
                     images: Optional[Mapping[str, str]] = None,
                     resources: Optional[Mapping[str, Mapping[str, Any]]] = None,
                     vertex_trainer: Optional[Mapping[str, Any]] = None,
                     beam_args: Sequence[str] = (),
                     display_name: Optional[str] = None,
                     **pipeline_kwargs) -> str:
    """Writes a Vertex PipelineJob (`target="vertex"`, .json) or a bare KFP 2.x PipelineSpec
    (`target="kubeflow"`, .yaml) and checks it (check_compiled).

    Executors are named by class path and run inside `image` (docker/); `images` and
    `resources` are keyed by component id (e.g. {"HFTrainer": ...}). `vertex_trainer`
    (project, region, machine_type, accelerator_type/count, replica_count, image) trains in a
    Vertex AI CustomJob (step HFVertexTrainer; its image: vertex_trainer's, else HFTrainer's in
    `images`, else `image`). `beam_args` reach every Beam component (Dataflow: --runner, --project,
    --region, --temp_location; the pipeline image serves as the worker image unless
    --sdk_container_image names another). Dataset and checkpoint paths are read where the
    steps run (gs:// or Hub ids), so they are not checked here.
    """
    target = target_for(output_path, target, compiling=True)
    if not re.match(PIPELINE_NAME_PATTERN, pipeline_name):
        raise ConfigError(f"pipeline_name={pipeline_name!r}: KFP and Vertex need lowercase "
                          "letters, digits and '-', starting with a letter or digit.")
    if not pipeline_root:
        raise ConfigError("pipeline_root is empty: give --pipeline-root (e.g. gs://bucket/root).")
    if "://" not in output_path:  # gs:// and other TFX filesystems are written as given
        output_path = os.path.abspath(output_path)
    if vertex_trainer:
        # "HFTrainer" still names where training runs: now the CustomJob's machines.
        images = dict(images or {})
        trainer_image = images.pop("HFTrainer", None) or image
        if "HFTrainer" in (resources or {}):
            raise ConfigError("resources for HFTrainer do not apply with vertex_trainer: give "
                              "its machine_type, accelerator_type and accelerator_count.")
        pipeline_kwargs["vertex_training"] = vertex_training_args(vertex_trainer, trainer_image)
    pipeline = create_pipeline(
        pipeline_name=pipeline_name, pipeline_root=pipeline_root, dataset=dataset,
        checkpoint=checkpoint, push_destination=push_destination, validate=False,
        beam_pipeline_args=beam_pipeline_args(extra=beam_args, worker_image=image),
        **pipeline_kwargs)
    ids = [component.id for component in pipeline.components]
    default_image: Any = image
    if images:
        _check_component_ids(images, ids, "images")
        default_image = {**images, _DEFAULT_IMAGE_KEY: image}
    for component_id, spec in (resources or {}).items():
        _check_component_ids({component_id: None}, ids, "resources")
        component = next(c for c in pipeline.components if c.id == component_id)
        component.with_platform_config(resource_spec(component_id, spec or {}))
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(
            default_image=default_image, display_name=display_name,
            use_pipeline_spec_2_1=target == "kubeflow"),
        output_dir=posixpath.dirname(output_path),
        output_filename=posixpath.basename(output_path))
    runner.run(pipeline, write_out=True)
    problems = check_compiled(output_path, target, import_executors=False)
    if problems:
        raise RuntimeError(f"Compiled {output_path} breaks KFP/Vertex rules: {problems}")
    return output_path


def _check_component_ids(given: Mapping[str, Any], ids: List[str], what: str) -> None:
    unknown = sorted(set(given) - set(ids))
    if unknown:
        raise ConfigError(f"{what}: no component {unknown[0]!r} in the pipeline; its "
                          f"components: {', '.join(ids)}.")


def read_compiled(path: str) -> Tuple[pipeline_spec_pb2.PipelineSpec, Dict[str, Any]]:
    """The PipelineSpec proto of a compiled file (PipelineJob JSON or bare spec YAML), and the
    file's whole content as a dict. A file that is missing or is not a compiled pipeline is
    an InputError naming it."""
    if not fileio.exists(path) or fileio.isdir(path):
        raise ConfigError(f"Compiled pipeline {path!r}: no such file (write one with "
                          "`tfx-hf compile --output FILE`).")
    with fileio.open(path, "r") as f:
        text = f.read()
    try:
        content = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
        if not isinstance(content, dict):
            raise ValueError("not a JSON/YAML mapping")
        spec_dict = content.get("pipelineSpec", content)
        # Strict parse: a field the proto does not know fails here, as it would in the backend.
        spec = json_format.ParseDict(spec_dict, pipeline_spec_pb2.PipelineSpec())
    except (ValueError, yaml.YAMLError, json_format.ParseError) as e:
        raise ConfigError(f"Compiled pipeline {path!r} is not a PipelineJob JSON or "
                          f"PipelineSpec YAML: {str(e).splitlines()[0][:200]}") from e
    return spec, content


def executor_class_paths(spec: pipeline_spec_pb2.PipelineSpec) -> Dict[str, str]:
    """Executor label → the `--executor_class_path` its container runs."""
    out = {}
    for label, executor in spec.deployment_spec.fields["executors"].struct_value.fields.items():
        container = executor.struct_value.fields.get("container")
        if container is None:
            continue
        args = [v.string_value for v in container.struct_value.fields["args"].list_value.values]
        if "--executor_class_path" in args:
            out[label] = args[args.index("--executor_class_path") + 1]
    return out


def artifact_type_names(spec: pipeline_spec_pb2.PipelineSpec) -> List[str]:
    """Every artifact type in the spec: its schemaTitle, or (as TFX writes them) the title of
    its instanceSchema."""
    names = set()
    for component in spec.components.values():
        for definitions in (component.input_definitions, component.output_definitions):
            for artifact in definitions.artifacts.values():
                artifact_type = artifact.artifact_type
                names.add(artifact_type.schema_title or
                          (yaml.safe_load(artifact_type.instance_schema) or {}).get("title", ""))
    return sorted(names)


def check_compiled(path: str, target: str, import_executors: bool = True) -> List[str]:
    """What the KFP backend / Vertex would refuse in a compiled file: the schema version for
    the target, the lowercase pipeline name, a non-empty root DAG, custom artifact type names;
    and (`import_executors`) every `--executor_class_path` importing here, as it must in the
    image. Returns the problems found (empty: none)."""
    spec, content = read_compiled(path)
    problems = []
    if spec.schema_version != SCHEMA_VERSIONS[target]:
        problems.append(f"schemaVersion {spec.schema_version!r}, {target} needs "
                        f"{SCHEMA_VERSIONS[target]!r}")
    if target == "kubeflow" and "pipelineSpec" in content:
        problems.append("a PipelineJob wrapper: the KFP backend takes the bare PipelineSpec")
    if not re.match(PIPELINE_NAME_PATTERN, spec.pipeline_info.name):
        problems.append(f"pipeline name {spec.pipeline_info.name!r} does not match "
                        f"{PIPELINE_NAME_PATTERN}")
    if not spec.root.dag.tasks:
        problems.append("the root DAG has no tasks")
    for name in artifact_type_names(spec):
        if not name.startswith("system.") and not re.match(ARTIFACT_TYPE_PATTERN, name):
            problems.append(f"artifact type {name!r} does not match {ARTIFACT_TYPE_PATTERN}")
    for label, class_path in executor_class_paths(spec).items():
        if import_executors:
            module, _, name = class_path.rpartition(".")
            try:
                getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError) as e:
                problems.append(f"{label}: --executor_class_path {class_path} does not "
                                f"import ({e})")
    return problems
