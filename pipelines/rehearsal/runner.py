"""Rehearses a compiled pipeline: its DAG's tasks in order, each container task as a
subprocess running exactly its executor's `command` + `args`, placeholders filled by KFP's own
local launcher code (kfp.local) from an ExecutorInput built as the backend builds it."""
import dataclasses
import datetime
import json
import os
import re
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Mapping, Optional

from google.protobuf import json_format
from kfp.local import executor_input_utils, executor_output_utils, placeholder_utils
from kfp.pipeline_spec import pipeline_spec_pb2

from tfx_hf.components.input_error import InputError
from tfx_hf.pipelines import vertex
from tfx_hf.pipelines.rehearsal import cloud, parameters
from tfx_hf.pipelines.rehearsal.records import Records
from tfx_hf.pipelines.targets import target_for

SUMMARY_FILE = "rehearsal.json"
STEP_LOG = "step.log"
# What the image's ENV sets (docker/Dockerfile) and a step needs before TensorFlow loads.
STEP_ENV = {"TF_USE_LEGACY_KERAS": "1"}
ArtifactList = List[pipeline_spec_pb2.RuntimeArtifact]


@dataclasses.dataclass
class Step:
    task: str
    kind: str  # container, resolver or importer
    seconds: float
    outputs: Dict[str, ArtifactList]
    cloud_requests: Dict[str, str]  # recorded request file name → path
    command: List[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Rehearsal:
    pipeline_file: str
    target: str
    pipeline_root: str
    run_dir: str
    steps: List[Step]

    def outputs(self, task: str, key: str) -> ArtifactList:
        return next(s.outputs.get(key, []) for s in self.steps if s.task == task)


def rehearse(pipeline_file: str, pipeline_root: Optional[str] = None,
             params: Optional[Mapping[str, Any]] = None,
             sets: Optional[Mapping[str, Any]] = None, allow_cloud: bool = False,
             say: Callable[[str], None] = print) -> Rehearsal:
    """Runs `pipeline_file` (a Vertex PipelineJob .json or a KFP PipelineSpec .yaml) here, under
    `pipeline_root` (a local folder; default: the file's own root). `params`: the pipeline's
    runtime parameters by name; `sets`: `TASK.PARAMETER` → a value replacing that task's input.
    Google Cloud requests are recorded, checked and not sent unless `allow_cloud`.
    Raises InputError, naming the step, when the spec is broken or a step fails."""
    target = target_for(pipeline_file)
    spec, content = vertex.read_compiled(pipeline_file)
    pipeline_root = _local_root(pipeline_root, content, spec)
    rehearsal = _Rehearsal(spec, content, pipeline_root, dict(params or {}), dict(sets or {}),
                           allow_cloud)
    order = rehearsal.order()
    say(f"Rehearsing {pipeline_file} ({target}, schema {spec.schema_version}) under "
        f"{pipeline_root}: {len(order)} steps; each runs its container's command with this "
        f"machine's Python ({sys.executable}), not in its image; Google Cloud requests are "
        + ("sent (--allow-cloud)." if allow_cloud else "recorded and checked, not sent."))
    result = Rehearsal(pipeline_file, target, pipeline_root, rehearsal.run_dir, [])
    for number, task in enumerate(order, 1):
        step = rehearsal.run(task)
        result.steps.append(step)
        rehearsal.write_summary(result)
        say(f"[{number}/{len(order)}] {task}: {_step_line(step)}")
    return result


def _local_root(pipeline_root: Optional[str], content: Dict[str, Any],
                spec: pipeline_spec_pb2.PipelineSpec) -> str:
    root = (pipeline_root or (content.get("runtimeConfig") or {}).get("gcsOutputDirectory")
            or spec.default_pipeline_root)
    if not root:
        raise InputError("The pipeline file names no pipeline root: give --pipeline-root DIR.")
    if "://" in root:
        raise InputError(f"pipeline root {root!r} is not on this machine: a rehearsal writes "
                         "locally; give --pipeline-root DIR.")
    return os.path.abspath(root)


def _step_line(step: Step) -> str:
    parts = []
    for key, artifacts in step.outputs.items():
        if step.kind == "resolver":
            parts.append(f"{key} = {artifacts[0].uri}" if artifacts else f"{key}: none found")
    for name, path in step.cloud_requests.items():
        if name == cloud.cloud_calls.CUSTOM_JOB_FILE:
            with open(path) as f:
                job = cloud.describe_custom_job(json.load(f))
            parts.append(f"Vertex AI CustomJob ({job}) recorded, not sent, in {path}; its "
                         "chief's command ran here")
        else:
            parts.append(f"request recorded, not sent: {path}")
    return f"{step.kind} done in {step.seconds:.1f} s" + ("; " + "; ".join(parts) if parts
                                                         else "")


class _Rehearsal:
    """One rehearsal's state: the spec, the root's records, each task's outputs so far."""

    def __init__(self, spec: pipeline_spec_pb2.PipelineSpec, content: Dict[str, Any],
                 pipeline_root: str, params: Dict[str, Any], sets: Dict[str, Any],
                 allow_cloud: bool):
        self.spec, self.pipeline_root, self.allow_cloud = spec, pipeline_root, allow_cloud
        self.tasks = spec.root.dag.tasks
        self.executors = json_format.MessageToDict(spec.deployment_spec)["executors"]
        self.run_name = executor_input_utils.get_local_pipeline_resource_name(
            spec.pipeline_info.name or "pipeline")
        self.run_dir = os.path.join(pipeline_root, self.run_name)
        self.records = Records(pipeline_root)
        self.artifacts: Dict[str, Dict[str, ArtifactList]] = {}
        self.output_parameters: Dict[str, Dict[str, Any]] = {}
        self.root_values = self._root_values(content, params)
        self.sets = self._check_sets(sets)
        self._check_inputs()

    # Checks before anything runs ---------------------------------------------------------

    def _component(self, task: str) -> pipeline_spec_pb2.ComponentSpec:
        name = self.tasks[task].component_ref.name
        if name not in self.spec.components:
            raise InputError(f"step {task}: its component {name!r} is not in the spec's "
                             "components.")
        return self.spec.components[name]

    def _executor(self, task: str) -> Dict[str, Any]:
        component = self._component(task)
        if component.WhichOneof("implementation") == "dag":
            raise InputError(f"step {task}: a sub-DAG; rehearsals run flat TFX pipelines.")
        label = component.executor_label
        if label not in self.executors:
            raise InputError(f"step {task}: its executor {label!r} is not in the "
                             "deploymentSpec.")
        return self.executors[label]

    def _root_values(self, content: Dict[str, Any], params: Dict[str, Any]):
        definitions = self.spec.root.input_definitions.parameters
        unknown = sorted(set(params) - set(definitions))
        if unknown:
            raise InputError(f"--param {unknown[0]}: the pipeline has no such parameter; it has "
                             f"{', '.join(sorted(definitions)) or 'none'}.")
        runtime = content.get("runtimeConfig") or {}
        values = {}
        for name, definition in definitions.items():
            if name in params:
                values[name] = parameters.typed(params[name], definition, f"--param {name}")
            elif name in (runtime.get("parameterValues") or {}):
                values[name] = parameters.typed(runtime["parameterValues"][name], definition,
                                                f"runtimeConfig {name}")
            elif name in (runtime.get("parameters") or {}):
                values[name] = json_format.ParseDict(runtime["parameters"][name],
                                                     pipeline_spec_pb2.Value())
            elif parameters.default(definition) is not None:
                values[name] = parameters.default(definition)
        return values

    def _check_sets(self, sets: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
        out: Dict[str, Dict[str, Any]] = {}
        for key, value in sets.items():
            task, _, name = key.partition(".")
            if task not in self.tasks:
                raise InputError(f"--set {key}: no step {task!r}; the steps: "
                                 f"{', '.join(sorted(self.tasks))}.")
            definitions = self._component(task).input_definitions.parameters
            if name not in definitions:
                raise InputError(f"--set {key}: step {task} has no parameter {name!r}; it has "
                                 f"{', '.join(sorted(definitions)) or 'none'}.")
            out.setdefault(task, {})[name] = parameters.typed(value, definitions[name],
                                                              f"--set {key}")
        return out

    def _check_inputs(self) -> None:
        """Every input a step needs comes from a step that makes it: what the backend checks
        when the job is created."""
        for task, task_spec in self.tasks.items():
            self._executor(task)
            definitions = self._component(task).input_definitions
            for key, artifact in task_spec.inputs.artifacts.items():
                kind = artifact.WhichOneof("kind")
                if kind != "task_output_artifact":
                    raise InputError(f"step {task}: input {key!r} is a {kind}; rehearsals pass "
                                     "artifacts between steps only.")
                producer = artifact.task_output_artifact.producer_task
                made = artifact.task_output_artifact.output_artifact_key
                if producer not in self.tasks:
                    raise InputError(f"step {task}: input {key!r} comes from step {producer!r}, "
                                     "which is not in the pipeline.")
                if made not in self._component(producer).output_definitions.artifacts:
                    raise InputError(f"step {task}: input {key!r} is output {made!r} of step "
                                     f"{producer}, which has no such output.")
            for key, artifact in definitions.artifacts.items():
                if key not in task_spec.inputs.artifacts and not artifact.is_optional:
                    raise InputError(f"step {task}: input artifact {key!r} is given by no "
                                     "step (missing in the task's inputs).")
            for key, parameter in definitions.parameters.items():
                given = key in task_spec.inputs.parameters or key in self.sets.get(task, {})
                if not given and not parameter.is_optional and not parameter.HasField(
                        "default_value"):
                    raise InputError(f"step {task}: input parameter {key!r} has no value.")

    def order(self) -> List[str]:
        """The tasks in an order the DAG allows (ties by name, so every rehearsal is alike)."""
        needs = {task: set(spec.dependent_tasks) | {
            a.task_output_artifact.producer_task for a in spec.inputs.artifacts.values()} | {
            p.task_output_parameter.producer_task for p in spec.inputs.parameters.values()
            if p.WhichOneof("kind") == "task_output_parameter"}
            for task, spec in self.tasks.items()}
        order: List[str] = []
        while len(order) < len(needs):
            ready = sorted(t for t, n in needs.items() if t not in order and n <= set(order))
            if not ready:
                raise InputError("the DAG has a cycle among steps "
                                 f"{', '.join(sorted(set(needs) - set(order)))}.")
            order.append(ready[0])
        return order

    # Running ------------------------------------------------------------------------------

    def run(self, task: str) -> Step:
        started = time.time()
        executor = self._executor(task)
        if "container" in executor:
            step = self._run_container(task, executor["container"])
        elif "resolver" in executor:
            step = self._resolve(task, executor["resolver"])
        elif "importer" in executor:
            step = self._import(task)
        else:
            raise InputError(f"step {task}: executor kind {sorted(executor)} is not rehearsed.")
        step.seconds = time.time() - started
        self.artifacts[task] = step.outputs
        return step

    def _executor_input(self, task: str, task_root: str) -> pipeline_spec_pb2.ExecutorInput:
        component, task_spec = self._component(task), self.tasks[task]
        executor_input = pipeline_spec_pb2.ExecutorInput()
        for key, channel in task_spec.inputs.artifacts.items():
            upstream = self.artifacts[channel.task_output_artifact.producer_task].get(
                channel.task_output_artifact.output_artifact_key, [])
            if not upstream:
                continue  # e.g. a resolver that found nothing: the input is absent
            artifact_type = component.input_definitions.artifacts[key].artifact_type
            for artifact in upstream:
                given = executor_input.inputs.artifacts[key].artifacts.add()
                given.CopyFrom(artifact)
                given.type.CopyFrom(artifact_type)
        for key, value_spec in task_spec.inputs.parameters.items():
            parameters.put(executor_input, key, self._parameter(task, key, value_spec))
        for key, value in self.sets.get(task, {}).items():
            parameters.put(executor_input, key, value)
        for key, definition in component.output_definitions.artifacts.items():
            executor_input.outputs.artifacts[key].artifacts.add(
                name=self._artifact_name(task, key), type=definition.artifact_type,
                uri=os.path.join(task_root, key))
        for key in component.output_definitions.parameters:
            executor_input.outputs.parameters[key].output_file = os.path.join(task_root, key)
        executor_input.outputs.output_file = os.path.join(task_root, "executor_output.json")
        return executor_input

    def _parameter(self, task: str, key: str, value_spec) -> parameters.Value:
        kind = value_spec.WhichOneof("kind")
        if kind == "runtime_value":
            runtime = value_spec.runtime_value
            return runtime.constant if runtime.HasField("constant") else runtime.constant_value
        if kind == "component_input_parameter":
            name = value_spec.component_input_parameter
            if name not in self.root_values:
                raise InputError(f"step {task}: parameter {key!r} takes the pipeline parameter "
                                 f"{name!r}, which has no value: give --param {name}=VALUE.")
            return self.root_values[name]
        if kind == "task_output_parameter":
            source = value_spec.task_output_parameter
            values = self.output_parameters.get(source.producer_task, {})
            if source.output_parameter_key not in values:
                raise InputError(f"step {task}: parameter {key!r} is output "
                                 f"{source.output_parameter_key!r} of step "
                                 f"{source.producer_task}, which did not write it.")
            return values[source.output_parameter_key]
        raise InputError(f"step {task}: parameter {key!r} is a {kind}; not rehearsed.")

    def _artifact_name(self, task: str, key: str) -> str:
        """A name unique in the root's records, as the metadata store names artifacts (the
        blessing's `current_model_id` is the model's name, which the resolver looks up)."""
        return f"rehearsals/{self.run_name}/{task}/{key}"

    def _run_container(self, task: str, container: Dict[str, Any]) -> Step:
        task_root = executor_input_utils.construct_local_task_root(
            self.pipeline_root, self.run_name, task)
        os.makedirs(task_root, exist_ok=True)
        executor_input = self._executor_input(task, task_root)
        component = self._component(task)
        command = placeholder_utils.replace_placeholders(
            full_command=list(container.get("command", [])) + list(container.get("args", [])),
            executor_input_dict=executor_input_utils.executor_input_to_dict(
                executor_input, component),
            pipeline_resource_name=self.run_name, task_resource_name=task,
            pipeline_root=self.pipeline_root)
        if command and command[0] in ("python", "python3"):
            command[0] = sys.executable  # the image's Python is this machine's here
        record_dir = os.path.join(task_root, "cloud_requests")
        env = {**os.environ, **STEP_ENV}
        if not self.allow_cloud:
            env[cloud.RECORD_DIR_ENV] = record_dir
            env["PYTHONPATH"] = os.pathsep.join(
                [cloud.STEP_SITE] + [p for p in [env.get("PYTHONPATH")] if p])
        with open(os.path.join(task_root, "command.json"), "w") as f:
            json.dump(command, f, indent=1)
        log_path = os.path.join(task_root, STEP_LOG)
        with open(log_path, "w") as log:
            code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   cwd=task_root)
        if code:
            raise InputError(f"step {task} failed (exit {code}): {_last_error(log_path)} "
                             f"(full log: {log_path})")
        requests = cloud.recorded(record_dir)
        for name, request in requests.items():
            problems = cloud.problems(name, request)
            if problems:
                raise InputError(f"step {task}: its Google Cloud request would be refused: "
                                 f"{'; '.join(problems)} ({os.path.join(record_dir, name)})")
        outputs = self._read_outputs(task, executor_input, component, log_path)
        return Step(task, "container", 0.0, outputs,
                    {name: os.path.join(record_dir, name) for name in requests}, command)

    def _read_outputs(self, task: str, executor_input, component, log_path: str):
        """Output artifacts with the metadata the step's executor_output.json gives them (the
        backend records these), the launcher's own artifact where the step wrote none."""
        output_file = executor_input.outputs.output_file
        if not os.path.exists(output_file):
            raise InputError(f"step {task} wrote no executor output ({output_file}); a TFX "
                             f"container entry point always does (full log: {log_path}).")
        executor_output = executor_output_utils.load_executor_output(output_file)
        self.output_parameters[task] = dict(executor_output.parameter_values)
        outputs: Dict[str, ArtifactList] = {}
        for key, definition in component.output_definitions.artifacts.items():
            given = executor_input.outputs.artifacts[key].artifacts
            written = executor_output.artifacts[key].artifacts if (
                key in executor_output.artifacts) else given
            outputs[key] = []
            for artifact, launched in zip(written, given):
                out = pipeline_spec_pb2.RuntimeArtifact()
                out.CopyFrom(artifact)
                out.type.CopyFrom(definition.artifact_type)
                out.name = out.name or launched.name
                out.uri = out.uri or launched.uri
                outputs[key].append(out)
                self.records.add(out, self.run_name, task, key)
        self.records.save()
        return outputs

    def _inputs_dict(self, task: str) -> Dict[str, Any]:
        executor_input = self._executor_input(task, os.path.join(self.run_dir, task))
        return json_format.MessageToDict(executor_input)

    def _resolve(self, task: str, resolver: Dict[str, Any]) -> Step:
        """A resolver's queries answered from the records of this and earlier rehearsals under
        the root (the newest match), as the backend answers them from its metadata store."""
        inputs = self._inputs_dict(task)
        outputs: Dict[str, ArtifactList] = {}
        for key, query in resolver.get("outputArtifactQueries", {}).items():
            text = query.get("filter", "")
            missing = [name for name in self.tasks[task].inputs.artifacts
                       if f"inputs.artifacts['{name}']" in text and name not in
                       inputs.get("inputs", {}).get("artifacts", {})]
            found = None
            if not missing:
                found = self.records.latest(
                    placeholder_utils.resolve_io_placeholders(inputs, text), task)
            outputs[key] = [found] if found is not None else []
        return Step(task, "resolver", 0.0, outputs, {})

    def _import(self, task: str) -> Step:
        importer = self._executor(task)["importer"]
        spec = pipeline_spec_pb2.PipelineDeploymentConfig.ImporterSpec()
        json_format.ParseDict(importer, spec)
        uri_spec = spec.artifact_uri
        kind = uri_spec.WhichOneof("value")
        if kind == "constant":
            uri = uri_spec.constant.string_value
        elif kind == "constant_value":
            uri = uri_spec.constant_value.string_value
        else:
            value = self.root_values.get(uri_spec.runtime_parameter)
            if value is None:
                raise InputError(f"step {task}: the importer's URI is pipeline parameter "
                                 f"{uri_spec.runtime_parameter!r}: give --param "
                                 f"{uri_spec.runtime_parameter}=URI.")
            uri = value.string_value
        key = next(iter(self._component(task).output_definitions.artifacts))
        known = None if spec.reimport else self.records.find_by_uri(uri)
        if known is not None:
            artifact = self.records.latest(f'name="{known["name"]}"', task)
        else:
            artifact = pipeline_spec_pb2.RuntimeArtifact(
                name=self._artifact_name(task, key), uri=uri, type=spec.type_schema)
            artifact.metadata.CopyFrom(spec.metadata)
            self.records.add(artifact, self.run_name, task, key)
            self.records.save()
        return Step(task, "importer", 0.0, {key: [artifact]}, {})

    def write_summary(self, result: Rehearsal) -> None:
        """rehearsal.json in the run's folder: each step with its outputs and requests."""
        os.makedirs(self.run_dir, exist_ok=True)
        summary = {
            "pipeline_file": result.pipeline_file, "target": result.target,
            "pipeline_root": result.pipeline_root, "run": self.run_name,
            "python": sys.executable, "finished": datetime.datetime.now().isoformat(),
            "steps": [{
                "task": s.task, "kind": s.kind, "seconds": round(s.seconds, 2),
                "outputs": {k: [json_format.MessageToDict(a) for a in v]
                            for k, v in s.outputs.items()},
                "cloud_requests": s.cloud_requests} for s in result.steps]}
        with open(os.path.join(self.run_dir, SUMMARY_FILE), "w") as f:
            json.dump(summary, f, indent=1)


def _last_error(log_path: str) -> str:
    """The step's own last word: the exception line of its traceback, else its last line."""
    with open(log_path, errors="replace") as f:
        lines = [line.strip() for line in f if line.strip()]
    exception = re.compile(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt): .*")
    return next((line for line in reversed(lines) if exception.fullmatch(line)),
                lines[-1] if lines else "no output")
