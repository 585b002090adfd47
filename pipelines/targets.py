"""The two backends a compiled pipeline runs on, and which file each one takes."""
from typing import Optional

from tfx_hf.pipelines.config import ConfigError

TARGETS = ("vertex", "kubeflow")
# Vertex takes a PipelineJob (JSON, schema 2.0.0); open-source KFP 2.x takes only a bare
# PipelineSpec in YAML with schema 2.1.0, which KubeflowV2DagRunner writes with
# `use_pipeline_spec_2_1=True` and a .yaml file name.
SUFFIXES = {"vertex": (".json",), "kubeflow": (".yaml", ".yml")}


def target_for(pipeline_file: str, target: Optional[str] = None, *,
               compiling: bool = False) -> str:
    """The target named, or the one the file's suffix implies; a named one must fit the file.

    `compiling`: the file is about to be written, in the target's own format. Otherwise it is
    a compiled file to submit: Vertex also runs a bare PipelineSpec (.yaml), but the KFP
    backend no PipelineJob (.json).
    """
    if target is not None and target not in TARGETS:
        raise ConfigError(f"target={target!r}: use one of {TARGETS}.")
    implied = next((t for t, suffixes in SUFFIXES.items() if pipeline_file.endswith(suffixes)),
                   None)
    if implied is None:
        raise ConfigError(f"Pipeline file {pipeline_file!r}: name a .json file (Vertex AI "
                          "PipelineJob) or a .yaml file (KFP PipelineSpec).")
    if target is None or target == implied:
        return implied
    if compiling:
        raise ConfigError(f"Output {pipeline_file!r} does not fit --target {target}: it writes "
                          f"a {' or '.join(SUFFIXES[target])} file.")
    if target == "kubeflow":
        raise ConfigError(f"{pipeline_file!r} is a Vertex PipelineJob; the KFP backend takes "
                          "the bare PipelineSpec: `tfx-hf compile --target kubeflow --output "
                          "pipeline.yaml`.")
    return target
