"""OUTPUT/summary.json of `demo` and `run`: the run's results (pipelines.results), the
tokenizer's max_length, and the trained model's answers to a few news sentences."""
import json
import os
from typing import Any, Dict, Mapping

from tfx_hf.components.export.predict import predict
from tfx_hf.pipelines import config
from tfx_hf.pipelines.text_classification import create_pipeline

SUMMARY_FILE = "summary.json"
# One sentence for each BBC News topic (business, sport, politics, tech, entertainment).
SAMPLE_TEXTS = [
    "The central bank raised interest rates again as inflation squeezed company profits.",
    "The striker scored twice in the second half to send his club to the cup final.",
    "The prime minister faces a vote in parliament over the new immigration bill.",
    "The new smartphone chip runs machine learning models twice as fast on battery.",
    "The actress won an award for her role in the film at the festival on Sunday.",
]


def write_summary(summary: Dict[str, Any], output: str,
                  pipeline_arguments: Mapping[str, Any]) -> str:
    """Completes `summary` (max_length, predictions) and writes it; returns the file's path."""
    arguments = {**config.pipeline_defaults(create_pipeline), **pipeline_arguments}
    summary["max_length"] = arguments["max_length"]
    model = summary.get("pushed_model") or summary.get("model")
    summary["predictions"] = predict(model, SAMPLE_TEXTS) if model else []
    os.makedirs(output, exist_ok=True)
    path = os.path.join(output, SUMMARY_FILE)
    with open(path, "w") as f:
        json.dump(summary, f, indent=2)
    return path
