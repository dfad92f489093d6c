import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bench.highlight import render_html
from bench.labels import COLOURS, LABELS
from bench.predict import predict_sentences
from bench.systems.baselines import CueRules

ARTICLE = Path(__file__).parent / "fixtures" / "article.txt"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def article_page() -> tuple[str, list]:
    text = ARTICLE.read_text(encoding="utf-8")
    predictions = predict_sentences(CueRules().fit([], []), text)
    return "".join(render_html(predictions, text, title="article.txt")), predictions


def tint(colour: str, alpha: float = 0x40 / 0xFF) -> np.ndarray:
    """The colour a `#rrggbb40` highlight shows on the white page."""
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    return rgb * alpha + 255 * (1 - alpha)


def test_page_layout_keeps_the_articles_line_breaks():
    page, predictions = article_page()
    article = page[page.index('<div class="article">'):]
    assert 'white-space: pre-wrap' in page
    assert "Creating 450 Jobs</span>\n<span" in article  # headline, then the byline on the next line
    assert article.count('class="sentence') == len(predictions)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (install it with `apt-get install -y chromium`)")
def test_headless_chromium_renders_every_label_colour(tmp_path):
    from PIL import Image

    page, predictions = article_page()
    html_file, screenshot = tmp_path / "article.html", tmp_path / "article.png"
    html_file.write_text(page, encoding="utf-8")
    subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                    f"--screenshot={screenshot}", "--window-size=1100,1500", html_file.as_uri()],
                   capture_output=True, timeout=120, check=True)
    pixels = np.asarray(Image.open(screenshot).convert("RGB"), dtype=float).reshape(-1, 3)
    assert pixels.shape[0] == 1100 * 1500
    shown = {p.label for p in predictions}
    assert shown == set(LABELS)  # the article exercises all three highlights
    for label in LABELS:
        highlighted = (np.abs(pixels - tint(COLOURS[label])).max(axis=1) <= 8).sum()
        swatch = (np.abs(pixels - tint(COLOURS[label], 1.0)).max(axis=1) <= 8).sum()
        assert highlighted > 500, f"no {label} highlight in the screenshot"
        assert swatch > 50, f"no {label} legend swatch in the screenshot"
