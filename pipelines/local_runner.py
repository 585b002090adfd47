"""Running the text-classification pipeline here: LocalDagRunner or BeamDagRunner, with the Beam
work of each component on the DirectRunner (or on Dataflow, through `beam_args`)."""
import os
import time
from typing import Any, Dict, Optional, Sequence

from tfx import v1 as tfx

from tfx_hf.pipelines import interrupted_runs, results
from tfx_hf.pipelines.beam_args import beam_pipeline_args
from tfx_hf.pipelines.config import ConfigError
from tfx_hf.pipelines.run_output import (PIPELINE_ROOT_DIR, PUSH_DESTINATION_DIR,
                                         SUMMARY_FILE, metadata_path)
from tfx_hf.pipelines.text_classification import DEFAULT_PIPELINE_NAME, create_pipeline

RUNNERS = ("local", "beam")


def make_runner(runner: str):
    """`local`: LocalDagRunner (components one after another in this process); `beam`:
    BeamDagRunner (the DAG itself orchestrated as a Beam pipeline)."""
    if runner == "local":
        return tfx.orchestration.LocalDagRunner()
    if runner == "beam":
        from tfx.orchestration.beam.beam_dag_runner import BeamDagRunner
        return BeamDagRunner()
    raise ConfigError(f"runner={runner!r}: use one of {RUNNERS}.")


def run_text_classification(output_dir: str, dataset: str, checkpoint: str,
                            pipeline_name: str = DEFAULT_PIPELINE_NAME,
                            runner: str = "local",
                            beam_mode: Optional[str] = None, beam_workers: Optional[int] = None,
                            beam_args: Sequence[str] = (),
                            **pipeline_kwargs) -> Dict[str, Any]:
    """Runs the pipeline with MLMD, and unless given its root and push destination, under
    `output_dir`; returns accuracy, blessing, the pushed model's path and the exported model's
    path. `beam_mode`, `beam_workers` and `beam_args`: see beam_args.beam_pipeline_args.

    A run that follows one that was killed picks up after it (pipelines/interrupted_runs.py):
    the killed run's unfinished executions are marked CANCELED and their folders removed, and
    the Trainer resumes from that run's last backup. OUTPUT/summary.json of an earlier run is
    removed first: it always describes the latest run, or no file is there."""
    output_dir = os.path.abspath(output_dir)
    metadata = metadata_path(output_dir)
    pipeline_kwargs.setdefault("pipeline_root", os.path.join(output_dir, PIPELINE_ROOT_DIR))
    pipeline_kwargs.setdefault("push_destination", os.path.join(output_dir, PUSH_DESTINATION_DIR))
    orchestrator = make_runner(runner)
    pipeline = create_pipeline(
        pipeline_name=pipeline_name,
        dataset=dataset,
        checkpoint=checkpoint,
        metadata_path=metadata,
        beam_pipeline_args=beam_pipeline_args(beam_mode, beam_workers, beam_args),
        **pipeline_kwargs)
    started = time.time()
    try:
        os.remove(os.path.join(output_dir, SUMMARY_FILE))
    except FileNotFoundError:
        pass
    with interrupted_runs.LiveRun(output_dir) as live_run:
        interrupted_runs.mark_interrupted(metadata, pipeline_name,
                                          pipeline_kwargs["pipeline_root"], live_run,
                                          pipeline_kwargs["push_destination"])
        orchestrator.run(pipeline)
    summary = results.run_results(metadata)
    summary["seconds"] = round(time.time() - started, 1)
    summary["runner"] = runner
    return summary
