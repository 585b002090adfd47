"""The model card (README.md): Hub metadata plus how to use the 🤗 model and the SavedModel.

The YAML front matter is written by huggingface_hub's `ModelCardData`, so its keys and the
`model-index` layout are the ones the Hub reads. Names that are local paths (a dataset folder,
a checkpoint folder) are shown by their last component only: the card may be public, and a
path says nothing to its readers. They never become `datasets`/`base_model` metadata, which
must name Hub repositories.
"""
import dataclasses
import os
import re
from typing import Any, Dict, List, Optional

from huggingface_hub import EvalResult, ModelCardData
from huggingface_hub.utils import HFValidationError, validate_repo_id

from tfx_hf.components.contracts import SERVING_DEFAULT_SIGNATURE, SERVING_EXAMPLE_SIGNATURE
from tfx_hf.components.hub_paths import is_local_path

SAVED_MODEL_DIR = "saved_model"  # where the end-to-end SavedModel goes in the Hub repository
TAGS = ["tensorflow", "tfx", "text-classification"]
TASK_TYPE = "text-classification"
# TFMA metric names → Hub metric ids (https://hf.co/metrics); others keep their own name.
HUB_METRIC_TYPES = {
    "accuracy": "accuracy", "sparse_categorical_accuracy": "accuracy",
    "categorical_accuracy": "accuracy", "binary_accuracy": "accuracy", "auc": "roc_auc",
    "precision": "precision", "recall": "recall", "f1_score": "f1",
    "mean_squared_error": "mse", "mean_absolute_error": "mae",
}
NOT_MODEL_METRICS = ("example_count", "weighted_example_count")


@dataclasses.dataclass
class CardFacts:
    """What the card says, gathered from the model artifact, the evaluation and the user."""
    repo_id: str
    revision: str  # the tag, or the branch, users should load
    dataset: Optional[str] = None
    checkpoint: Optional[str] = None
    metrics: Dict[str, float] = dataclasses.field(default_factory=dict)
    eval_split: str = "eval"
    task_description: str = "text classification"  # the task's own words (Task.description)
    text_features: List[str] = dataclasses.field(default_factory=lambda: ["text"])
    label_names: List[str] = dataclasses.field(default_factory=list)
    tensorflow_version: Optional[str] = None
    tensorflow_text_version: Optional[str] = None
    has_saved_model: bool = True
    provenance: str = ""
    # ParityCertificate.summary() of the run's TokenizerParityCheck; None: not checked.
    tokenizer_parity: Optional[Dict[str, Any]] = None


def hub_id_or_none(name: Optional[str]) -> Optional[str]:
    """`name` when it can be a Hub repository id, None for a local path."""
    if not name or is_local_path(name) or "://" in name:
        return None
    try:
        validate_repo_id(name)
    except HFValidationError:
        return None
    return name


def display_name(name: Optional[str]) -> Optional[str]:
    if not name:
        return None
    return hub_id_or_none(name) or os.path.basename(os.path.normpath(name.rstrip("/"))) or name


def _snake(name: str) -> str:
    """TFMA names Keras metrics in snake case and its own in CamelCase ("ExampleCount")."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _metadata(facts: CardFacts):
    dataset_id, checkpoint_id = hub_id_or_none(facts.dataset), hub_id_or_none(facts.checkpoint)
    dataset_label = display_name(facts.dataset) or "unknown"
    eval_results = []
    for name, value in sorted(facts.metrics.items()):
        base = _snake(name.rsplit("/", 1)[-1])
        if base in NOT_MODEL_METRICS:
            continue
        eval_results.append(EvalResult(
            task_type=TASK_TYPE, task_name=facts.task_description,
            dataset_type=dataset_id or dataset_label, dataset_name=dataset_label,
            dataset_split=facts.eval_split, metric_type=HUB_METRIC_TYPES.get(base, base),
            metric_name=name, metric_value=round(float(value), 6)))
    return ModelCardData(
        library_name="transformers", pipeline_tag=TASK_TYPE, tags=list(TAGS),
        datasets=[dataset_id] if dataset_id else None, base_model=checkpoint_id,
        model_name=facts.repo_id.split("/")[-1] if eval_results else None,
        eval_results=eval_results or None)


def _metrics_table(metrics: Dict[str, float]) -> str:
    rows = "\n".join(f"| {name} | {value:.6g} |" for name, value in sorted(metrics.items()))
    return f"| Metric | Value |\n|---|---|\n{rows}\n"


def _saved_model_section(facts: CardFacts) -> str:
    inputs = ", ".join(f'{name}=tf.constant(["..."])' for name in facts.text_features)
    requirement = f"tensorflow-text=={facts.tensorflow_text_version}" \
        if facts.tensorflow_text_version else "tensorflow-text"
    pins = " ".join(p for p in (f"tensorflow=={facts.tensorflow_version}"
                                if facts.tensorflow_version else "tensorflow",
                                requirement))
    return f"""### TensorFlow SavedModel (strings in, predictions out)

