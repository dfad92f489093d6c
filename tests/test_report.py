"""`claimframe report`: the page's content, its Markdown twin, and rendering in headless Chromium."""

import re
import shutil
import subprocess

import pytest

from bench.cli import main
from bench.data import load_corpus
from bench.labels import LABELS
from bench.report import write_report
from boards import add_run, corrupt, make_corpus

SPLITS = ("dev", "test", "test_ood")
# per evaluation split: per-class F1, confusion, reliability; then the topic and genre heat maps
FIGURES = 2 * 3 + 2
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("report")
    corpus_dir = make_corpus(tmp_path / "corpus", n=30)
    corpus = load_corpus(corpus_dir)
    gold = {split: list(corpus[split]["label"]) for split in SPLITS}
    board, runs = tmp_path / "leaderboard.csv", tmp_path / "runs"
    add_run(board, runs, corpus, "good", 0, {s: corrupt(g, 10) for s, g in gold.items()})
    add_run(board, runs, corpus, "good", 1, {s: corrupt(g, 6) for s, g in gold.items()},
            timestamp="2026-01-02T00:00:00Z")
    add_run(board, runs, corpus, "majority", 0, {s: [LABELS[0]] * len(g) for s, g in gold.items()})
    add_run(board, runs, corpus, "cue-rules", 0, {s: corrupt(g, 2) for s, g in gold.items()})
    page, markdown = write_report(tmp_path / "out", leaderboard=board, data=corpus_dir, n_resamples=200)
    return tmp_path, page, markdown


def test_page_holds_every_part(report):
    _, page, _ = report
    text = page.read_text()
    for heading in ("Leaderboard", "Mean over seeds", "Pairwise significance", "test: per-class F1",
                    "test_ood: example errors", "Macro-F1 by topic and by genre"):
        assert f">{heading}" in text
    assert len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', text)) == FIGURES
    assert "second annotator (AI), n=30" in text
    assert "cue-rules (floor)" in text and "majority (floor)" in text
    # the tiers column is filled: good (3 errors in 30) is tier 1, majority is not
    assert re.search(r"<td>1</td><td>1</td><td>good</td>", text)
    # example errors come from good's lowest seed, which errs on every 10th item (item 0:
    # factual_claim read as attributed_opinion); seed 1 would also show item 6
    good = re.search(r"<summary>good: .*?</details>", text.split("test: example errors")[1]).group(0)
    assert "<td>factual_claim</td><td>attributed_opinion</td><td>test-000</td>" in good
    assert "test-010" in good and "test-006" not in good


def test_markdown_twin_links_figures_that_exist(report):
    _, page, markdown = report
    links = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", markdown.read_text())
    assert len(links) == FIGURES
    for link in links:
        assert (markdown.parent / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_refuses_an_empty_leaderboard(tmp_path, corpus_dir, capsys):
    code = main(["report", "--output", str(tmp_path / "out"), "--leaderboard", str(tmp_path / "none.csv"),
                 "--data", str(corpus_dir)])
    assert code == 2
    assert "no leaderboard rows" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _browse(tmp_path, *arguments) -> str:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    done = subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


CHECK_SCRIPT = """<script>window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const drawn = images.filter(i => i.complete && i.naturalWidth > 0).length;
  const marker = document.createElement("p");
  marker.id = "render-check";
  marker.textContent = `images ${drawn}/${images.length}; rows ${document.querySelectorAll("tbody tr").length}`;
  document.body.appendChild(marker);
});</script>"""


@pytest.mark.skipif(_chromium() is None, reason="chromium is not on PATH (.ci/run installs it)")
def test_page_renders_in_headless_chromium(report, tmp_path):
    _, page, _ = report
    checked = tmp_path / "checked.html"
    checked.write_text(page.read_text().replace("</body>", CHECK_SCRIPT + "</body>"))
    dom = _browse(tmp_path, "--virtual-time-budget=10000", "--dump-dom", checked.as_uri())
    marker = re.search(r'id="render-check">images (\d+)/(\d+); rows (\d+)<', dom)
    assert marker, "the check script did not run"
    drawn, total, rows = map(int, marker.groups())
    assert total == FIGURES and drawn == FIGURES
    assert rows == len(re.findall(r"<tr><td>", page.read_text()))
    screenshot = tmp_path / "report.png"
    _browse(tmp_path, f"--screenshot={screenshot}", "--window-size=1400,3000", page.as_uri())
    header = screenshot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")) == (1400, 3000)
