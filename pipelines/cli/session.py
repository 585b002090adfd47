"""One `tfx-hf run`/`demo` from the terminal's point of view: where its output goes and what
its exit status is.

By default the terminal shows only the console (console.py, watch.py); everything else the
process writes — absl and Beam logging, TensorFlow's C++ logs, Python warnings, Keras and
`datasets` progress output, Beam worker processes — goes to OUTPUT/logs/run.log in full.
That is done at the file-descriptor level (stdout and stderr are pointed at the log), which is
the one way to catch what C++ code and child processes write, while the console writes to
copies of the original descriptors. TF_CPP_MIN_LOG_LEVEL is left as the user set it: raising
it would keep TensorFlow's C++ messages out of the log as well. With `verbose`, nothing is
redirected: the full log streams to the terminal as before, and logging records also go to
run.log.

Exit statuses (README, "Exit status"): 0 the model was blessed and pushed; 2 bad input
(InputError); 3 the pipeline ran to its end but the model was not blessed, so nothing was
pushed; 1 anything else; 130 interrupted (Ctrl-C). A failure prints one line last (with the
log's path, unless it is bad input, which the line names); its traceback is in the log.
"""
import contextlib
import io
import logging
import os
import sys
from typing import Any, Callable, Dict, Iterator, List, TextIO, Tuple

from tfx_hf.components.input_error import InputError
from tfx_hf.pipelines.cli import printing
from tfx_hf.pipelines.cli.console import Console
from tfx_hf.pipelines.cli.watch import PipelineWatcher
from tfx_hf.pipelines.run_output import LOG_FILE

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(filename)s:%(lineno)d] %(message)s"
BLESSED_AND_PUSHED, FAILED, BAD_INPUT, NOT_BLESSED = 0, 1, 2, 3
INTERRUPTED = 130  # as a shell reports a process stopped by Ctrl-C
log = logging.getLogger(__name__)


def log_path(output: str) -> str:
    return os.path.join(output, LOG_FILE)


def exit_status(summary: Dict[str, Any]) -> int:
    if not summary.get("blessed"):
        return NOT_BLESSED
    return BLESSED_AND_PUSHED if summary.get("pushed_model") else FAILED


def _terminal_copy(stream: TextIO, fd: int) -> TextIO:
    """A stream to the terminal that stays one when `fd` is pointed at the log: a copy of
    `fd` if `stream` writes to it, else `stream` itself (e.g. pytest's capture)."""
    try:
        if stream.fileno() != fd:
            return stream
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return stream
    stream.flush()
    return os.fdopen(os.dup(fd), "w", buffering=1, encoding=stream.encoding or "utf-8",
                     errors="replace", closefd=True)


@contextlib.contextmanager
def _root_logging_to(added: List[logging.Handler], keep_others: bool) -> Iterator[None]:
    """Every logging record at INFO and above, absl's included, to the handlers `added` (and,
    with `keep_others`, to the handlers already there)."""
    from absl import logging as absl_logging

    root = logging.getLogger()
    handlers, level, verbosity = root.handlers[:], root.level, absl_logging.get_verbosity()
    root.handlers = (handlers if keep_others else []) + added
    root.setLevel(logging.INFO)
    absl_logging.set_verbosity(absl_logging.INFO)
    try:
        yield
    finally:
        root.handlers = handlers
        root.setLevel(level)
        absl_logging.set_verbosity(verbosity)


@contextlib.contextmanager
def _output(log_path: str, verbose: bool) -> Iterator[Tuple[TextIO, TextIO]]:
    """Yields (terminal stdout, terminal stderr) while the process's output goes to the log
    (or, `verbose`, to both)."""
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    # Left open: loggers created during the run (TensorFlow's, Beam's) may hold it and
    # write to it until the process ends.
    log_file = open(log_path, "w", buffering=1, encoding="utf-8", errors="backslashreplace")
    handler = logging.StreamHandler(log_file)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    if verbose:
        to_terminal = [] if any(type(h) is logging.StreamHandler
                                for h in logging.getLogger().handlers) \
            else [logging.StreamHandler()]  # to stderr, where a basic logging setup writes
        with _root_logging_to([handler, *to_terminal], keep_others=True):
            yield sys.stdout, sys.stderr
        return
    out, err = _terminal_copy(sys.stdout, 1), _terminal_copy(sys.stderr, 2)
    streams = sys.stdout, sys.stderr
    for stream in streams:
        stream.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    try:
        for fd in saved:
            os.dup2(log_file.fileno(), fd)
        # Python-level writes follow the descriptors by themselves unless sys.stdout/stderr
        # were replaced (pytest's capture): then they are pointed at the log here.
        sys.stdout = streams[0] if out is not streams[0] else log_file
        sys.stderr = streams[1] if err is not streams[1] else log_file
        with _root_logging_to([handler], keep_others=False):
            yield out, err
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = streams
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        for copy, stream in ((out, streams[0]), (err, streams[1])):
            if copy is not stream:
                copy.close()


def _write_report(output: str, console: Console) -> None:
    """OUTPUT/report.html of the run that just ended (finished or failed); none when nothing
    ran. A report that cannot be written is said on the console and in the log, and changes
    no exit status."""
    from tfx_hf.pipelines.report import NotARunOutput, write_report

    try:
        console.line(f"Report: {write_report(output)}")
    except NotARunOutput:
        log.info("No report: nothing ran.")
    except Exception as e:  # noqa: BLE001 — the run's own outcome stands
        log.warning("The report could not be written.", exc_info=True)
        console.line(f"Report: not written ({type(e).__name__}: {printing.one_line(str(e))})")


def run(command: str, output: str, verbose: bool,
        work: Callable[[Console, PipelineWatcher], Dict[str, Any]]) -> int:
    """Runs `work(console, watcher)` (the pipeline; returns its summary, printed by it) with
    the output set up as above, then writes the run's report; returns the exit status. The
    last line says what went wrong, or where the full log is."""
    log_path = os.path.join(output, LOG_FILE)
    with _output(log_path, verbose) as (out, err):
        console = Console(out, terminal=False if verbose else None)
        watcher = PipelineWatcher(console)
        try:
            with watcher if not verbose else contextlib.nullcontext():
                summary = work(console, watcher)
        except KeyboardInterrupt:
            watcher.fail_running()
            log.error("tfx-hf %s interrupted.", command, exc_info=True)
            printing.error(command, f"interrupted (full log: {log_path})", file=err)
            return INTERRUPTED
        except Exception as e:  # noqa: BLE001 — every failure becomes a status and one line
            watcher.fail_running()
            log.error("tfx-hf %s failed.", command, exc_info=True)
            _write_report(output, console)
            if isinstance(e, InputError):  # it names the input and what to do: enough
                printing.error(command, str(e), file=err)
                return BAD_INPUT
            printing.error(command, f"{type(e).__name__}: {e} (full log: {log_path})", file=err)
            return FAILED
        status = exit_status(summary)
        log.info("tfx-hf %s: exit status %d.", command, status)
        _write_report(output, console)
        if status == BLESSED_AND_PUSHED:
            console.line(f"Full log: {log_path}")
        else:
            printing.not_pushed(command, summary, log_path, file=err)
        return status
