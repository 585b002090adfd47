"""The tokenizer parity certificate: what TokenizerParityCheck found, as the JSON file inside
its artifact and as the artifact's MLMD custom properties.

Standard library only: the CLI's summary, the report and the Hub pusher read it without Beam or
tf.Transform; files go through `tf.io.gfile` (local, gs://), imported when one is read or
written.
"""
import dataclasses
import json
import os
from typing import Any, Dict, List, Optional

# The artifact type (KFP v2 needs `<namespace>.<Name>`, namespace 3 to 21 characters).
TYPE_NAME = "tfx_hf.TokenizerParity"
CERTIFICATE_FILE = "tokenizer_parity.json"
# MLMD custom properties of the artifact.
EXACT_ROWS_PROPERTY = "exact_rows"
ROWS_COMPARED_PROPERTY = "rows_compared"
EXACT_ROW_RATE_PROPERTY = "exact_row_rate"
ALLOWED_MISMATCH_PROPERTY = "allowed_mismatch"  # 1: differences found and allowed by the user


@dataclasses.dataclass
class DifferingRow:
    """A row whose ids differ: where it is, its text(s), and the ids of each side without
    padding (what the attention mask keeps)."""
    split: str
    row: int  # its position in the split, in the order the split's files hold it
    text: str
    text_pair: Optional[str]
    in_graph_ids: List[int]
    hf_ids: List[int]
    differing_outputs: List[str]  # input_ids, attention_mask, token_type_ids

    @property
    def first_difference(self) -> int:
        """The first position where the id lists differ."""
        return next((i for i, (a, b) in enumerate(zip(self.in_graph_ids, self.hf_ids))
                     if a != b), min(len(self.in_graph_ids), len(self.hf_ids)))

    def describe(self, width: int = 80, window: int = 8) -> str:
        """One line: the row, its text (cut at `width`), and `window` ids of each side from
        just before the first difference."""
        text = self.text if self.text_pair is None else f"{self.text} ‖ {self.text_pair}"
        shown = text if len(text) <= width else text[:width] + "…"
        start = max(0, self.first_difference - 2)

        def ids(values):
            cut = values[start:start + window]
            return ("[… " if start else "[") + " ".join(map(str, cut)) + (
                " …]" if start + window < len(values) else "]")
        return (f"{self.split} row {self.row} {shown!r}: from position {start}, in-graph "
                f"{ids(self.in_graph_ids)} vs 🤗 {ids(self.hf_ids)} ("
                f"{', '.join(self.differing_outputs)} differ)")


@dataclasses.dataclass
class SplitParity:
    split: str
    rows: int  # rows read from the split to choose the sample
    rows_compared: int
    exact_rows: int
    non_ascii_rows_compared: int


@dataclasses.dataclass
class ParityCertificate:
    """Rows of each split tokenized by both tokenizers, and how many came out identical in
    every model input (`input_ids`, `attention_mask`, `token_type_ids`)."""
    checkpoint: str
    max_length: int
    text_features: List[str]
    sample_size: int  # rows asked for per split
    splits: List[SplitParity]
    differing_rows: List[DifferingRow]  # the first few, in sample order
    allow_tokenizer_mismatch: bool = False
    versions: Dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def rows_compared(self) -> int:
        return sum(s.rows_compared for s in self.splits)

    @property
    def exact_rows(self) -> int:
        return sum(s.exact_rows for s in self.splits)

    @property
    def exact_row_rate(self) -> Optional[float]:
        return self.exact_rows / self.rows_compared if self.rows_compared else None

    @property
    def identical(self) -> bool:
        return self.exact_rows == self.rows_compared

    def summary(self) -> Dict[str, Any]:
        """What summary.json and the model card show."""
        return {
            "exact_row_rate": self.exact_row_rate,
            "rows_compared": self.rows_compared,
            "exact_rows": self.exact_rows,
            "splits": {s.split: {"rows_compared": s.rows_compared, "exact_rows": s.exact_rows,
                                 "non_ascii_rows_compared": s.non_ascii_rows_compared}
                       for s in self.splits},
            "differing_rows": [dataclasses.asdict(r) for r in self.differing_rows],
            "mismatch_allowed": bool(self.allow_tokenizer_mismatch and not self.identical),
        }

    def to_json(self) -> str:
        return json.dumps({**dataclasses.asdict(self), "rows_compared": self.rows_compared,
                           "exact_rows": self.exact_rows,
                           "exact_row_rate": self.exact_row_rate}, indent=2,
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "ParityCertificate":
        data = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["splits"] = [SplitParity(**s) for s in values.get("splits", [])]
        values["differing_rows"] = [DifferingRow(**r) for r in values.get("differing_rows", [])]
        return cls(**values)

    def write(self, artifact_uri: str) -> None:
        import tensorflow as tf

        tf.io.gfile.makedirs(artifact_uri)
        with tf.io.gfile.GFile(os.path.join(artifact_uri, CERTIFICATE_FILE), "w") as f:
            f.write(self.to_json())

    @classmethod
    def read(cls, artifact_uri: str) -> Optional["ParityCertificate"]:
        """The certificate in an artifact's folder; None when it has none."""
        import tensorflow as tf

        path = os.path.join(artifact_uri, CERTIFICATE_FILE)
        if not tf.io.gfile.exists(path):
            return None
        with tf.io.gfile.GFile(path) as f:
            return cls.from_json(f.read())
