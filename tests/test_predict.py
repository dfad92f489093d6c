import io
import json
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from bench.cli import main
from bench.errors import UserError
from bench.labels import COLOURS, LABELS
from bench.model_folder import load_model
from bench.predict import predict_article, predict_sentences, read_article
from bench.segment import split_sentences

ARTICLE = Path(__file__).parent / "fixtures" / "article.txt"


class SentenceSpans(HTMLParser):
    """Collects each `span.sentence` with its attributes and text, and every other tag seen."""

    def __init__(self):
        super().__init__()
        self.spans, self.tags, self._open = [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "span" and "sentence" in attrs.get("class", "").split():
            self._open = {**attrs, "text": ""}

    def handle_endtag(self, tag):
        if tag == "span" and self._open is not None:
            self.spans.append(self._open)
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data


def parse_html(page: str) -> SentenceSpans:
    parser = SentenceSpans()
    parser.feed(page)
    parser.close()
    return parser


def test_jsonl_lines_parse_and_offsets_slice_back(cue_run):
    text = ARTICLE.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in predict_article(cue_run, file=ARTICLE, fmt="jsonl").splitlines()]
    system = load_model(cue_run)
    assert [r["sent_index"] for r in rows] == list(range(len(split_sentences(text))))
    assert all(set(r) == {"sent_index", "start", "end", "text", "label", "probs", "confidence", "low_confidence"}
               for r in rows)
    assert all(text[r["start"]:r["end"]] == r["text"] for r in rows)
    assert [r["label"] for r in rows] == system.predict([r["text"] for r in rows])
    for row in rows:
        assert list(row["probs"]) == list(LABELS)
        assert sum(row["probs"].values()) == pytest.approx(1.0, abs=1e-5)
        assert row["label"] == max(row["probs"], key=row["probs"].get)
    assert rows[5]["label"] == "attributed_opinion"  # the quotation's end, with "said Dr. Miriam Osei"
    assert rows[10]["label"] == "framing_language"  # "The sweetheart deal is just the latest giveaway..."
    assert all(r["confidence"] == r["probs"][r["label"]] for r in rows)


def test_run_folder_and_model_folder_give_the_same_predictions(cue_run):
    via_run = predict_article(cue_run, text="Critics say it is a disaster. The vote was 6-3.", fmt="jsonl")
    via_model = predict_article(cue_run / "model", text="Critics say it is a disaster. The vote was 6-3.",
                                fmt="jsonl")
    assert via_run == via_model
    assert [json.loads(line)["label"] for line in via_run.splitlines()] == ["framing_language", "factual_claim"]


def test_table_has_one_row_per_sentence(cue_run):
    table = predict_article(cue_run, file=ARTICLE).splitlines()
    assert table[0].split()[:2] == ["#", "label"]
    assert len(table) == 2 + len(split_sentences(ARTICLE.read_text(encoding="utf-8")))
    assert table[6].split()[:3] == ["5", "attributed_opinion", "0.80"]
    assert table[6].endswith("said Dr. Miriam Osei, the company's chief executive.")
    assert table[-1] == "? = confidence under 0.60 (--min-confidence): 0 of 14 sentences"


def test_sentences_under_the_confidence_threshold_are_marked(cue_run):
    table = predict_article(cue_run, file=ARTICLE, min_confidence=0.9).splitlines()
    assert table[1].split()[1] == "factual_claim?"  # cue rules give every label 0.8 confidence
    assert table[-1] == "? = confidence under 0.90 (--min-confidence): 14 of 14 sentences"
    page = predict_article(cue_run, file=ARTICLE, fmt="html", min_confidence=0.9)
    assert page.count('class="sentence label-') == page.count(" low-confidence\"") == 14


def test_html_page_is_well_formed_and_holds_every_sentence(cue_run):
    text = ARTICLE.read_text(encoding="utf-8")
    page = predict_article(cue_run, file=ARTICLE, fmt="html")
    parsed = parse_html(page)
    rows = predict_sentences(load_model(cue_run), text)
    assert [span["text"] for span in parsed.spans] == [r.text for r in rows]
    for span, row in zip(parsed.spans, rows):
        assert span["data-label"] == row.label
        assert f"label-{row.label}" in span["class"].split()
        assert span["title"].startswith(f"{row.label} {row.probs[row.label]:.2f}")
        assert all(label in span["title"] for label in LABELS)
    for label in LABELS:
        assert COLOURS[label] in page
    counts = {label: sum(r.label == label for r in rows) for label in LABELS}
    assert f"{len(rows)} sentences: " + ", ".join(f"{counts[l]} {l}" for l in LABELS) in page
    assert "script" not in parsed.tags and "<link" not in page  # self-contained, nothing to fetch or run


