"""Where a Trainer execution keeps the BackupAndRestore state that a rerun resumes from.

TFX gives every execution its own output folders (`<root>/HFTrainer/model_run/<id>/`), so a
backup kept there is never found again: a rerun after a crash or a SIGKILL is a new execution
with new folders. The backup is therefore kept beside them, under a key that a rerun of the
same training computes again and a different training does not: the pipeline's name, the
node's id, the exec properties (steps, the task config) and a fingerprint of what the inputs
hold, not of where they are (a rerun without the cache writes the same Examples again, into
new folders).

What the inputs hold: for Examples, every record, re-serialized deterministically (tfx_bsl does
not write a row's features in a stable order across processes) and summed in an
order-insensitive way (shards may be written in another order); for the transform graph, its
schema and assets (vocabularies), not its SavedModel, whose bytes differ from one process to
the next for the same graph; for other artifacts (a schema), their files' bytes.
"""
import hashlib
import json
import os
from typing import Any, Dict, Iterable, List, Mapping

import tensorflow as tf
from tfx.types import standard_artifacts

BACKUP_DIR = ".backup"  # beside the node's output folders; TFX reads no such output key
# The transform graph's folders that determine what the graph computes (see module docstring).
TRANSFORM_GRAPH_PARTS = ("transformed_metadata", os.path.join("transform_fn", "assets"))
_MODULUS = 2 ** 256


def _files(folder: str) -> List[str]:
    """Every file under `folder` (local or gs://), sorted by path."""
    if not tf.io.gfile.isdir(folder):
        return []
    found = []
    for root, _, names in tf.io.gfile.walk(folder):
        found.extend(os.path.join(root, name) for name in names)
    return sorted(found)


def _digest_bytes(paths: Iterable[str], base: str) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(os.path.relpath(path, base).encode() + b"\0")
        with tf.io.gfile.GFile(path, "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()


def _digest_examples(uri: str) -> str:
    """Per split: the row count and the sum of each row's deterministic digest."""
    splits = {}
    for path in _files(uri):
        split = os.path.relpath(path, uri).split(os.sep)[0]
        total, count = splits.get(split, (0, 0))
        compression = "GZIP" if path.endswith(".gz") else ""
        for record in tf.data.TFRecordDataset(path, compression_type=compression):
            example = tf.train.Example.FromString(record.numpy())
            row = hashlib.sha256(example.SerializeToString(deterministic=True)).digest()
            total, count = (total + int.from_bytes(row, "big")) % _MODULUS, count + 1
        splits[split] = (total, count)
    return hashlib.sha256(json.dumps(
        {split: [f"{total:064x}", count] for split, (total, count) in sorted(splits.items())}
    ).encode()).hexdigest()


def artifact_fingerprint(artifact) -> str:
    """What `artifact` holds, as a digest that does not depend on its URI."""
    if isinstance(artifact, standard_artifacts.Examples):
        return _digest_examples(artifact.uri)
    if isinstance(artifact, standard_artifacts.TransformGraph):
        return _digest_bytes([path for part in TRANSFORM_GRAPH_PARTS
                              for path in _files(os.path.join(artifact.uri, part))],
                             artifact.uri)
    return _digest_bytes(_files(artifact.uri), artifact.uri)


def training_fingerprint(pipeline_name: str, node_id: str, input_dict: Mapping[str, list],
                         exec_properties: Mapping[str, Any]) -> str:
    """The key of one training: equal for a rerun of it, different for any other."""
    inputs: Dict[str, List[str]] = {
        key: [artifact_fingerprint(artifact) for artifact in artifacts]
        for key, artifacts in sorted(input_dict.items())}
    properties = {key: value if isinstance(value, (str, int, float, type(None))) else str(value)
                  for key, value in sorted(exec_properties.items())}
    return hashlib.sha256(json.dumps(
        {"pipeline": pipeline_name, "node": node_id, "inputs": inputs,
         "exec_properties": properties}, sort_keys=True).encode()).hexdigest()[:32]


def backup_dir(model_uri: str, fingerprint: str) -> str:
    """`<pipeline_root>/<node_id>/.backup/<fingerprint>`: the node's folder is the one above
    its output key's (`<pipeline_root>/<node_id>/model/<execution id>`)."""
    node_dir = os.path.dirname(os.path.dirname(model_uri.rstrip("/")))
    return os.path.join(node_dir, BACKUP_DIR, fingerprint)
