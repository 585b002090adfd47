"""Watching a pipeline that runs in this process, for the console.

Components: TFX's DAG runners log "Component <id> is running." / "is finished." (LocalDagRunner)
and "node <id> is running." / "is finished." (BeamDagRunner) right before and after they
launch each component, in the orchestrating thread. A logging handler matches those records
by their format string and argument, not by the text they render to, so nothing depends on
a log format. This was chosen over polling MLMD, which sees a component only once its
execution is registered (not when its driver or resolution fails), and needs a second SQLite
connection while the launcher writes (a reader can make that writer fail with "database is
locked"); and over wrapping TFX's Launcher, which is not public API. The format strings are
checked against the installed TFX by tests/test_cli_console.py. Once a component has
finished, and no other is running, its execution is read from MLMD for its key figure
(figures.py).

Progress: the Trainer runs in this process under both runners, and its run_fn reports its
steps on the logger `tfx_hf.progress` (components/progress_events.py); HFDatasetExampleGen
reports the rows it has written, when its Beam DoFns run in this process (DirectRunner
in_memory, the default).
"""
import logging
from typing import Any, Dict, Optional

from tfx_hf.components.progress_events import LOGGER_NAME as PROGRESS_LOGGER
from tfx_hf.pipelines.cli.console import Clock, Console

# format string → what happened to the component named by the record's one argument
RUNNER_RECORDS = {
    "Component %s is running.": "start",   # tfx/orchestration/local/local_dag_runner.py
    "Component %s is finished.": "done",
    "node %s is running.": "start",        # tfx/orchestration/beam/beam_dag_runner.py
    "node %s is finished.": "done",
    "Skipping component %s.": "skipped",   # local_dag_runner.py, partial runs
}
log = logging.getLogger(__name__)


class PipelineWatcher(logging.Handler):
    """Draws component starts/finishes and training progress on `console`; reads each
    finished component's figure from the MLMD at `metadata_path` (None: no figures)."""

    def __init__(self, console: Console, metadata_path: Optional[str] = None,
                 pipeline_name: Optional[str] = None):
        super().__init__(logging.INFO)
        self.console, self.metadata_path, self.pipeline_name = console, metadata_path, \
            pipeline_name
        self.clock = Clock()
        # component → what its progress events said: bucket lengths, loss, rows
        self.reported: Dict[str, Dict[str, Any]] = {}

    def watch(self, metadata_path: str, pipeline_name: str) -> None:
        """Where to read the figures of the pipeline about to run."""
        self.metadata_path, self.pipeline_name = metadata_path, pipeline_name

    def __enter__(self) -> "PipelineWatcher":
        logging.getLogger().addHandler(self)
        logging.getLogger(PROGRESS_LOGGER).addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger().removeHandler(self)
        logging.getLogger(PROGRESS_LOGGER).removeHandler(self)
        self.console.end_bar()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            progress = getattr(record, "progress", None)
            if progress is not None:
                self._progress(progress)
            elif isinstance(record.msg, str) and record.msg in RUNNER_RECORDS \
                    and isinstance(record.args, tuple) and len(record.args) == 1:
                self._component(RUNNER_RECORDS[record.msg], str(record.args[0]))
        except Exception:  # the console must never break the run it shows
            self.handleError(record)

    def fail_running(self) -> None:
        """Marks the components still running as failed (the run raised)."""
        for name in self.clock.running():
            self.console.component("FAILED", name, self.clock.stop(name))

    def _component(self, what: str, name: str) -> None:
        if what == "start":
            self.clock.start(name)
            self.console.component("start", name)
            return
        seconds = self.clock.stop(name)
        if what == "skipped":
            self.console.component("skipped", name)
            return
        status, figure = self._figure(name)
        self.console.component(status, name, seconds, figure)

    def _figure(self, name: str):
        """("done" or "cached", the key figure), reading MLMD only when no other component is
        running (BeamDagRunner may run two at once)."""
        if not self.metadata_path or not self.pipeline_name or self.clock.running():
            return "done", ""
        try:
            from tfx_hf.pipelines import results
            from tfx_hf.pipelines.cli import figures

            execution = results.node_execution(self.metadata_path, self.pipeline_name, name)
            status = "cached" if execution is not None and execution.state == "CACHED" \
                else "done"
            return status, figures.key_figure(execution, self.reported.get(name, {}))
        except Exception:  # a figure is a nicety: say why in the log, show the rest
            log.warning("No key figure for %s.", name, exc_info=True)
            return "done", ""

    def _progress(self, event: Dict[str, Any]) -> None:
        running = self.clock.running()
        reported = self.reported.setdefault(running[-1] if running else "", {})
        kind = event.get("event")
        if kind == "buckets":
            reported["buckets"] = event["lengths"]
        elif kind == "train_begin":
            self.console.begin_training(event["total_steps"], event["step"],
                                        event["batch_size"])
        elif kind == "train_step":
            reported["loss"] = event["loss"]
            self.console.training(event["step"], event["total_steps"], event["loss"],
                                  event["examples_per_second"])
        elif kind == "rows" and event.get("total"):
            reported["rows"] = reported.get("rows", 0) + event["rows"]
            self.console.rows(reported["rows"], event["total"])
        elif kind == "train_end":
            reported["loss"] = event["loss"]
            self.console.end_bar()
