"""The run report: `OUTPUT/report.html`, one self-contained page about a finished (or failed)
local run, built from its MLMD store and artifacts (page.py; each section by its own module).

    from tfx_hf.pipelines.report import write_report
    write_report("tfx_hf_output")   # -> "tfx_hf_output/report.html", of the newest run

Importing this package is light: TensorFlow, TFX and TFMA are imported when a report is built.
"""
import os
from typing import Optional

from tfx_hf.pipelines.run_output import REPORT_FILE, NotARunOutput, existing_metadata_path

__all__ = ["write_report", "NotARunOutput", "REPORT_FILE"]


def write_report(output_dir: str, run_id: Optional[str] = None) -> str:
    """Writes OUTPUT/report.html for the newest run in `output_dir` (or the run `run_id`, as
    the report names it) and returns its path. Raises NotARunOutput (an InputError) when the
    folder is not a run's output or has no such run."""
    existing_metadata_path(output_dir)  # a wrong folder fails here, before the heavy imports
    from tfx_hf.pipelines.report.page import render_report

    html = render_report(output_dir, run_id)
    path = os.path.join(os.path.abspath(output_dir), REPORT_FILE)
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as f:
        f.write(html)
    os.replace(partial, path)  # a reader never sees half a report
    return path
