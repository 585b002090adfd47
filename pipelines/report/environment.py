"""The versions section: the stack this report was built with, the TFX version the run's
artifacts recorded, and what the trained model says it needs to be served."""
import platform
from importlib import metadata
from typing import Any, Dict, List, Optional

import tensorflow as tf

from tfx_hf.components.contracts import (REQUIREMENTS_FILE, ModelInfo, assets_extra_path,
                                         serving_model_dir)
from tfx_hf.pipelines.report.run_record import RunRecord

# The packages the pipeline's results depend on (constraints.txt's stack), in that order.
STACK = ("tfx-hf", "tfx", "tensorflow", "tf-keras", "tensorflow-text", "tensorflow-transform",
         "tensorflow-model-analysis", "tensorflow-data-validation", "tfx-bsl", "ml-metadata",
         "apache-beam", "transformers", "tokenizers", "datasets", "huggingface-hub", "pyarrow",
         "numpy")


def installed_versions() -> List[Dict[str, str]]:
    versions = [{"name": "python", "version": platform.python_version()}]
    for name in STACK:
        try:
            versions.append({"name": name, "version": metadata.version(name)})
        except metadata.PackageNotFoundError:
            versions.append({"name": name, "version": "not installed"})
    return versions


def _serving_requirements(model_uri: str) -> Optional[List[str]]:
    path = assets_extra_path(serving_model_dir(model_uri), REQUIREMENTS_FILE)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def versions_section(record: RunRecord) -> Dict[str, Any]:
    tfx_versions = sorted({a.get_string_custom_property("tfx_version")
                           for c in record.components for artifacts in c.outputs.values()
                           for a in artifacts if a.has_custom_property("tfx_version")})
    model = record.output("Model")
    info = ModelInfo.read(serving_model_dir(model.uri)) if model is not None else None
    return {
        "installed": installed_versions(),
        "run_tfx_versions": tfx_versions,
        "model_task": info.task if info else None,
        "serving_requirements": _serving_requirements(model.uri) if model is not None else None,
    }
