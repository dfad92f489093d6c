"""bench.data: every validation problem, loading, fingerprints and counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.data import (corpus_fingerprints, corpus_stats, load_contrast, load_corpus, near_duplicate_pairs,
                        validate_corpus)
from bench.errors import UserError

# Distinct sentences, so that the base corpus holds no accidental near-duplicates.
BASE = {
    "train": [
        ("d1", 0, "The council approved the budget on Monday.", "factual_claim"),
        ("d1", 1, "The mayor said the plan would cut waiting lists.", "attributed_opinion"),
        ("d1", 2, "Yet another reckless spending spree.", "framing_language"),
    ],
    "dev": [("d2", 0, "Rainfall in July reached 40 millimetres.", "factual_claim")],
    "test": [("d3", 0, "Union leaders warned of strikes in spring.", "attributed_opinion")],
    "test_ood": [("d4", 0, "Shockingly, nobody checked the bridge.", "framing_language")],
}


def make_row(split: str, doc: str, index: int, text: str, label: str, **overrides) -> dict:
    row = {"id": f"{doc}-{index}", "doc_id": doc, "sent_index": index, "text": text, "label": label,
           "split": split, "topic": "civic", "genre": "local_news"}
    row.update(overrides)
    return row


def base_rows() -> dict[str, list[dict]]:
    return {split: [make_row(split, *item) for item in items] for split, items in BASE.items()}


def write_corpus(folder: Path, splits: dict[str, list], contrast: list | None = None) -> Path:
    """Each split as JSON Lines; a str item is written verbatim (for malformed lines)."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, rows in splits.items():
        lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
        (folder / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if contrast is not None:
        (folder / "contrast.jsonl").write_text("".join(json.dumps(r) + "\n" for r in contrast), encoding="utf-8")
    return folder


def messages(folder: Path) -> list[str]:
    return [str(problem) for problem in validate_corpus(folder)]


def test_base_corpus_and_fixture_corpus_are_valid(tmp_path, corpus_dir):
    assert validate_corpus(write_corpus(tmp_path / "c", base_rows())) == []
    assert validate_corpus(corpus_dir) == []


def test_missing_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        validate_corpus(tmp_path / "absent")
    with pytest.raises(UserError, match="not found"):
        load_corpus(tmp_path / "absent")


def test_folder_without_train_file_is_a_user_error(tmp_path):
    rows = base_rows()
    del rows["train"]
    with pytest.raises(UserError, match="no train.jsonl"):
        validate_corpus(write_corpus(tmp_path / "c", rows))


def test_malformed_json_line_names_its_line(tmp_path):
    rows = base_rows()
    rows["train"].insert(1, '{"id": "broken", ')
    problems = validate_corpus(write_corpus(tmp_path / "c", rows))
    assert len(problems) == 1
    assert problems[0].line == 2
    assert problems[0].file.endswith("train.jsonl")
    assert "train.jsonl:2: malformed JSON" in str(problems[0])


def test_line_that_is_not_an_object(tmp_path):
    rows = base_rows()
    rows["dev"].append("[1, 2, 3]")
    problems = validate_corpus(write_corpus(tmp_path / "c", rows))
    assert [(Path(p.file).name, p.line, p.message) for p in problems] == [
        ("dev.jsonl", 2, "line is not a JSON object")]


def test_missing_field(tmp_path):
    rows = base_rows()
    del rows["train"][2]["topic"]
    assert [m.split(": ", 1)[1] for m in messages(write_corpus(tmp_path / "c", rows))] == [
        "missing field 'topic'"]


@pytest.mark.parametrize("field, value, kind", [("sent_index", "0", "int"), ("sent_index", True, "int"),
                                                ("text", 5, "str"), ("doc_id", ["d1"], "str")])
def test_wrong_type(tmp_path, field, value, kind):
    rows = base_rows()
    rows["test"][0][field] = value
    found = messages(write_corpus(tmp_path / "c", rows))
    assert f"test.jsonl:1: field '{field}' must be {kind}" in "\n".join(found)


def test_unknown_label(tmp_path):
    rows = base_rows()
    rows["train"][1]["label"] = "opinion"
    assert messages(write_corpus(tmp_path / "c", rows)) == [
        f"{tmp_path / 'c' / 'train.jsonl'}:2: unknown label 'opinion'"]


def test_duplicate_id_names_the_first_occurrence(tmp_path):
    rows = base_rows()
    rows["dev"][0]["id"] = "d1-0"
    found = messages(write_corpus(tmp_path / "c", rows))
    assert found == [f"{tmp_path / 'c' / 'dev.jsonl'}:1: duplicate id 'd1-0' (first at train.jsonl:1)"]


@pytest.mark.parametrize("text", ["", "   \t "])
def test_empty_or_whitespace_text(tmp_path, text):
    rows = base_rows()
    rows["train"][0]["text"] = text
    assert [m.split(": ", 1)[1] for m in messages(write_corpus(tmp_path / "c", rows))] == [
        "empty or whitespace-only text"]


def test_row_split_differs_from_its_file(tmp_path):
    rows = base_rows()
    rows["dev"][0]["split"] = "test"
    assert messages(write_corpus(tmp_path / "c", rows)) == [
        f"{tmp_path / 'c' / 'dev.jsonl'}:1: row says split 'test' but sits in dev.jsonl"]


def test_document_spanning_two_splits(tmp_path):
    rows = base_rows()
    rows["test"].append(make_row("test", "d1", 3, "Officials counted 212 ballots by noon.", "factual_claim"))
    found = messages(write_corpus(tmp_path / "c", rows))
    assert found == [f"{tmp_path / 'c' / 'test.jsonl'}:2: document 'd1' spans splits 'train' "
                     f"(train.jsonl:1) and 'test'"]


def test_repeated_sent_index(tmp_path):
    rows = base_rows()
    rows["train"][2]["sent_index"] = 1
    rows["train"][2]["id"] = "d1-extra"
    found = messages(write_corpus(tmp_path / "c", rows))
    assert found == [f"{tmp_path / 'c' / 'train.jsonl'}:3: document 'd1' repeats sent_index 1 "
                     f"(first at train.jsonl:2)"]


def test_exact_duplicate_across_splits_ignores_case_and_spacing(tmp_path):
    rows = base_rows()
    rows["test"].append(make_row("test", "d3", 1, "the council  approved the budget on MONDAY.", "factual_claim"))
    found = messages(write_corpus(tmp_path / "c", rows))
    assert found == [f"{tmp_path / 'c' / 'test.jsonl'}:2: exact duplicate of train.jsonl:1"]


def test_near_duplicate_across_splits_is_flagged_and_a_different_sentence_is_not(tmp_path):
    rows = base_rows()
    # one character changed at the end of a long sentence: 5-gram Jaccard well above 0.8
    rows["dev"].append(make_row("dev", "d2", 1, "The mayor said the plan would cut waiting lists!", "factual_claim"))
    # shares words with a training sentence but is a different sentence
    rows["test"].append(make_row("test", "d3", 1, "The mayor approved a different plan in May.", "factual_claim"))
    found = messages(write_corpus(tmp_path / "c", rows))
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path / 'c' / 'dev.jsonl'}:2: near-duplicate (Jaccard 0.9")
    assert found[0].endswith("of train.jsonl:2")


def test_near_duplicate_pairs_match_hand_computed_jaccard():
    # "abcdefghij" has the 6 five-grams abcde..fghij; changing the last letter keeps 5 of them:
    # Jaccard = 5 / (6 + 6 - 5) = 5/7.
    assert near_duplicate_pairs(["abcdefghij"], ["abcdefghiX"], threshold=0.5) == [(0, 0, pytest.approx(5 / 7))]
    assert near_duplicate_pairs(["abcdefghij"], ["abcdefghiX"]) == []  # 0.714 < 0.8
    # 20 letters → 16 five-grams; one changed letter at the end keeps 15: Jaccard = 15 / 17 ≈ 0.882.
    long_a, long_b = "abcdefghijklmnopqrst", "abcdefghijklmnopqrsX"
    assert near_duplicate_pairs(["zzzzzzzz", long_a], [long_b]) == [(1, 0, pytest.approx(15 / 17))]
    # case and runs of whitespace are normalised away: an exact duplicate
    assert near_duplicate_pairs(["Hello   World"], ["hello world"]) == [(0, 0, 1.0)]


def test_near_duplicate_pairs_of_texts_too_short_for_a_five_gram():
    assert near_duplicate_pairs(["Hi.", "Ok"], ["Yes."]) == []
    assert near_duplicate_pairs([], ["anything at all"]) == []


def _contrast(pair: str, suffix: str, text: str, label: str) -> dict:
    return {"id": f"{pair}-{suffix}", "pair_id": pair, "text": text, "label": label, "source_id": "d3-0",
            "edit_type": "attribution"}


def test_valid_contrast_file_is_accepted_and_loaded(tmp_path):
    contrast = [_contrast("p1", "a", "Union leaders warned of strikes.", "attributed_opinion"),
                _contrast("p1", "b", "Strikes loom, as everyone knew.", "framing_language")]
    folder = write_corpus(tmp_path / "c", base_rows(), contrast)
    assert validate_corpus(folder) == []
    assert [r["id"] for r in load_contrast(folder)] == ["p1-a", "p1-b"]
    assert load_contrast(write_corpus(tmp_path / "none", base_rows())) is None


def test_contrast_pair_errors(tmp_path):
    contrast = [
        _contrast("p1", "a", "Union leaders warned of strikes.", "attributed_opinion"),  # alone
        _contrast("p2", "a", "Strikes will start on Monday.", "factual_claim"),
        _contrast("p2", "b", "Strikes begin Monday.", "factual_claim"),  # same label as its partner
        _contrast("p3", "a", "Prices rose 3%.", "factual_claim"),
        _contrast("p3", "a", "Prices soared yet again.", "framing_language"),  # duplicate id
        {"id": "p4-a", "pair_id": "p4", "text": "Text.", "label": "factual_claim"},  # missing fields
    ]
    found = messages(write_corpus(tmp_path / "c", base_rows(), contrast))
    tails = [m.split("contrast.jsonl:", 1)[1] for m in found]
    assert "5: duplicate id 'p3-a'" in tails
    assert "6: missing field 'source_id'" in tails and "6: missing field 'edit_type'" in tails
    assert "1: pair 'p1' must hold two sentences with different labels" in tails
    assert "2: pair 'p2' must hold two sentences with different labels" in tails
    assert "6: pair 'p4' must hold two sentences with different labels" in tails
    assert not any("'p3'" in t for t in tails)
    assert len(found) == 6


def test_load_corpus_returns_every_split(corpus_dir):
    corpus = load_corpus(corpus_dir)
    assert {split: len(corpus[split]) for split in corpus} == {"train": 19, "dev": 6, "test": 6, "test_ood": 6}
    assert corpus["test"][0]["id"] == "fx05-00"
    assert "_line" not in corpus["train"].column_names


def test_load_corpus_refuses_an_invalid_corpus(tmp_path):
    rows = base_rows()
    rows["train"][0]["label"] = "nonsense"
    rows["train"][1]["label"] = "nonsense"
    with pytest.raises(UserError, match=r"unknown label 'nonsense' \(and 1 more"):
        load_corpus(write_corpus(tmp_path / "c", rows))


def test_fingerprints_are_stable_and_change_with_one_label(tmp_path, corpus_dir):
    first = corpus_fingerprints(load_corpus(corpus_dir))
    assert corpus_fingerprints(load_corpus(corpus_dir)) == first
    assert set(first) == {"train", "dev", "test", "test_ood", "all"}

    copy = tmp_path / "copy"
    copy.mkdir()
    for file in corpus_dir.iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    rows = [json.loads(line) for line in (copy / "dev.jsonl").read_text().splitlines()]
    rows[3]["label"] = "factual_claim"
    (copy / "dev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    changed = corpus_fingerprints(load_corpus(copy))
    assert changed["dev"] != first["dev"] and changed["all"] != first["all"]
    assert {s: changed[s] for s in ("train", "test", "test_ood")} == {
        s: first[s] for s in ("train", "test", "test_ood")}


def _by_label(factual: int, attributed: int, framing: int) -> dict:
    return {"factual_claim": factual, "attributed_opinion": attributed, "framing_language": framing,
            "total": factual + attributed + framing}


def test_corpus_stats_match_hand_counts(corpus_dir):
    stats = corpus_stats(load_corpus(corpus_dir))
    assert stats["total"] == 37
    assert stats["splits"] == {
        "train": {"sentences": 19, "documents": 3, "factual_claim": 7, "attributed_opinion": 5,
                  "framing_language": 7},
        "dev": {"sentences": 6, "documents": 1, "factual_claim": 3, "attributed_opinion": 1,
                "framing_language": 2},
        "test": {"sentences": 6, "documents": 1, "factual_claim": 3, "attributed_opinion": 2,
                 "framing_language": 1},
        "test_ood": {"sentences": 6, "documents": 1, "factual_claim": 3, "attributed_opinion": 2,
                     "framing_language": 1},
    }
    assert stats["topics"] == {
        "agriculture": _by_label(3, 2, 1), "economy": _by_label(2, 1, 3), "education": _by_label(3, 1, 2),
        "health": _by_label(2, 2, 2), "housing": _by_label(3, 2, 2), "policing": _by_label(3, 2, 1)}
    assert stats["genres"] == {"local_news": _by_label(6, 4, 3), "op_ed": _by_label(2, 1, 3),
                               "press_release": _by_label(3, 1, 2), "wire_report": _by_label(5, 4, 3)}
