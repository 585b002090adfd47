"""The wall-time section: when each component's execution started and ended, as MLMD
recorded it (an execution is created when the component starts and updated when its outputs
are published)."""
import datetime
from typing import Any, Dict, Optional

from tfx_hf.pipelines.report import plots
from tfx_hf.pipelines.report.run_record import RunRecord


def timing_section(record: RunRecord) -> Optional[Dict[str, Any]]:
    """None when the run recorded no execution."""
    components = [c for c in record.components if not c.is_resolver]
    if not components:
        return None
    start = min(c.started for c in components)
    end = max(c.finished for c in components)
    rows = [{"component": c.component_id, "state": c.state, "seconds": c.seconds,
             "offset": c.started - start} for c in components]
    return {
        "started": datetime.datetime.fromtimestamp(start, datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M:%S UTC"),
        "total_seconds": end - start,
        "rows": rows,
        "plot": plots.component_timeline(
            [(r["component"], r["offset"], r["seconds"], r["state"]) for r in rows]),
    }
