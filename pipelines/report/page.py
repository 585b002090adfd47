"""The report page: each section's data, rendered with the Jinja2 template beside this file.

Each section is built by its own module from the run's record (`run_record.read_run`):
dataset, token_lengths, tokenizer_parity, training_curves, evaluation, blessing (thresholds
and pushes), environment (versions), timing. Plots are matplotlib figures embedded as SVG
`data:` URIs (plots.py). The page loads nothing: no script, no font, no remote image, and its
Content-Security-Policy forbids them.
"""
import datetime
import os
from typing import Any, Callable, Dict, Optional

import jinja2
from absl import logging

from tfx_hf.pipelines.report import (blessing, dataset, environment, evaluation, run_record,
                                     timing, token_lengths, tokenizer_parity, training_curves)

TEMPLATE = "report.html.j2"

# name in the template → what builds it from the RunRecord (None: the run has no such data).
SECTIONS: Dict[str, Callable[[run_record.RunRecord], Any]] = {
    "dataset": dataset.dataset_section,
    "token_lengths": token_lengths.token_length_section,
    "parity_certificate": tokenizer_parity.parity_section,
    "training": training_curves.training_section,
    "evaluation": evaluation.evaluation_section,
    "blessing": blessing.blessing_section,
    "pushes": blessing.pushes_section,
    "versions": environment.versions_section,
    "timing": timing.timing_section,
}


def _number(value, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}"


def _duration(seconds) -> str:
    """"42.0 s", "3 min 05 s", "1 h 02 min"."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _percent(value) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _environment() -> jinja2.Environment:
    environment_ = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.dirname(os.path.abspath(__file__))),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)
    environment_.filters.update(number=_number, percent=_percent, duration=_duration)
    return environment_


def build_sections(record: run_record.RunRecord) -> Dict[str, Any]:
    """Every section's data, and `problems`: the sections that could not be read, with why.
    A run that failed half-way, or an artifact damaged since, still gets the other sections."""
    sections: Dict[str, Any] = {"problems": {}}
    for name, build in SECTIONS.items():
        try:
            sections[name] = build(record)
        except Exception as e:  # shown in the page; the traceback goes to the log
            logging.exception("Report section %r could not be built.", name)
            sections[name] = None
            sections["problems"][name] = f"{type(e).__name__}: {e}"
    return sections


def render_record(record: run_record.RunRecord, output_dir: str) -> str:
    """The report's HTML for one run's record."""
    return _environment().get_template(TEMPLATE).render(
        output_dir=output_dir, record=record,
        generated=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        **build_sections(record))


def render_report(output_dir: str, run_id: Optional[str] = None) -> str:
    """The report's HTML for the run `run_id` (default: the newest) in `output_dir`."""
    output_dir = os.path.abspath(output_dir)
    return render_record(run_record.read_run(output_dir, run_id), output_dir)
