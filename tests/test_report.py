"""The run report (pipelines/report): built from a real tiny run, opened in headless Chromium
(Debian's `chromium`; .ci/run installs it), every plot checked to have rendered (decoded at a
natural size, and not blank on the screenshot), and no request leaving the machine (the page's
CSP, no remote URL in it, and Chromium's own network log)."""
import base64
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tfx_hf.pipelines import cli
from tfx_hf.pipelines.report import REPORT_FILE, NotARunOutput, write_report

# One figure per plot the tiny run must show (its eval config has no slices, so no slice plot).
EXPECTED_PLOTS = {"plot-label-distribution", "plot-token-lengths", "plot-training-loss",
                  "plot-training-curves",
                  "plot-per-class", "plot-confusion-matrix", "plot-wall-time"}
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1",
    # Any host name resolves to nothing: even a request that slipped through cannot leave.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
WIDTH = 1100
# Runs in a copy of the report only (its CSP relaxed for this one inline script): where each
# plot's <img> is, and whether it decoded; written into an attribute so --dump-dom carries it.
PROBE = """<script>
window.addEventListener("load", () => {
  const plots = [...document.querySelectorAll("figure.plot")].map((figure) => {
    const img = figure.querySelector("img"), box = img.getBoundingClientRect();
    return {id: figure.id, complete: img.complete, naturalWidth: img.naturalWidth,
            naturalHeight: img.naturalHeight, x: box.left + scrollX, y: box.top + scrollY,
            width: box.width, height: box.height};
  });
  document.documentElement.setAttribute("data-probe", JSON.stringify(
    {plots, height: document.documentElement.scrollHeight}));
});
</script>"""


@pytest.fixture(scope="module")
def report(pipeline_run):
    """(path, HTML, summary) of the report of `pipeline_run`'s run: the folder's first, named
    explicitly, as test_pipeline_e2e.py may have made a second run into it."""
    from tfx_hf.pipelines.report import run_record

    output, summary = pipeline_run
    path = write_report(output, run_record.run_ids(output)[0])
    with open(path, encoding="utf-8") as f:
        return path, f.read(), summary


# Headless Chromium ---------------------------------------------------------------------------

