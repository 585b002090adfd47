"""HFVertexTrainer: HFTrainer whose training runs as a Vertex AI CustomJob."""
from typing import Any, Dict, List, Optional

from tfx.dsl.components.base import executor_spec
from tfx.extensions.google_cloud_ai_platform import constants
from tfx.extensions.google_cloud_ai_platform.trainer import executor as ai_platform_executor
from tfx.types import BaseChannel
from tfx.utils import json_utils

from tfx_hf.components.input_error import InputError
from tfx_hf.components.task.config import TaskConfig
from tfx_hf.components.trainer.component import HFTrainer
from tfx_hf.components.vertex_trainer import executor


def worker_pool_specs(image: str, machine_type: str = "n1-standard-8",
                      accelerator_type: Optional[str] = None, accelerator_count: int = 0,
                      replica_count: int = 1) -> List[Dict[str, Any]]:
    """Vertex `workerPoolSpecs` for `replica_count` identical machines running `image`.

    Pool 0 is the chief (one replica); the other replicas form pool 1. Vertex sets TF_CONFIG
    in each, which `TaskConfig(strategy="auto")` turns into a MultiWorkerMirroredStrategy.
    `accelerator_type` is Vertex's name, e.g. NVIDIA_TESLA_T4, NVIDIA_L4, NVIDIA_A100_80GB.
    """
    if replica_count < 1:
        raise InputError(f"replica_count={replica_count}: at least 1.")
    if bool(accelerator_type) != bool(accelerator_count):
        raise InputError(f"accelerator_type={accelerator_type!r}, accelerator_count="
                         f"{accelerator_count}: give both (e.g. NVIDIA_TESLA_T4 and 1) or neither.")
    machine_spec: Dict[str, Any] = {"machine_type": machine_type}
    if accelerator_type:
        machine_spec.update(accelerator_type=accelerator_type,
                            accelerator_count=int(accelerator_count))

    def pool(replicas):
        return {"machine_spec": dict(machine_spec), "replica_count": replicas,
                "container_spec": {"image_uri": image}}

    return [pool(1)] + ([pool(replica_count - 1)] if replica_count > 1 else [])


class HFVertexTrainer(HFTrainer):
    """HFTrainer (same inputs, outputs and `config`) whose training runs as a Vertex AI
    CustomJob in `project`/`region` on `worker_pool_specs` (see `worker_pool_specs()`); the
    pipeline step itself only launches and waits for the job.

    The job's container runs `tfx_hf.components.trainer.executor.Executor`, so its image must
    have this package installed (docker/Dockerfile).
    """

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, examples: BaseChannel, transform_graph: BaseChannel, config: TaskConfig,
                 train_steps: int, project: str, region: str,
                 worker_pool_specs: List[Dict[str, Any]],
                 eval_steps: Optional[int] = None, schema: Optional[BaseChannel] = None,
                 service_account: Optional[str] = None):
        super().__init__(examples=examples, transform_graph=transform_graph, config=config,
                         train_steps=train_steps, eval_steps=eval_steps, schema=schema)
        job_spec: Dict[str, Any] = {"worker_pool_specs": list(worker_pool_specs)}
        if service_account:
            job_spec["service_account"] = service_account
        custom_config = config.to_custom_config()
        custom_config.update({
            constants.ENABLE_VERTEX_KEY: True,
            constants.VERTEX_REGION_KEY: region,
            ai_platform_executor.TRAINING_ARGS_KEY: {"project": project, "job_spec": job_spec},
        })
        # The standard Trainer keeps custom_config as JSON in its exec properties; the launcher
        # reads the job from it, and the job's executor drops these keys before the run_fn.
        self.exec_properties["custom_config"] = json_utils.dumps(custom_config)
