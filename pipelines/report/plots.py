"""The report's plots, each a matplotlib figure returned as an SVG `data:` URI.

Figures are made with matplotlib's object API (`Figure`, never pyplot): no GUI backend, no
global figure state shared with the user's code. SVG text is drawn as paths, so the page needs
no font; the SVG hash salt and a cleared date make the same data give the same bytes.
"""
import base64
import io
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import matplotlib
import numpy as np
from matplotlib.figure import Figure

matplotlib.rcParams.update({
    "svg.fonttype": "path",
    "svg.hashsalt": "tfx-hf-report",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
})
WIDTH = 8.8  # inches: about the page's content column (96 px per inch)
COLORS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3"]


def to_data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(height: float, width: float = WIDTH) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _grouped_bars(axes, groups: Sequence[str], series: Mapping[str, Sequence[float]],
                  bar_labels: Mapping[str, Sequence[str]]) -> None:
    """One group of bars per name in `groups`, one bar per series in each, labelled."""
    x = np.arange(len(groups))
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        bars = axes.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=name,
                        color=COLORS[i % len(COLORS)])
        axes.bar_label(bars, labels=bar_labels[name], fontsize=7, padding=1)
    many = len(groups) > 6
    axes.set_xticks(x, labels=groups, rotation=30 if many else 0,
                    ha="right" if many else "center")