def test_html_escapes_markup_in_the_article(cue_run):
    hostile = '<script>alert("x")</script> Shares & bonds rose 3 percent. <b>Critics</b> say "no".'
    page = predict_article(cue_run, text=hostile, fmt="html")
    parsed = parse_html(page)
    assert "script" not in parsed.tags
    assert parsed.tags.count("b") == len(LABELS)  # the legend's label names, not the article's <b>
    assert "".join(span["text"] for span in parsed.spans).replace(" ", "") == hostile.replace(" ", "")


def test_predict_matches_the_systems_own_probabilities(cue_run):
    system = load_model(cue_run)
    rows = predict_sentences(system, "Acme Inc. said on Feb. 3 it was hiring. Is this really progress?")
    expected = system.predict_proba([r.text for r in rows])
    assert np.allclose([[r.probs[l] for l in LABELS] for r in rows], expected, atol=1e-6)


def test_transformer_model_folder_predicts_through_its_inference_path(tiny_bert, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from bench.systems.base import write_system_file

    folder = tmp_path / "model"
    model = AutoModelForSequenceClassification.from_pretrained(tiny_bert, num_labels=len(LABELS))
    model.save_pretrained(folder / "hf", safe_serialization=True)
    AutoTokenizer.from_pretrained(tiny_bert).save_pretrained(folder / "hf")
    write_system_file(folder, "finetune", {"model": str(tiny_bert), "device": "cuda"})
    rows = [json.loads(line) for line in
            predict_article(folder, file=ARTICLE, fmt="jsonl", device="cpu").splitlines()]
    assert len(rows) == len(split_sentences(ARTICLE.read_text(encoding="utf-8")))
    assert all(sum(r["probs"].values()) == pytest.approx(1.0, abs=1e-5) for r in rows)


@pytest.mark.parametrize("content, message", [
    (b"", "input is empty"), (b"  \n\t\n", "input is empty"),
    (b"Shares rose.\x00\x01\x02", "binary"), (b"caf\xe9 prices rose.", "not UTF-8"),
])
def test_bad_input_is_a_user_error(tmp_path, content, message):
    file = tmp_path / "article.txt"
    file.write_bytes(content)
    with pytest.raises(UserError, match=message):
        read_article(file)


def test_exactly_one_input_source_is_required(tmp_path):
    with pytest.raises(UserError, match="exactly one"):
        read_article()
    with pytest.raises(UserError, match="exactly one"):
        read_article(ARTICLE, text="Shares rose.")
    with pytest.raises(UserError, match="file not found"):
        read_article(tmp_path / "missing.txt")
    with pytest.raises(UserError, match="is a folder"):
        read_article(tmp_path)


def test_standard_input_is_read_as_bytes(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("\ufeffShares rose on Feb. 3.".encode())))
    assert read_article("-") == ("Shares rose on Feb. 3.", "standard input")


def test_cli_writes_the_output_file_and_prints_nothing_else(cue_run, tmp_path, capsys):
    output = tmp_path / "page.html"
    assert main(["predict", str(ARTICLE), "--model", str(cue_run), "--format", "html",
                 "--output", str(output)]) == 0
    assert capsys.readouterr().out == ""
    assert len(parse_html(output.read_text(encoding="utf-8")).spans) == 14


def test_cli_errors_exit_2_and_write_nothing(cue_run, tmp_path, capsys):
    not_a_run = tmp_path / "empty"
    not_a_run.mkdir()
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    output = tmp_path / "out.jsonl"
    cases = [
        (["--model", str(tmp_path / "nope"), str(ARTICLE)], "no such run or model folder"),
        (["--model", str(not_a_run), str(ARTICLE)], "not a ClaimFrame run or model folder"),
        (["--model", str(cue_run), str(binary)], "binary"),
        (["--model", str(cue_run), "--text", "   "], "input is empty"),
    ]
    for args, message in cases:
        assert main(["predict", *args, "--format", "jsonl", "--output", str(output)]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert main(["predict", "--model", str(cue_run), str(ARTICLE), "--output",
                 str(tmp_path / "missing-dir" / "out.txt")]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blob.bin", "empty"]


def test_a_long_article_reports_progress_on_stderr_in_chunks(cue_run, capsys, monkeypatch):
    calls = []
    from bench.systems.baselines import CueRules

    original = CueRules.predict_proba
    monkeypatch.setattr(CueRules, "predict_proba", lambda self, texts: calls.append(len(texts)) or original(self, texts))
    article = "\n\n".join(f"The council met on day {n}. Critics say it was a farce." for n in range(1, 601))
    rows = predict_article(cue_run, text=article, fmt="jsonl").splitlines()
    assert len(rows) == 1200
    assert calls == [1024, 176]  # classified in chunks, never all at once
    assert "predicting: 1200/1200 sentences (100%)" in capsys.readouterr().err
