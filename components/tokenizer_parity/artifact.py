"""The TokenizerParity artifact type: a folder with `tokenizer_parity.json` (certificate.py),
and the rates as MLMD custom properties."""
from tfx.types import artifact

from tfx_hf.components.tokenizer_parity import certificate


class TokenizerParity(artifact.Artifact):
    """The tokenizer parity certificate of a run: TokenizerParityCheck's output."""
    TYPE_NAME = certificate.TYPE_NAME
