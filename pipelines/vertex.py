"""Compiling the pipeline for Vertex AI Pipelines or open-source KFP 2.x."""
import os
import posixpath

from tfx import v1 as tfx

from tfx_hf.pipelines.text_classification import create_pipeline


def compile_pipeline(output_path: str, image: str, pipeline_root: str, dataset: str,
                     checkpoint: str, push_destination: str,
                     pipeline_name: str = "tfx-hf-text-classification", **pipeline_kwargs) -> str:
    """Writes a Vertex PipelineJob (`.json`) or a bare KFP 2.x PipelineSpec (`.yaml`).

    Executors are named by class path and run inside `image` (docker/); dataset and checkpoint
    paths are read there (gs:// or Hub ids), so they are not checked here.
    """
    if "://" not in output_path:  # gs:// and other TFX filesystems are written as given
        output_path = os.path.abspath(output_path)
    pipeline = create_pipeline(
        pipeline_name=pipeline_name, pipeline_root=pipeline_root, dataset=dataset,
        checkpoint=checkpoint, push_destination=push_destination, validate=False,
        **pipeline_kwargs)
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(
            default_image=image,
            # KFP 2.x wants the bare PipelineSpec in YAML with schema 2.1; Vertex takes either.
            use_pipeline_spec_2_1=output_path.endswith((".yaml", ".yml"))),
        output_dir=posixpath.dirname(output_path),
        output_filename=posixpath.basename(output_path))
    runner.run(pipeline, write_out=True)
    return output_path
