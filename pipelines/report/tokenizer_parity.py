"""The tokenizer parity section: TokenizerParityCheck's certificate (exact-row rate, rows
compared per split, the first differing rows with both id lists), or why the check stopped
the run."""
from typing import Any, Dict, Optional

from tfx_hf.components.tokenizer_parity.certificate import TYPE_NAME, ParityCertificate
from tfx_hf.pipelines.report.run_record import RunRecord

COMPONENT_ID = "TokenizerParityCheck"


def parity_section(record: RunRecord) -> Optional[Dict[str, Any]]:
    """None when the run has no parity check (a pipeline without it, or one that stopped
    before it)."""
    artifact = record.output(TYPE_NAME)
    if artifact is None:
        failed = [c for c in record.components
                  if c.component_id == COMPONENT_ID and c.state == "FAILED"]
        if not failed:
            return None
        # TFX publishes no output of a failed execution: the differing rows are in the run's
        # error line and its log.
        return {"status": "failed", "certificate": None}
    found = ParityCertificate.read(artifact.uri)
    if found is None:
        return None
    status = "identical" if found.identical else (
        "allowed" if found.allow_tokenizer_mismatch else "failed")
    return {
        "status": status,
        "uri": artifact.uri,
        "certificate": found,
        "exact_row_rate": found.exact_row_rate,
        "rows_compared": found.rows_compared,
        "exact_rows": found.exact_rows,
        "rows": [{"row": row, "text": row.text if row.text_pair is None
                  else f"{row.text} ‖ {row.text_pair}",
                  "first_difference": row.first_difference} for row in found.differing_rows],
    }
