"""What `tfx-hf run` and `demo` show while the pipeline runs: a line as each component starts
and as it finishes (status, elapsed time, its key figure), and the progress of the training
and of components that count rows (HFDatasetExampleGen).

On a terminal (rich) training is one live bar (step/total, loss, examples/s, ETA) redrawn in
place, and rows another (rows/total, ETA); anywhere else (CI, `| tee`, a file) every line is
plain text printed once, and each bar becomes a line at each tenth of its total. This
module only draws: `watch` decides what happened.
"""
import math
import time
from typing import Dict, List, Optional, TextIO

PLAIN_TRAINING_LINES = 10  # lines per training run when the bar cannot be redrawn
NAME_WIDTH = 30


def elapsed(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes} min {seconds:02d} s"


def component_line(status: str, name: str, seconds: Optional[float] = None,
                   figure: str = "") -> str:
    """`done    HFTrainer                       42.0 s  final loss 0.1234`."""
    line = f"{status:<7} {name:<{NAME_WIDTH}}"
    if seconds is not None:
        line += f" {elapsed(seconds):>10}"
    return (line + (f"  {figure}" if figure else "")).rstrip()


def rows_line(done: int, total: int) -> str:
    return f"        rows  {done:,}/{total:,}  ({100 * done / max(total, 1):.0f} %)"


def training_line(step: int, total: int, loss: float, examples_per_second: float,
                  eta_seconds: Optional[float]) -> str:
    eta = f"  ETA {elapsed(eta_seconds)}" if eta_seconds is not None else ""
    return (f"        training  step {step}/{total}  loss {loss:.4f}  "
            f"{examples_per_second:.1f} examples/s{eta}")


STATUS_STYLES = {"start": "cyan", "done": "green", "cached": "green", "skipped": "dim",
                 "FAILED": "bold red"}


class Console:
    """Draws to `out` (the terminal's stdout while the rest of the process writes to the log);
    `terminal`: whether `out` is one (None: ask it)."""

    def __init__(self, out: TextIO, terminal: Optional[bool] = None):
        self.out = out
        self.terminal = _isatty(out) if terminal is None else terminal
        self._rich = None
        self._bar = None  # (rich Progress, task id) while a training bar is drawn
        self._next_plain_step = self._next_plain_rows = 0
        self._batch_size = 0
        if self.terminal:
            from rich.console import Console as RichConsole

            self._rich = RichConsole(file=out, force_terminal=True, highlight=False,
                                     soft_wrap=True)

    def line(self, text: str, style: Optional[str] = None) -> None:
        if self._rich is not None:
            self._rich.print(text, style=style, markup=False)
        else:
            print(text, file=self.out, flush=True)

    def component(self, status: str, name: str, seconds: Optional[float] = None,
                  figure: str = "") -> None:
        self.end_bar()  # a bar ends when its component does (or another starts)
        self._next_plain_rows = 0
        self.line(component_line(status, name, seconds, figure), STATUS_STYLES.get(status))

    def begin_training(self, total: int, first_step: int, batch_size: int) -> None:
        self._batch_size = batch_size
        self._next_plain_step = first_step + 1
        if self._rich is not None:
            self._start_training_bar(total, first_step)

    def training(self, step: int, total: int, loss: float,
                 examples_per_second: float) -> None:
        """One progress report of the training: redraws the bar, or on a plain stream prints
        a line when the step passes the next tenth of the steps (and at the last step)."""
        if self._rich is None:
            if step >= self._next_plain_step or step >= total:
                eta = ((total - step) * self._batch_size / examples_per_second
                       if examples_per_second > 0 and self._batch_size else None)
                self.line(training_line(step, total, loss, examples_per_second, eta))
                tenth = math.floor(step * PLAIN_TRAINING_LINES / max(total, 1)) + 1
                self._next_plain_step = math.ceil(tenth * total / PLAIN_TRAINING_LINES)
            return
        if self._bar is None:
            self._start_training_bar(total, step)
        progress, task = self._bar
        progress.update(task, completed=step, total=total, loss=f"{loss:.4f}",
                        speed=f"{examples_per_second:.1f}")

    def rows(self, done: int, total: int) -> None:
        """Rows processed so far of `total`: the rows bar, or a plain line at each tenth."""
        if self._rich is None:
            if done >= self._next_plain_rows or done >= total:
                self.line(rows_line(done, total))
                tenth = math.floor(done * PLAIN_TRAINING_LINES / max(total, 1)) + 1
                self._next_plain_rows = math.ceil(tenth * total / PLAIN_TRAINING_LINES)
            return
        if self._bar is None:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn

            self._start_bar(total, 0, TextColumn("        rows"), BarColumn(),
                            MofNCompleteColumn())
        progress, task = self._bar
        progress.update(task, completed=done, total=total)

    def end_bar(self) -> None:
        if self._bar is not None:
            progress, _ = self._bar
            progress.stop()
            self._bar = None

    def _start_training_bar(self, total: int, first_step: int = 0) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn

        self._start_bar(
            total, first_step, TextColumn("        training"), BarColumn(), TextColumn("step"),
            MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[speed]} examples/s"), loss="-", speed="-")

    def _start_bar(self, total: int, completed: int, *columns, **fields) -> None:
        """A live bar of `columns`, then ETA; `fields` are their {task.fields[...]}."""
        from rich.progress import Progress, TextColumn, TimeRemainingColumn

        self.end_bar()
        # Not redirecting stdout/stderr: during the run they are the log's, not the terminal's.
        progress = Progress(
            *columns, TextColumn("ETA"), TimeRemainingColumn(), console=self._rich,
            transient=True, redirect_stdout=False, redirect_stderr=False,
            refresh_per_second=4)
        task = progress.add_task("progress", total=total, completed=completed, **fields)
        progress.start()
        self._bar = (progress, task)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Clock:
    """Elapsed seconds per component name."""

    def __init__(self):
        self._started: Dict[str, float] = {}

    def start(self, name: str) -> None:
        self._started[name] = time.monotonic()

    def stop(self, name: str) -> Optional[float]:
        started = self._started.pop(name, None)
        return None if started is None else time.monotonic() - started

    def running(self) -> List[str]:
        return list(self._started)
