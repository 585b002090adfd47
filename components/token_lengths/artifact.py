"""The TokenLengthStatistics artifact type: a folder with `token_lengths.json`, and the main
figures as MLMD custom properties."""
import json
import os
from typing import Any, Dict, Optional

from tfx.types import artifact

TYPE_NAME = "tfx_hf.TokenLengthStatistics"
FILE_NAME = "token_lengths.json"
# Custom properties: the max_length the run used, and the largest truncated share of a split.
MAX_LENGTH_PROPERTY = "max_length"
TRUNCATED_SHARE_PROPERTY = "truncated_share"
P95_PROPERTY = "p95"


class TokenLengthStatistics(artifact.Artifact):
    """Token-length statistics per split of a run's examples: TokenLengthStatisticsGen's
    output."""
    TYPE_NAME = TYPE_NAME


def write(uri: str, found: Dict[str, Any]) -> None:
    import tensorflow as tf

    tf.io.gfile.makedirs(uri)
    with tf.io.gfile.GFile(os.path.join(uri, FILE_NAME), "w") as f:
        f.write(json.dumps(found, indent=2, sort_keys=True))


def read(uri: str) -> Optional[Dict[str, Any]]:
    import tensorflow as tf

    path = os.path.join(uri, FILE_NAME)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        return json.loads(f.read())
