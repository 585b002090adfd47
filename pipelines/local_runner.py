"""Running the text-classification pipeline here: LocalDagRunner or BeamDagRunner, with the Beam
work of each component on the DirectRunner (or on Dataflow, through `beam_args`)."""
import os
import time
from typing import Any, Dict, List, Optional, Sequence

from tfx import v1 as tfx

from tfx_hf.pipelines import results
from tfx_hf.pipelines.config import ConfigError
from tfx_hf.pipelines.text_classification import create_pipeline

DEFAULT_IMAGE = "tfx-hf:latest"
RUNNERS = ("local", "beam")
BEAM_MODES = ("in_memory", "multi_processing")
# Beam flags that tell workers where this package comes from. Without one, TFX builds and
# ships an sdist of TFX itself for every Beam executor (not of tfx_hf).
DEPENDENCY_FLAGS = ("extra_package", "extra_packages", "setup_file", "requirements_file",
                    "sdk_container_image", "worker_harness_container_image")


def _flag_value(args: Sequence[str], name: str) -> Optional[str]:
    """The value of `--name=value` or `--name value` in Beam args (the last one wins)."""
    value = None
    for i, arg in enumerate(args):
        if arg == f"--{name}" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(f"--{name}="):
            value = arg.split("=", 1)[1]
    return value


def _is_direct(runner: Optional[str]) -> bool:
    return runner is None or runner.lower() in ("direct", "directrunner")


def beam_pipeline_args(mode: str = "in_memory", num_workers: Optional[int] = None,
                       extra: Sequence[str] = (),
                       worker_image: Optional[str] = None) -> List[str]:
    """The components' Beam args: DirectRunner mode and workers, then `extra` as given.

    `in_memory` is fastest on small data; `multi_processing` with `num_workers` pays off on
    large inputs (DESIGN.md §4). With `--runner=DataflowRunner` (or any non-direct runner) in
    `extra`, mode and workers do not apply, and workers need this package: an
    `--sdk_container_image` (docker/Dockerfile) or `worker_image`, else this raises.
    """
    if mode not in BEAM_MODES:
        raise ConfigError(f"beam_mode={mode!r}: use one of {BEAM_MODES}.")
    extra = list(extra or [])
    runner = _flag_value(extra, "runner")
    args: List[str] = []
    if _is_direct(runner) and (mode != "in_memory" or num_workers):
        args.append(f"--direct_running_mode={mode}")
        if num_workers:
            args.append(f"--direct_num_workers={int(num_workers)}")
    args += extra
    if args and not any(_flag_value(args, flag) for flag in DEPENDENCY_FLAGS):
        if worker_image:
            args.append(f"--sdk_container_image={worker_image}")
        elif _is_direct(runner):
            # Never used by the DirectRunner; stops TFX from building an sdist per executor.
            args.append(f"--sdk_container_image={DEFAULT_IMAGE}")
        else:
            raise ConfigError(
                f"Beam runner {runner!r} runs workers elsewhere and they need this package: "
                "pass --beam-arg=--sdk_container_image=IMAGE with the image built from "
                "docker/Dockerfile (it is also a Beam worker image).")
    return args


def direct_runner_args(mode: str = "in_memory", num_workers: Optional[int] = None) -> List[str]:
    """Beam args for the DirectRunner alone (see beam_pipeline_args)."""
    return beam_pipeline_args(mode, num_workers)


def make_runner(runner: str = "local"):
    """`local`: LocalDagRunner (components one after another in this process); `beam`:
    BeamDagRunner (the DAG itself orchestrated as a Beam pipeline)."""
    if runner == "local":
        return tfx.orchestration.LocalDagRunner()
    if runner == "beam":
        from tfx.orchestration.beam.beam_dag_runner import BeamDagRunner  # pylint: disable=g-import-not-at-top
        return BeamDagRunner()
    raise ConfigError(f"runner={runner!r}: use one of {RUNNERS}.")


def run_text_classification(output_dir: str, dataset: str, checkpoint: str,
                            pipeline_name: str = "tfx-hf-text-classification",
                            runner: str = "local",
                            beam_mode: str = "in_memory", beam_workers: Optional[int] = None,
                            beam_args: Sequence[str] = (),
                            **pipeline_kwargs) -> Dict[str, Any]:
    """Runs the pipeline with MLMD, and unless given its root and push destination, under
    `output_dir`; returns accuracy, blessing, the pushed model's path and the exported model's
    path."""
    output_dir = os.path.abspath(output_dir)
    metadata_path = os.path.join(output_dir, "metadata.sqlite")
    pipeline_kwargs.setdefault("pipeline_root", os.path.join(output_dir, "pipeline_root"))
    pipeline_kwargs.setdefault("push_destination", os.path.join(output_dir, "serving_model"))
    orchestrator = make_runner(runner)
    pipeline = create_pipeline(
        pipeline_name=pipeline_name,
        dataset=dataset,
        checkpoint=checkpoint,
        metadata_path=metadata_path,
        beam_pipeline_args=beam_pipeline_args(beam_mode, beam_workers, beam_args),
        **pipeline_kwargs)
    started = time.time()
    orchestrator.run(pipeline)
    summary = results.run_results(metadata_path)
    summary["seconds"] = round(time.time() - started, 1)
    summary["runner"] = runner
    return summary
