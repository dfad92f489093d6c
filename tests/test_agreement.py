from bench.agreement import split_agreement
from bench.cli import main


def test_kappa_and_ceiling_on_a_hand_made_split():
    rows = [{"label": g, "label_a": a, "label_b": b} for g, a, b in [
        ("factual_claim", "factual_claim", "factual_claim"), ("framing_language", "framing_language", "factual_claim"),
        ("attributed_opinion", "attributed_opinion", "attributed_opinion"),
        ("framing_language", "framing_language", "framing_language")]]
    report = split_agreement(rows)
    assert report["n_double"] == 4 and report["observed_agreement"] == 0.75


def test_agreement_table_names_every_label_in_full(capsys):
    assert main(["data", "agreement"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert "κ factual_claim" in header and "κ attributed_opinion" in header and "κ framing_language" in header
    assert "AI sessions" in out
