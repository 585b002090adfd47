"""Everything the commands print; the commands themselves only do the work."""
import json
import re
import sys
from typing import Any, Dict, List, Optional, TextIO

TEXT_WIDTH = 70  # characters of a sample's text shown


def one_line(message: str) -> str:
    return re.sub(r"\s*\n\s*", " ", message.strip())


def error(command: str, message: str, file: Optional[TextIO] = None) -> None:
    """`tfx-hf COMMAND: error: MESSAGE` as one line on stderr (or `file`), as argparse
    reports usage errors (a message that spans lines, e.g. a YAML parser's, is joined)."""
    print(f"tfx-hf {command}: error: {one_line(message)}", file=file or sys.stderr, flush=True)


def not_pushed(command: str, summary: Dict[str, Any], log_path: str, file: TextIO) -> None:
    """The last line of a run that ended without a pushed model: why."""
    if summary.get("blessed"):
        error(command, f"the model was blessed but not pushed (full log: {log_path})", file)
        return
    reasons = summary.get("not_blessed_because") or []
    reason = "the model was not blessed" + (f": {', '.join(reasons)}" if reasons else "")
    print(f"tfx-hf {command}: {one_line(reason)}; nothing was pushed (full log: {log_path})",
          file=file, flush=True)


def dataset_report(name: str, report: Dict[str, Any], file: Optional[TextIO] = None) -> None:
    print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in report.items()),
          file=file or sys.stdout, flush=True)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4f}"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_WIDTH else text[:TEXT_WIDTH - 1] + "…"


def predictions(items: List[Dict[str, Any]]) -> None:
    for p in items:
        if "lines" in p:  # one line per found entity (token classification)
            print(p["text"])
            for line in p["lines"] or ["(no entities)"]:
                print(f"  {line}")
            continue
        print(f"{p['summary']}\t{p['text']}")


def run_summary(summary: Dict[str, Any], path: str, file: Optional[TextIO] = None) -> None:
    """What a finished run gives: accuracy, blessing, the pushed model, samples of the eval
    split with their true and predicted labels, where the summary is."""
    def say(text: str = "") -> None:
        print(text, file=file or sys.stdout, flush=True)

    say()
    if summary.get("accuracy") is not None:
        say(f"Eval accuracy: {summary['accuracy']:.4f}")
    say("Eval metrics: " + ", ".join(f"{k} {_number(v)}" for k, v in
                                     (summary.get("metrics") or {}).items()))
    say(f"Blessed: {'yes' if summary['blessed'] else 'no'}")
    say(f"Pushed model: {summary['pushed_model'] or 'not pushed'}")
    parity = summary.get("tokenizer_parity")
    if parity and parity.get("exact_row_rate") is not None:
        say(f"Tokenizer parity: exact-row rate {parity['exact_row_rate']:.4f} on "
            f"{parity['rows_compared']:,} rows" + (
                "; DIFFERENCES ALLOWED (--allow-tokenizer-mismatch): the served model does not "
                "get the checkpoint's ids on every row" if parity.get("mismatch_allowed")
                else ""))
    for line in token_length_lines(summary.get("token_lengths")):
        say(line)
    rows = summary.get("row_counts") or {}
    say("Rows per split: " + ", ".join(f"{k} {v}" for k, v in rows.items())
        + f"; took {summary.get('seconds')} s")
    samples = summary.get("predictions") or []
    if samples:
        say(f"Samples of the eval split ({len(samples)}):")
        say(f"  {'true':<16} {'predicted':<24} text")
        for p in samples:
            predicted = p["summary"].replace("\t", " ")
            say(f"  {_short(str(p.get('true_label', ''))):<16} {predicted:<24} "
                f"{_short(p['text'])}")
    say(f"Summary: {path}")


def token_length_lines(token_lengths: Optional[Dict[str, Any]]) -> List[str]:
    """TokenLengthStatisticsGen's figures: what `--max-length auto` picked, and per split the
    median, p95 and max token length, the share truncated, unknown tokens, windows per text."""
    if not token_lengths:
        return []
    lines = []
    auto = token_lengths.get("max_length_auto")
    if auto:
        lines.append(f"max_length auto: picked {auto['picked']} (95th percentile "
                     f"{auto['p95']:.1f} tokens on {auto['rows']:,} rows of {auto['split']!r}, "
                     f"covers {auto['covered_share']:.1%}; model cap {auto['cap']})")
    for split, found in (token_lengths.get("splits") or {}).items():
        if not found.get("rows"):
            continue
        quantiles = found["quantiles"]
        lines.append(
            f"Token lengths ({split}): median {quantiles['p50']:g}, p95 {quantiles['p95']:g}, "
            f"max {found['max']}; truncated at {token_lengths['max_length']}: "
            f"{found['truncated_share']:.1%}; unknown tokens {found['unknown_token_share']:.2%};"
            f" windows per text {found['windows_per_text']['mean']:.2f} (stride "
            f"{token_lengths['stride']})")
    return lines


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
