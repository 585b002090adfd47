"""Everything the commands print; the commands themselves only do the work."""
import json
import re
import sys
from typing import Any, Dict, List


def error(command: str, message: str) -> None:
    """`tfx-hf COMMAND: error: MESSAGE` as one line on stderr, as argparse reports usage
    errors (a message that spans lines, e.g. a YAML parser's, is joined)."""
    one_line = re.sub(r"\s*\n\s*", " ", message.strip())
    print(f"tfx-hf {command}: error: {one_line}", file=sys.stderr)


def show_progress() -> None:
    """TFX's and the training's progress lines (absl INFO) while a pipeline runs."""
    from absl import logging

    logging.set_verbosity(logging.INFO)


def dataset_report(name: str, report: Dict[str, Any]) -> None:
    print(f"{name}: {report}")


def predictions(items: List[Dict[str, Any]]) -> None:
    for p in items:
        print(f"{p['summary']}\t{p['text']}")


def run_summary(summary: Dict[str, Any], path: str) -> None:
    if summary.get("accuracy") is not None:
        print(f"\nEval accuracy: {summary['accuracy']}")
    print(f"Eval metrics: {json.dumps(summary.get('metrics') or {})}")
    print(f"Blessed: {summary['blessed']}")
    print(f"Pushed model: {summary['pushed_model'] or 'not pushed (not blessed)'}")
    print(f"Rows per split: {summary.get('row_counts')}; took {summary.get('seconds')} s")
    for p in summary["predictions"]:
        print(f"  {p['summary']:>20}  {p['text']}")
    print(f"Summary: {path}")


def serve_check_report(report: Dict[str, Any]) -> None:
    """The report as JSON on stdout; each warning and error also as a line on stderr."""
    print(json.dumps(report, indent=2, ensure_ascii=False))
    for warning in report["warnings"]:
        print(f"tfx-hf serve-check: warning: {warning}", file=sys.stderr)
    for problem in report["errors"]:
        print(f"tfx-hf serve-check: FAILED: {problem}", file=sys.stderr)


def written(path: str) -> None:
    print(f"Wrote {path}")


def submitted(pipeline_file: str, job: str) -> None:
    print(f"Submitted {pipeline_file}: {job}")