def label_distribution(label_names: Sequence[str], counts: Mapping[str, Sequence[int]]) -> str:
    """Grouped bars: each class's share of each split, with its row count on the bar."""
    figure = _figure(max(2.4, 0.35 * len(label_names) + 1.2))
    axes = figure.subplots()
    series, bar_labels = {}, {}
    for split, split_counts in counts.items():
        split_counts = np.asarray(split_counts, dtype=float)
        name = f"{split} ({int(split_counts.sum())} rows)"
        series[name] = 100 * split_counts / max(split_counts.sum(), 1)
        bar_labels[name] = [str(int(c)) for c in split_counts]
    _grouped_bars(axes, label_names, series, bar_labels)
    axes.set_ylabel("% of the split's rows")
    axes.margins(y=0.15)  # room for the counts
    axes.legend(frameon=False, ncols=len(counts), loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return to_data_uri(figure)


def _length_histogram(axes, lengths: Mapping[str, np.ndarray], longest: int,
                      max_length: int, xlabel: str, label_right: bool = False) -> None:
    """Share of rows per length up to `longest` (longer rows are counted in the last bin)."""
    bins = np.arange(0, longest + 2) - 0.5 if longest <= 128 else np.linspace(0, longest, 65)
    for i, (split, values) in enumerate(lengths.items()):
        axes.hist(np.minimum(values, longest), bins=bins, histtype="stepfilled", alpha=0.45,
                  color=COLORS[i % len(COLORS)], edgecolor=COLORS[i % len(COLORS)],
                  label=f"{split} ({len(values)} rows)",
                  weights=np.full(len(values), 100 / max(len(values), 1)))
    axes.axvline(max_length, color="#c44e52", linestyle="--", linewidth=1.2)
    axes.annotate(f"max_length = {max_length}", xy=(max_length, 1),
                  xycoords=("data", "axes fraction"), xytext=(4 if label_right else -4, -4),
                  textcoords="offset points", ha="left" if label_right else "right",
                  va="top", color="#c44e52")
    axes.set_xlabel(xlabel)
    axes.set_ylabel("% of the split's rows")
    axes.legend(frameon=False, loc="upper right" if label_right else "upper left")


def token_lengths(kept: Mapping[str, np.ndarray], max_length: int,
                  before: Optional[Mapping[str, np.ndarray]] = None) -> str:
    """Histograms of each split's tokens per row (special tokens included, padding not) as the
    model sees them, with max_length marked; beside it, when known, the lengths before
    truncation (up to the 99th percentile; longer rows in the last bin), with the share of
    rows cut."""
    figure = _figure(2.8)
    axes = figure.subplots(1, 2 if before else 1, squeeze=False).ravel()
    _length_histogram(axes[0], kept, max_length, max_length, "tokens per row the model sees")
    if before:
        everything = np.concatenate([v for v in before.values()])
        longest = max(int(np.ceil(np.percentile(everything, 99))) if len(everything) else 0,
                      int(max_length * 1.25))
        _length_histogram(axes[1], before, longest, max_length,
                          "tokens per row before truncation", label_right=True)
        shares = ", ".join(f"{split} {100 * float((v > max_length).mean()):.1f} %"
                           for split, v in before.items() if len(v))
        axes[1].set_title(f"truncated: {shares}", fontsize=9, color="#c44e52")
    return to_data_uri(figure)


def training_curves(curves: Mapping[str, Mapping[str, List[Tuple[int, float]]]]) -> str:
    """One panel per metric (loss first), a line per run (train, validation), x = epoch."""
    names = sorted(curves, key=lambda n: (n != "loss", n))
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure = _figure(2.4 * rows)
    axes_grid = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    for axes, name in zip(axes_grid, names):
        for i, (run, points) in enumerate(sorted(curves[name].items())):
            steps, values = zip(*sorted(points))
            axes.plot(np.asarray(steps) + 1, values, marker="o", color=COLORS[i % len(COLORS)],
                      label=run)
        epochs = sorted({step + 1 for points in curves[name].values() for step, _ in points})
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.set_xticks(epochs if len(epochs) <= 12 else axes.get_xticks())
        axes.set_xlim(0.5, max(epochs) + 0.5)
        axes.legend(frameon=False, fontsize=7)
    for axes in axes_grid[len(names):]:
        axes.set_visible(False)
    return to_data_uri(figure)


def step_loss(points: List[Tuple[int, float]]) -> str:
    """The training loss (the running mean over the epoch, as Keras logs it) by step."""
    figure = _figure(2.4)
    axes = figure.subplots()
    steps, values = zip(*sorted(points))
    axes.plot(steps, values, color=COLORS[0])
    axes.set_xlabel("step")
    axes.set_ylabel("training loss")
    return to_data_uri(figure)


def per_class_metrics(label_names: Sequence[str], metrics: Mapping[str, Sequence[float]]) -> str:
    """Grouped bars of per-class metrics (precision, recall, F1), one group per class."""
    figure = _figure(max(2.6, 0.3 * len(label_names) + 1.6))
    axes = figure.subplots()
    _grouped_bars(axes, label_names, metrics,
                  {name: [f"{v:.2f}" for v in values] for name, values in metrics.items()})
    axes.set_ylim(0, 1.12)
    axes.set_ylabel("value on the eval split")
    axes.legend(frameon=False, ncols=len(metrics), loc="upper center",
                bbox_to_anchor=(0.5, 1.12))
    return to_data_uri(figure)


def confusion_matrix(label_names: Sequence[str], matrix: np.ndarray,
                     no_prediction: Optional[np.ndarray] = None) -> str:
    """Heatmap of counts, rows = true class, columns = predicted class; each cell shows its
    count. A last column counts rows with no predicted class, when there are any."""
    columns = list(label_names)
    if no_prediction is not None and no_prediction.any():
        matrix = np.concatenate([matrix, no_prediction[:, None]], axis=1)
        columns.append("(none)")
    side = min(8.0, 2.4 + 0.6 * len(columns))
    figure = _figure(side * 0.85, width=side + 1.2)
    axes = figure.subplots()
    image = axes.imshow(matrix, cmap="Blues", vmin=0)
    figure.colorbar(image, ax=axes, shrink=0.8, label="rows")
    threshold = matrix.max() / 2 if matrix.size else 0
    if len(columns) <= 30:
        for (i, j), count in np.ndenumerate(matrix):
            axes.text(j, i, f"{count:g}", ha="center", va="center", fontsize=8,
                      color="white" if count > threshold else "black")
    axes.set_xticks(range(len(columns)), labels=columns, rotation=45, ha="right")
    axes.set_yticks(range(len(label_names)), labels=label_names)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    axes.spines[:].set_visible(False)
    return to_data_uri(figure)


def slice_metric(metric: str, values: Dict[str, float]) -> str:
    """Horizontal bars: one metric on each slice."""
    figure = _figure(max(1.8, 0.28 * len(values) + 0.8))
    axes = figure.subplots()
    names = list(values)
    bars = axes.barh(range(len(names)), [values[n] for n in names], color=COLORS[0])
    axes.bar_label(bars, fmt="%.3f", fontsize=7, padding=2)
    axes.set_yticks(range(len(names)), labels=names)
    axes.invert_yaxis()
    axes.set_xlabel(metric)
    return to_data_uri(figure)


def component_timeline(rows: Sequence[Tuple[str, float, float, str]]) -> str:
    """(component, start offset s, duration s, state) as a Gantt chart."""
    figure = _figure(max(1.8, 0.3 * len(rows) + 0.8))
    axes = figure.subplots()
    for i, (_, start, seconds, state) in enumerate(rows):
        color = {"COMPLETE": COLORS[0], "CACHED": COLORS[2], "FAILED": COLORS[3]}.get(
            state, COLORS[5])
        axes.broken_barh([(start, max(seconds, 0.05))], (i - 0.35, 0.7), color=color)
        axes.text(start + seconds, i, f" {seconds:.1f} s", va="center", fontsize=7)
    axes.set_yticks(range(len(rows)), labels=[r[0] for r in rows])
    axes.invert_yaxis()
    axes.set_xlabel("seconds since the run started")
    axes.set_xlim(0, max((s + d for _, s, d, _ in rows), default=1) * 1.12)
    return to_data_uri(figure)
