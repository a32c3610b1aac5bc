"""End to end in a real browser: JupyterLab on localhost, 05_explore opened and run in headless Chromium, a filter
changed through the rendered widget, and the rendered table checked; and a run's findings page opened from disk. The
screenshots are kept as test artifacts (reports/test-artifacts/explorer.png, findings.png).

Needs Debian's `chromium` (/usr/bin/chromium) and the `playwright` package; nothing downloads a browser.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "reports" / "test-artifacts"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


def _project(tmp_path: Path) -> Path:
    """A project with 05_explore set to the 36-paper fixture (a quick topic fit)."""
    (tmp_path / "notebooks").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("")
    notebook = json.loads((ROOT / "notebooks" / "05_explore.ipynb").read_text())
    parameters = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    source = "".join(parameters["source"])
    corpus = str(FIXTURES / "topics" / "papers.jsonl")
    source = re.sub(r"input_paths: list = \[.*?\]", f"input_paths: list = [{corpus!r}]", source)
    parameters["source"] = source
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    (tmp_path / "notebooks" / "05_explore.ipynb").write_text(json.dumps(notebook))
    return tmp_path


@pytest.fixture
def jupyterlab(tmp_path):
    root = _project(tmp_path / "project")
    token, runtime = "nbkit-test-token", tmp_path / "runtime"
    env = {**os.environ, "NBKIT_CACHE_DIR": str(tmp_path / "cache"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_RUNTIME_DIR": str(runtime)}
    # Port 0: the server binds a free port itself and writes it to its runtime file. A port picked here and bound
    # later could be taken in between (the race that once killed a sweep's kernel).
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--port=0", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
         "--allow-root"],  # CI containers run as root
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    info = runtime / f"jpserver-{server.pid}.json"
    try:
        for _ in range(120):
            try:
                base = f"http://127.0.0.1:{json.loads(info.read_text())['port']}"
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except (OSError, ValueError, KeyError):  # not written yet, half written, or not serving yet
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start")
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_explorer_works_in_jupyterlab(jupyterlab):
    playwright = pytest.importorskip("playwright.sync_api")
    expect = playwright.expect
    base, token = jupyterlab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/lab/tree/notebooks/05_explore.ipynb?token={token}")
        page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
        page.locator(".jp-Notebook-ExecutionIndicator, .jp-KernelStatus").first.wait_for(timeout=60_000)
        time.sleep(2)  # let the kernel connect
        page.get_by_role("menuitem", name="Run").click()
        page.get_by_text("Run All Cells", exact=True).click()
        # textContent, not innerText: JupyterLab skips offscreen cells with `content-visibility: auto`, and Chromium's
        # innerText of a cell it has not laid out yet is "" (IBMa/equal-access#1008), which failed this test in CI
        # once. `to_have_text` reads textContent and retries until the kernel's last update has rendered.
        results = page.locator(".nbkit-results p").first
        expect(results).to_have_text("36 of 36 matching papers", timeout=180_000)
        page.locator(".widget-dropdown select").first.select_option(label="robots")
        expect(results).to_have_text("12 of 12 matching papers", timeout=30_000)
        rows = page.locator(".nbkit-results tbody tr")
        expect(rows).to_have_count(12)
        assert all("robots" in row for row in rows.all_text_contents())
        page.locator(".nbkit-results").first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=False)
        browser.close()
    assert (ARTIFACTS / "explorer.png").stat().st_size > 10_000


def _drawn_run(folder: Path) -> Path:
    """The full_run fixture (tests/fixtures/runs) with small figures drawn where the notebooks save theirs, and its
    findings page written."""
    import shutil

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nbkit.findings import write_findings

    shutil.copytree(FIXTURES / "runs" / "full_run", folder)
    for name in ("01_corpus/publication_years.png", "02_topics/topic_map.png", "03_trends/topic_trends.png"):
        figure, axes = plt.subplots(figsize=(3, 2))
        axes.bar(["a", "b", "c"], [5, 5, 4])
        figure.savefig(folder / name, dpi=60)
        plt.close(figure)
    write_findings(folder)
    return folder


def test_the_findings_page_renders_in_chromium(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    folder = _drawn_run(tmp_path / "run")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto((folder / "index.html").as_uri())
        assert page.locator("h1").inner_text() == "nbkit findings: run"
        assert page.locator("h2").all_inner_texts() == ["In short", "Corpus", "Topics", "What rises and falls",
                                                        "What sets each collection apart", "Notebooks and run"]
        topics = page.locator("#topics tbody tr")
        assert topics.count() == 3
        assert topics.nth(2).get_attribute("class") == "marked"  # the unstable topic stands out
        assert "Grasping <script>alert('x')</script> with soft hands" in topics.nth(2).inner_text()
        assert page.locator("#headlines li").count() == 5
        assert page.locator("#trends tbody tr").first.inner_text().split("\t")[:5] == [
            "0", "speech, audio, recognition", "rising", "18", "20"]
        images = page.locator("img")
        assert images.count() == 3
        assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
        assert page.locator("#run a").all_inner_texts()[:2] == [
            "manifest.json: parameters, input hashes, package versions, embedding model, times", "01_corpus.ipynb"]
        page.screenshot(path=str(ARTIFACTS / "findings.png"), full_page=True)
        browser.close()
    assert dialogs == []  # the title's script stayed text
    assert (ARTIFACTS / "findings.png").stat().st_size > 10_000
