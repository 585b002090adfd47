"""The rehearsals' own artifact records under a pipeline root: what the backend's metadata
store (Vertex ML Metadata, KFP's MLMD) holds, kept small enough to read (a JSON file), so that
importer and resolver steps of a later rehearsal find the artifacts of earlier ones."""
import json
import os
import re
import time
from typing import Any, Dict, List, Optional

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from tfx_hf.components.input_error import InputError

RECORDS_FILE = "rehearsal_records.json"
# One clause of the filters TFX compiles into resolver queries (AIP-160 syntax as the backend
# reads it), e.g. `metadata.blessed.number_value=1` or `name="projects/.../artifacts/7"`.
_CLAUSE = re.compile(r'\s*([A-Za-z_][\w.]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)\s*')


def schema_title(artifact_type: pipeline_spec_pb2.ArtifactTypeSchema) -> str:
    """`tfx.Model`: the schemaTitle, or (as TFX writes types) its instanceSchema's title."""
    if artifact_type.schema_title:
        return artifact_type.schema_title
    return (yaml.safe_load(artifact_type.instance_schema) or {}).get("title", "")


class Records:
    """Artifacts of earlier rehearsals under one pipeline root, oldest first."""

    def __init__(self, pipeline_root: str):
        self.path = os.path.join(pipeline_root, RECORDS_FILE)
        self.artifacts: List[Dict[str, Any]] = []
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.artifacts = json.load(f)["artifacts"]

    def add(self, artifact: pipeline_spec_pb2.RuntimeArtifact, run: str, task: str,
            key: str) -> None:
        self.artifacts.append({
            "name": artifact.name, "schema_title": schema_title(artifact.type),
            "type": json_format.MessageToDict(artifact.type), "uri": artifact.uri,
            "metadata": json_format.MessageToDict(artifact.metadata), "state": "LIVE",
            "run": run, "task": task, "key": key, "created": time.time()})

    def save(self) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path + ".tmp", "w") as f:
            json.dump({"artifacts": self.artifacts}, f, indent=1)
        os.replace(self.path + ".tmp", self.path)

    def find_by_uri(self, uri: str) -> Optional[Dict[str, Any]]:
        return next((a for a in reversed(self.artifacts) if a["uri"] == uri), None)

    def latest(self, query: str, step: str) -> Optional[pipeline_spec_pb2.RuntimeArtifact]:
        """The newest artifact matching a resolver query's `filter` (clauses joined by AND),
        as a RuntimeArtifact; None when none matches."""
        clauses = [_parse_clause(c, query, step) for c in re.split(r"\s+AND\s+", query.strip())]
        for record in reversed(self.artifacts):
            if all(_matches(record, field, value) for field, value in clauses):
                return to_runtime_artifact(record)
        return None


def to_runtime_artifact(record: Dict[str, Any]) -> pipeline_spec_pb2.RuntimeArtifact:
    artifact = pipeline_spec_pb2.RuntimeArtifact(name=record["name"], uri=record["uri"])
    json_format.ParseDict(record["type"], artifact.type)
    artifact.metadata.update(record["metadata"])
    return artifact


def _parse_clause(clause: str, query: str, step: str):
    match = _CLAUSE.fullmatch(clause)
    if not match:
        raise InputError(f"step {step}: resolver filter {query!r}: cannot rehearse the clause "
                         f"{clause!r} (rehearsals answer `field=value` clauses joined by AND).")
    field, value = match.groups()
    if value.startswith('"'):
        return field, json.loads(value)
    try:
        return field, float(value)
    except ValueError:
        return field, value


def _matches(record: Dict[str, Any], field: str, value: Any) -> bool:
    if field in ("schema_title", "state", "name", "uri"):
        return record[field] == value
    parts = field.split(".")
    if parts[0] == "metadata" and len(parts) == 3:  # metadata.KEY.number_value/string_value
        found = record["metadata"].get(parts[1])
        if parts[2] == "number_value":
            return isinstance(found, (int, float)) and float(found) == float(value)
        return found == value
    raise InputError(f"resolver filter field {field!r}: rehearsals answer schema_title, state, "
                     "name, uri and metadata.KEY.number_value/string_value.")
