"""TextClassificationConfig: what Transform's preprocessing_fn and Trainer's run_fn both read.

It travels as the components' `custom_config` dict (plain JSON, stored in MLMD: never a secret).
"""
import dataclasses
from typing import Any, Dict, List, Optional

# Transformed feature holding the class id; the raw label column keeps its own name.
LABEL_ID_FEATURE = "label_id"


@dataclasses.dataclass
class TextClassificationConfig:
    checkpoint: str
    text_feature: str = "text"
    label_feature: str = "label"
    max_length: int = 128
    batch_size: int = 16
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    seed: int = 42
    # Class names in id order. Filled at run time from the Examples artifact's `label_names`
    # (HFDatasetExampleGen) unless given here.
    label_names: Optional[List[str]] = None

    def to_custom_config(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_custom_config(cls, custom_config: Optional[Dict[str, Any]]) -> "TextClassificationConfig":
        if not custom_config or "checkpoint" not in custom_config:
            raise ValueError("custom_config must hold a TextClassificationConfig (at least "
                             "'checkpoint'); build it with TextClassificationConfig(...)"
                             ".to_custom_config().")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(custom_config) - known)
        if unknown:
            raise ValueError(f"Unknown custom_config keys {unknown}; known: {sorted(known)}.")
        return cls(**custom_config)
