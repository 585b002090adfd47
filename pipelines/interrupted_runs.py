"""Cleaning up after runs that were killed (SIGKILL, a lost machine) before they could.

A killed LocalDagRunner/BeamDagRunner run leaves its current execution RUNNING in MLMD for
ever, and the output folders TFX made for it (`<root>/<node>/<key>/<execution id>/`) empty or
half-written. When a run starts, `mark_interrupted` marks such executions of its pipeline
CANCELED, with a custom property saying why, and removes their output folders (their
artifacts were never published, so nothing in MLMD points at them) and the staging copies a
push killed mid-copy left at the push destination (hidden `.<version>.incomplete` folders,
which TF Serving never loads, see components/pusher/executor.py). The Trainer's backup
lives elsewhere (components/trainer/resume.py), so the rerun still resumes training from it.

Several runs may write into one output folder at once: each holds `LiveRun`, an exclusive
lock on a file of its own, while it runs; an execution is taken for interrupted only if it
began before every run that still holds its lock. The kernel drops a killed process's locks.
"""
import fcntl
import glob
import os
import re
import shutil
import time
from typing import List, Optional

from absl import logging

LIVE_RUNS_DIR = ".live_runs"  # in the run's output folder
INTERRUPTED_PROPERTY = "interrupted"  # the reason, on each execution marked CANCELED


class LiveRun:
    """Holds `<output>/.live_runs/<pid>-<start ms>.lock` locked for the run's duration."""

    def __init__(self, output_dir: str):
        self.folder = os.path.join(output_dir, LIVE_RUNS_DIR)
        self.started_ms = int(time.time() * 1000)
        self.path = os.path.join(self.folder, f"{os.getpid()}-{self.started_ms}.lock")
        self._file = None

    def __enter__(self) -> "LiveRun":
        os.makedirs(self.folder, exist_ok=True)
        self._file = open(self.path, "w")
        fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()  # releases the lock
        try:
            os.remove(self.path)
        except OSError:
            pass

    def earliest_other_start_ms(self) -> Optional[int]:
        """The start of the earliest other run still holding its lock; stale lock files
        (their process is gone) are removed."""
        earliest = None
        for path in glob.glob(os.path.join(self.folder, "*.lock")):
            if path == self.path:
                continue
            with open(path) as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except OSError:  # held: that run is alive
                    started = int(os.path.basename(path).split("-")[1].split(".")[0])
                    earliest = started if earliest is None else min(earliest, started)
                    continue
            os.remove(path)
        return earliest


def _running_executions(store, pipeline_name: str):
    from ml_metadata.proto import metadata_store_pb2

    pipeline = store.get_context_by_type_and_name("pipeline", pipeline_name)
    if pipeline is None:
        return []
    unfinished = (metadata_store_pb2.Execution.NEW, metadata_store_pb2.Execution.RUNNING)
    return [e for e in store.get_executions_by_context(pipeline.id)
            if e.last_known_state in unfinished]


def _node_id(store, execution, pipeline_name: str) -> Optional[str]:
    prefix = pipeline_name + "."
    for context in store.get_contexts_by_execution(execution.id):
        if context.type == "node" and context.name.startswith(prefix):
            return context.name[len(prefix):]
    return None


def _output_folders(pipeline_root: str, node_id: str, execution_id: int) -> List[str]:
    """`<root>/<node>/<key>/<id>` and `<root>/<node>/.system/<kind>/<id>`, as TFX names
    them."""
    node_dir = os.path.join(pipeline_root, node_id)
    return sorted(p for pattern in ("*", os.path.join(".system", "*"))
                  for p in glob.glob(os.path.join(node_dir, pattern, str(execution_id)))
                  if os.path.isdir(p))


def _push_stagings(push_destination: Optional[str], since_ms: int,
                   before_ms: Optional[int]) -> List[str]:
    """Staging folders of pushes begun at `since_ms` or later (a staging folder is named by
    its push's version, the time it began in seconds) and before `before_ms`."""
    from tfx_hf.components.pusher.executor import STAGING_SUFFIX

    if not push_destination or "://" in push_destination or not os.path.isdir(push_destination):
        return []
    pattern = re.compile(r"\.(\d+)" + re.escape(STAGING_SUFFIX))
    found = []
    for name in os.listdir(push_destination):
        match = pattern.fullmatch(name)
        if match and int(match.group(1)) * 1000 >= since_ms // 1000 * 1000 and (
                before_ms is None or int(match.group(1)) * 1000 < before_ms):
            found.append(os.path.join(push_destination, name))
    return sorted(found)


def mark_interrupted(metadata_path: str, pipeline_name: str, pipeline_root: str,
                     live_run: LiveRun, push_destination: Optional[str] = None) -> List[int]:
    """Marks the unfinished executions of `pipeline_name` that no live run owns CANCELED and
    removes their output folders and their pushes' staging folders at `push_destination`;
    returns their ids."""
    if not os.path.isfile(metadata_path):
        return []
    from ml_metadata import metadata_store
    from ml_metadata.proto import metadata_store_pb2
    from tfx.orchestration import metadata

    store = metadata_store.MetadataStore(
        metadata.sqlite_metadata_connection_config(metadata_path))
    before_ms = live_run.earliest_other_start_ms()
    marked = []
    for execution in _running_executions(store, pipeline_name):
        if before_ms is not None and execution.create_time_since_epoch >= before_ms:
            continue  # may belong to a run that is still going
        node_id = _node_id(store, execution, pipeline_name) or "?"
        reason = (f"interrupted: the run executing {node_id} ended without finishing it "
                  "(killed?); marked CANCELED when the next run of the pipeline started")
        execution.last_known_state = metadata_store_pb2.Execution.CANCELED
        execution.custom_properties[INTERRUPTED_PROPERTY].string_value = reason
        store.put_executions([execution])
        removed = _output_folders(pipeline_root, node_id, execution.id) \
            if node_id != "?" and "://" not in pipeline_root else []
        removed += _push_stagings(push_destination, execution.create_time_since_epoch,
                                  before_ms)
        for folder in removed:
            shutil.rmtree(folder, ignore_errors=True)
        logging.warning("Execution %d (%s) of an earlier run of %s was left unfinished: marked "
                        "CANCELED%s.", execution.id, node_id, pipeline_name,
                        f"; removed {', '.join(removed)}" if removed else "")
        marked.append(execution.id)
    return marked
