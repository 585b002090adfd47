"""Parameter values as the launcher hands them to a step: a PipelineSpec 2.1 parameter (typed
`parameterType`) goes into ExecutorInput.inputs.parameter_values as a protobuf Value; a
schema 2.0.0 one (typed `type`, what Vertex PipelineJobs compiled by TFX carry) into
ExecutorInput.inputs.parameters as a pipeline Value."""
import json
from typing import Any, Union

from google.protobuf import struct_pb2
from kfp.compiler import pipeline_spec_builder
from kfp.pipeline_spec import pipeline_spec_pb2

from tfx_hf.components.input_error import InputError

ParameterSpec = pipeline_spec_pb2.ComponentInputsSpec.ParameterSpec
ParameterType = pipeline_spec_pb2.ParameterType
PrimitiveType = pipeline_spec_pb2.PrimitiveType
# Either kind of value a task input can hold.
Value = Union[struct_pb2.Value, pipeline_spec_pb2.Value]


def typed(value: Any, spec: ParameterSpec, where: str) -> Value:
    """A value given on the command line (read as YAML) as the parameter's type wants it."""
    try:
        if spec.parameter_type:
            kind = spec.parameter_type
            if kind == ParameterType.STRING and not isinstance(value, str):
                value = json.dumps(value)
            elif kind == ParameterType.NUMBER_INTEGER:
                value = int(value)
            elif kind == ParameterType.NUMBER_DOUBLE:
                value = float(value)
            elif kind == ParameterType.BOOLEAN:
                value = bool(value)
            return pipeline_spec_builder.to_protobuf_value(value)
        if spec.type == PrimitiveType.INT:
            return pipeline_spec_pb2.Value(int_value=int(value))
        if spec.type == PrimitiveType.DOUBLE:
            return pipeline_spec_pb2.Value(double_value=float(value))
        return pipeline_spec_pb2.Value(
            string_value=value if isinstance(value, str) else json.dumps(value))
    except (TypeError, ValueError) as e:
        raise InputError(f"{where}={value!r}: not a value of the parameter's type ({e}).") from e


def is_new_style(value: Value) -> bool:
    return isinstance(value, struct_pb2.Value)


def put(executor_input: pipeline_spec_pb2.ExecutorInput, name: str, value: Value) -> None:
    if is_new_style(value):
        executor_input.inputs.parameter_values[name].CopyFrom(value)
    else:
        executor_input.inputs.parameters[name].CopyFrom(value)


def default(spec: ParameterSpec) -> Value:
    """The parameter's default value, None when it has none."""
    if spec.HasField("default_value"):
        return spec.default_value
    return None