`{SAVED_MODEL_DIR}/` is the end-to-end model the pipeline evaluated: tokenization runs inside
the graph. Its signatures include `{SERVING_DEFAULT_SIGNATURE}` (raw strings) and
`{SERVING_EXAMPLE_SIGNATURE}` (serialized `tf.Example`s). Its tokenizer ops come from
**{requirement}**
(`{SAVED_MODEL_DIR}/assets.extra/requirements.txt`): load it with that version, and serve it
with a TF Serving build that carries the same tensorflow-text ops.

```bash
pip install {pins}
```

```python
import tensorflow as tf
import tensorflow_text  # registers the tokenizer ops the graph uses
from huggingface_hub import snapshot_download

folder = snapshot_download("{facts.repo_id}", revision="{facts.revision}",
                           allow_patterns="{SAVED_MODEL_DIR}/*")
model = tf.saved_model.load(f"{{folder}}/{SAVED_MODEL_DIR}")
print(model.signatures["{SERVING_DEFAULT_SIGNATURE}"]({inputs}))
```
"""


def _parity_section(parity: Dict[str, Any]) -> str:
    """The tokenizer parity certificate: the in-graph tokenizer against the checkpoint's 🤗
    fast tokenizer on the training data, before training."""
    rate, compared = parity.get("exact_row_rate"), parity.get("rows_compared") or 0
    splits = ", ".join(f"{name} {values['exact_rows']:,}/{values['rows_compared']:,}"
                       for name, values in sorted((parity.get("splits") or {}).items()))
    shown = "–" if rate is None else f"{rate:.4f}"
    text = (f"## Tokenizer parity\n\nBefore training, {compared:,} rows of the training data "
            "(rows with non-ASCII characters first) were tokenized by the SavedModel's in-graph "
            "tokenizer and by the checkpoint's 🤗 fast tokenizer, with the same `max_length`, "
            f"truncation and text pairs. Exact-row rate: **{shown}**"
            + (f" ({splits})" if splits else "") + ".\n")
    if parity.get("mismatch_allowed"):
        text += ("\n**Differences were allowed** (`allow_tokenizer_mismatch`): on the rows "
                 "below, the SavedModel does not see the ids the 🤗 tokenizer gives.\n")
        for row in parity.get("differing_rows") or []:
            sample = row["text"].replace("`", "'")
            sample = sample if len(sample) <= 80 else sample[:80] + "…"
            text += f"\n- {row['split']} row {row['row']}: `{sample!r}`"
        text += "\n"
    return text


def build_model_card(facts: CardFacts) -> str:
    """README.md text: YAML front matter, then what the model is and how to use it."""
    dataset, checkpoint = display_name(facts.dataset), display_name(facts.checkpoint)
    checkpoint_link = f"[{checkpoint}](https://huggingface.co/{checkpoint})" \
        if hub_id_or_none(facts.checkpoint) else (f"`{checkpoint}`" if checkpoint else None)
    dataset_link = f"[{dataset}](https://huggingface.co/datasets/{dataset})" \
        if hub_id_or_none(facts.dataset) else (f"`{dataset}`" if dataset else None)
    origin = "".join([f" fine-tuned from {checkpoint_link}" if checkpoint_link else "",
                      f" on {dataset_link}" if dataset_link else ""])
    parts = [
        f"---\n{_metadata(facts).to_yaml()}\n---\n",
        f"# {facts.repo_id.split('/')[-1]}\n",
        f"A TensorFlow {facts.task_description} model{origin}, "
        "trained, evaluated and blessed by a TFX pipeline ([tfx-hf](#provenance)).\n",
    ]
    if facts.label_names:
        parts.append("Labels: " + ", ".join(f"`{n}`" for n in facts.label_names) + ".\n")
    if facts.metrics:
        parts.append(f"## Evaluation\n\nTFMA metrics on the `{facts.eval_split}` split "
                     "(overall slice); the Evaluator blessed this model against its "
                     f"thresholds.\n\n{_metrics_table(facts.metrics)}")
    parts.append(f"""## How to use

### 🤗 Transformers (TensorFlow)

```python
from transformers import pipeline

classifier = pipeline("text-classification", model="{facts.repo_id}",
                      revision="{facts.revision}", framework="tf")
print(classifier("..."))
```
""")
    if facts.has_saved_model:
        parts.append(_saved_model_section(facts))
    if facts.tokenizer_parity:
        parts.append(_parity_section(facts.tokenizer_parity))
    if facts.provenance:
        parts.append(f"## Provenance\n\n{facts.provenance}\n")
    return "\n".join(parts)