def _chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail("No `chromium` on PATH: install Debian's package (`apt-get install -y "
                    "chromium`; .ci/run does).")
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    result = subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def probe(tmp_path, page: str) -> dict:
    """Where each plot is on the page and whether its image decoded, measured by Chromium in
    a copy of the page that runs PROBE."""
    copy = tmp_path / "probe.html"
    copy.write_text(page.replace(CSP, CSP + "; script-src 'unsafe-inline'")
                    .replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = _chromium(tmp_path, f"--window-size={WIDTH},900", "--virtual-time-budget=10000",
                    "--dump-dom", copy.as_uri()).stdout
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, dom[:2000]
    return json.loads(html.unescape(found.group(1)))


def screenshot_and_requests(tmp_path, path: str, height: int):
    """A full-page screenshot of `path` (as an RGB array) and the URLs the page itself asked
    the network for, from Chromium's net log (the browser's own background requests, which
    have no initiating page, are not the page's)."""
    png, net_log = tmp_path / "page.png", tmp_path / "net-log.json"
    _chromium(tmp_path, f"--window-size={WIDTH},{height}", "--virtual-time-budget=10000",
              f"--screenshot={png}", f"--log-net-log={net_log}", "file://" + path)
    from PIL import Image

    image = np.asarray(Image.open(png).convert("RGB"))
    log = json.loads(net_log.read_text())
    event_types = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    requested = [event["params"]["url"] for event in log["events"]
                 if event_types.get(event["type"]) == "URL_REQUEST_START_JOB"
                 and "url" in event.get("params", {})
                 and event["params"].get("initiator") != "not an origin"]
    return image, requested


def blank_regions(image: np.ndarray, plots: list) -> dict:
    """Plot id → why its region of the screenshot is not a rendered plot (empty if all are):
    a plot has ink (non-white pixels) and contrast."""
    problems = {}
    for plot in plots:
        x, y = int(plot["x"]), int(plot["y"])
        w, h = int(plot["width"]), int(plot["height"])
        if w < 100 or h < 50 or y + h > image.shape[0] or x + w > image.shape[1]:
            problems[plot["id"]] = f"region {w}x{h} at ({x}, {y}) of a {image.shape} screenshot"
            continue
        gray = image[y:y + h, x:x + w].mean(axis=2)
        ink = float((gray < 200).mean())
        if ink < 0.01 or gray.std() < 8:
            problems[plot["id"]] = f"blank: {ink:.2%} ink, contrast {gray.std():.1f}"
    return problems


# The report of a real run --------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.pipeline
def test_report_renders_every_plot_offline_in_chromium(report, tmp_path):
    path, page, _ = report
    # Nothing to fetch: the CSP forbids it, and the page names no remote or local resource.
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert not re.search(r"<(script|link|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"url\(|@import", page)
    sources = re.findall(r'\bsrc="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/svg+xml;base64,") for s in sources)
    for source in sources:  # nor does any embedded SVG (its raster parts are data: too)
        svg = base64.b64decode(source.split(",", 1)[1]).decode()
        assert not re.search(r'(href|src)="(?!#|data:image/)|url\((?!#)|@import', svg), svg[:500]
    assert all(h.startswith("#") for h in re.findall(r'\bhref="([^"]*)"', page))
    assert "could not be built" not in page

    measured = probe(tmp_path, page)
    plots = measured["plots"]
    assert {p["id"] for p in plots} == EXPECTED_PLOTS
    for plot in plots:
        assert plot["complete"] and plot["naturalWidth"] > 200 and plot["naturalHeight"] > 100, plot

    image, requested = screenshot_and_requests(tmp_path, path, measured["height"])
    assert image.shape[0] >= measured["height"] - 1
    assert blank_regions(image, plots) == {}
    assert requested == []


@pytest.mark.slow
@pytest.mark.pipeline
def test_report_shows_the_run(report):
    path, page, summary = report
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert os.path.basename(path) == REPORT_FILE
    assert "Blessed and pushed" in text
    # Dataset: rows and labels per split, as HFDatasetExampleGen wrote them.
    assert "train 90 eval 30" in text
    for label in ("sport", "business", "tech"):
        assert f"{label} 30 10" in text
    assert "invalid_utf8=error" in text
    assert "max_length = 32" in text and "0 (0.0 %)" in text
    # TokenLengthStatisticsGen's table: every row of each split, windows at max_length 32.
    assert re.search(r"train 90 [\d.]+ [\d.]+ [\d.]+ [\d.]+ [\d.]+ \d+ 0\.0 % 0\.0 % 1 \(max 1\)",
                     text) and "at max_length 32, stride 0" in text
    # Training curves: the last epoch's values, and where the full logs are.
    assert "tensorboard --logdir " in text and "model_run" in text
    # Evaluation and blessing: the run's own accuracy; no baseline on a first run.
    assert f"sparse_categorical_accuracy {summary['accuracy']:.4g}" in text
    assert "none (no model was blessed before this run)" in text
    assert re.search(r"sparse_categorical_accuracy Overall ≥ 0 \S+ – – passed", text)
    assert re.search(r"no worse than the baseline \S+ – – not applied", text)
    assert "No slices" in text
    assert f"ServingPusher yes {summary['pushed_model']}" in text
    # Tokenizer parity: every row of both splits (all ASCII) gave the checkpoint's own ids.
    assert re.search(r"Identical exact-row rate 1\.0000 ?: 120 of 120 rows", text)
    for component in ("HFDatasetExampleGen", "Transform", "HFTrainer", "HFEvaluator",
                      "ServingPusher"):
        assert re.search(rf"{component} complete \d+\.\d \d+\.\d", text), component


@pytest.mark.slow
@pytest.mark.pipeline
def test_report_of_a_run_that_stopped_in_transform_says_what_is_missing(pipeline_run):
    """The record of the same run cut where a run failing in Transform stops: every later
    section says why it is empty, and the verdict names the failed component."""
    from tfx_hf.pipelines.report import page, run_record

    output, _ = pipeline_run
    record = run_record.read_run(output, run_record.run_ids(output)[0])
    upstream = ("HFDatasetExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator")
    record.components = [c for c in record.components if c.component_id in upstream + (
        "Transform",)]
    transform = record.components[-1]
    transform.state, transform.outputs = "FAILED", {}
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.render_record(
        record, output))))
    assert "Failed in Transform" in text
    assert "sport 30 10" in text  # what did run is still shown
    for missing in ("No transform graph: Transform did not finish",
                    "No ModelRun artifact: the Trainer did not finish",
                    "No ModelEvaluation: the Evaluator did not run or did not finish",
                    "The model was not evaluated, so there is no blessing decision",
                    "No pusher ran in this run"):
        assert missing in text, missing
    assert "could not be built" not in text
    assert re.search(r"Transform failed \d+\.\d \d+\.\d", text)


# The checks themselves, on a page made to fail them ------------------------------------------

@pytest.mark.slow
def test_browser_checks_catch_a_blank_plot_and_a_remote_request(tmp_path):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 200), "white").save(buffer, format="PNG")
    blank = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    page = (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
            f'content="{CSP}"></head><body>'
            f'<figure class="plot" id="plot-blank"><img src="{blank}"></figure>'
            '<img src="http://example.com/a.png"></body></html>')
    path = tmp_path / "bad.html"
    path.write_text(page.replace(CSP, "img-src *"))  # without the CSP the request is made
    measured = probe(tmp_path, page)
    image, requested = screenshot_and_requests(tmp_path, str(path), measured["height"])
    assert list(blank_regions(image, measured["plots"])) == ["plot-blank"]
    assert requested == ["http://example.com/a.png"]


# The command ---------------------------------------------------------------------------------

def test_report_command_rejects_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("tfx-hf report: error:") and "no metadata.sqlite" in err
    with pytest.raises(NotARunOutput):
        write_report(str(tmp_path / "missing"))
    assert not os.path.exists(tmp_path / REPORT_FILE)


@pytest.mark.slow
def test_report_command_answers_a_wrong_folder_without_loading_tensorflow(tmp_path):
    code = ("import sys; from tfx_hf.pipelines import cli; status = cli.main(['report', "
            f"{str(tmp_path)!r}]); print(status, 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["2", "False"]
