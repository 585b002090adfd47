"""The latest run of a local output folder, as its MLMD store recorded it: each component's
execution (state, start, end, exec properties) with the artifacts it read and wrote.

A folder holds every run made into it (one `pipeline_run` context each); the report is of the
newest. The store is opened read-only: reading a report never changes the run it describes.
"""
import dataclasses
import json
from typing import Any, Dict, List, Optional

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.types import artifact_utils
from tfx.types import standard_artifacts  # noqa: F401  (registers the classes artifacts load as)

from tfx_hf.pipelines.run_output import NotARunOutput, existing_metadata_path

PIPELINE_RUN_CONTEXT = "pipeline_run"
NODE_CONTEXT = "node"
RESOLVER_EXECUTION_TYPE = "tfx.dsl.components.common.resolver.Resolver"
_STATES = metadata_store_pb2.Execution.State


@dataclasses.dataclass
class ComponentRun:
    """One component's execution in the run; times in seconds since the epoch."""
    component_id: str
    execution_id: int
    state: str  # COMPLETE, CACHED, FAILED, RUNNING, ... (MLMD's Execution.State names)
    started: float
    finished: float
    exec_properties: Dict[str, Any]
    inputs: Dict[str, list]   # key → TFX Artifacts
    outputs: Dict[str, list]
    is_resolver: bool = False

    @property
    def seconds(self) -> float:
        return max(0.0, self.finished - self.started)

    def json_property(self, name: str) -> Any:
        """An exec property TFX stored as JSON text (custom_config, ...); None if absent."""
        value = self.exec_properties.get(name)
        return json.loads(value) if isinstance(value, str) and value else None


@dataclasses.dataclass
class RunRecord:
    pipeline_name: str
    run_id: str
    components: List[ComponentRun]  # in the order they started

    def output(self, type_name: str) -> Optional[Any]:
        """The newest artifact of `type_name` a component (not a resolver) wrote in this run."""
        found = [a for c in self.components if not c.is_resolver
                 for artifacts in c.outputs.values() for a in artifacts
                 if a.type_name == type_name]
        return max(found, key=lambda a: a.id) if found else None

    def outputs_of_type(self, type_name: str) -> List[tuple]:
        """(component, artifact) for each artifact of `type_name` written in this run."""
        return [(c, a) for c in self.components if not c.is_resolver
                for artifacts in c.outputs.values() for a in artifacts
                if a.type_name == type_name]

    def producer(self, artifact) -> Optional[ComponentRun]:
        """The component that wrote `artifact` in this run."""
        for component in self.components:
            if any(a.id == artifact.id for artifacts in component.outputs.values()
                   for a in artifacts):
                return component
        return None


def _store(path: str) -> metadata_store.MetadataStore:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def _value(value: metadata_store_pb2.Value) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind in ("int_value", "double_value", "string_value") \
        else None


def run_ids(output_dir: str) -> List[str]:
    """The ids of the runs recorded in OUTPUT/metadata.sqlite, oldest first."""
    store = _store(existing_metadata_path(output_dir))
    return [c.name for c in sorted(store.get_contexts_by_type(PIPELINE_RUN_CONTEXT),
                                   key=lambda context: context.id)]


def read_run(output_dir: str, run_id: Optional[str] = None) -> RunRecord:
    """The run `run_id` (its `pipeline_run` context's name), or the newest, recorded in
    OUTPUT/metadata.sqlite."""
    store = _store(existing_metadata_path(output_dir))
    runs = sorted(store.get_contexts_by_type(PIPELINE_RUN_CONTEXT), key=lambda c: c.id)
    if run_id is not None:
        runs = [c for c in runs if c.name == run_id]
        if not runs:
            raise NotARunOutput(f"{output_dir!r} has no run {run_id!r}; its runs: "
                                f"{run_ids(output_dir)}.")
    if not runs:
        raise NotARunOutput(f"{output_dir!r} has a metadata store but no pipeline run in it.")
    run = runs[-1]
    executions = store.get_executions_by_context(run.id)
    node_names = _node_names(store, executions)

    events = store.get_events_by_execution_ids([e.id for e in executions])
    artifact_ids = sorted({e.artifact_id for e in events})
    artifacts = {a.id: a for a in store.get_artifacts_by_id(artifact_ids)}
    types = {t.id: t for t in store.get_artifact_types_by_id(
        sorted({a.type_id for a in artifacts.values()}))}
    execution_types = {t.id: t.name for t in store.get_execution_types_by_id(
        sorted({e.type_id for e in executions}))}

    components = []
    for execution in sorted(executions, key=lambda e: (e.create_time_since_epoch, e.id)):
        inputs, outputs = {}, {}
        for event in events:
            if event.execution_id != execution.id or event.artifact_id not in artifacts:
                continue
            side = {metadata_store_pb2.Event.INPUT: inputs,
                    metadata_store_pb2.Event.OUTPUT: outputs}.get(event.type)
            if side is None:
                continue
            key = event.path.steps[0].key if event.path.steps else ""
            mlmd_artifact = artifacts[event.artifact_id]
            side.setdefault(key, []).append(artifact_utils.deserialize_artifact(
                types[mlmd_artifact.type_id], mlmd_artifact))
        components.append(ComponentRun(
            component_id=node_names[execution.id].split(".", 1)[-1]
            if execution.id in node_names else execution_types[execution.type_id],
            execution_id=execution.id,
            state=_STATES.Name(execution.last_known_state),
            started=execution.create_time_since_epoch / 1000,
            finished=execution.last_update_time_since_epoch / 1000,
            exec_properties={k: _value(v) for k, v in execution.custom_properties.items()},
            inputs=inputs, outputs=outputs,
            is_resolver=execution_types[execution.type_id] == RESOLVER_EXECUTION_TYPE))
    pipeline_names = {name.split(".", 1)[0] for name in node_names.values()}
    return RunRecord(pipeline_name=pipeline_names.pop() if len(pipeline_names) == 1 else "",
                     run_id=run.name, components=components)


def _node_names(store, executions) -> Dict[int, str]:
    """execution id → its `node` context's name, `<pipeline name>.<component id>`."""
    names = {}
    for execution in executions:
        for context in store.get_contexts_by_execution(execution.id):
            if store.get_context_types_by_id([context.type_id])[0].name == NODE_CONTEXT:
                names[execution.id] = context.name
    return names
