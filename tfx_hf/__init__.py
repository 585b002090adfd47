"""tfx_hf: TFX components (`tfx_hf.components`) and pipelines (`tfx_hf.pipelines`) that take a 🤗
dataset and checkpoint to a blessed, pushed, string-serving TensorFlow SavedModel.

The package's own artifact types are importable from here by the names they carry in compiled
pipelines: TFX's KFP v2 container entry point imports a custom artifact type by its schema
title, and Vertex AI allows one dot in a title (`tfx_hf.TokenizerParity`). They are imported on
first use, so that `import tfx_hf.components.contracts` stays light.
"""
import importlib

_ARTIFACT_TYPES = {
    "TokenizerParity": "tfx_hf.components.tokenizer_parity.artifact",
    "TokenLengthStatistics": "tfx_hf.components.token_lengths.artifact",
}


def __getattr__(name):
    if name in _ARTIFACT_TYPES:
        return getattr(importlib.import_module(_ARTIFACT_TYPES[name]), name)
    raise AttributeError(f"module 'tfx_hf' has no attribute {name!r}")
