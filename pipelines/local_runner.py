"""Running the text-classification pipeline locally with LocalDagRunner and Beam's DirectRunner."""
import os
import time
from typing import Any, Dict, List, Optional

from tfx import v1 as tfx

from tfx_hf.pipelines import results
from tfx_hf.pipelines.text_classification import create_pipeline

DEFAULT_IMAGE = "tfx-hf:latest"


def direct_runner_args(mode: str = "in_memory", num_workers: Optional[int] = None) -> List[str]:
    """Beam args for the DirectRunner. `in_memory` is fastest on small data; `multi_processing`
    pays off on large inputs.

    The image flag is never used by the DirectRunner; it is there because TFX builds and ships
    an sdist of itself for every Beam executor when the args name no dependency source.
    """
    if mode == "in_memory" and not num_workers:
        return []
    args = [f"--direct_running_mode={mode}", f"--sdk_container_image={DEFAULT_IMAGE}"]
    if num_workers:
        args.append(f"--direct_num_workers={num_workers}")
    return args


def run_text_classification(output_dir: str, dataset: str, checkpoint: str,
                            pipeline_name: str = "tfx-hf-text-classification",
                            beam_mode: str = "in_memory", beam_workers: Optional[int] = None,
                            **pipeline_kwargs) -> Dict[str, Any]:
    """Runs the pipeline with its root, MLMD and push destination under `output_dir`; returns
    accuracy, blessing, the pushed model's path and the exported model's path."""
    output_dir = os.path.abspath(output_dir)
    metadata_path = os.path.join(output_dir, "metadata.sqlite")
    pipeline = create_pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=os.path.join(output_dir, "pipeline_root"),
        dataset=dataset,
        checkpoint=checkpoint,
        push_destination=os.path.join(output_dir, "serving_model"),
        metadata_path=metadata_path,
        beam_pipeline_args=direct_runner_args(beam_mode, beam_workers),
        **pipeline_kwargs)
    started = time.time()
    tfx.orchestration.LocalDagRunner().run(pipeline)
    summary = results.run_results(metadata_path)
    summary["seconds"] = round(time.time() - started, 1)
    return summary
