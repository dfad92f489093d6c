from pathlib import Path

import pytest

from bench.segment import split_sentences

ARTICLE = Path(__file__).parent / "fixtures" / "article.txt"

EXPECTED = [
    "Northfield Robotics to Build $300 Million Plant in Ohio, Creating 450 Jobs",
    "By Dana Whitfield, Staff Writer",
    "COLUMBUS, Ohio, Feb. 3, 2025 -- Northfield Robotics Inc. said on Monday that it will build a $300 million "
    "assembly plant outside Columbus, its first factory in the U.S.",
    "The plant is expected to open in the spring of 2027 and to employ about 450 people.",
    "\"We looked at sites in four states.",
    "Ohio offered the workforce and the suppliers we need, and we intend "
    "to be here for decades,\" said Dr. Miriam Osei, the company's chief executive.",
    "\"This is a long-term bet on American manufacturing.\"",
    "Gov. Helen Marwick called the investment a vote of confidence in the state's workers.",
    "Critics were less impressed.",
    "\"Taxpayers are handing a wealthy company $40 million for jobs that may never arrive,\" said Ellen Marsh, "
    "an analyst at the Buckeye Policy Institute.",
    "The sweetheart deal is just the latest giveaway in a state that seems unable to say no to corporate suitors.",
    "Northfield's shares rose 4.2 percent to $61.35 on the news.",
    "The company, which was founded in 2009 by two former NASA engineers, makes warehouse robots for retailers "
    "such as Harlow Corp. and Brightmart Inc.",
    "It reported revenue of $1.2 billion in 2024.",
]


def covered_text(text: str, sentences) -> str:
    """The non-whitespace characters of `text` that the sentences cover, in order."""
    return "".join(ch for s in sentences for ch in text[s.start:s.end] if not ch.isspace())


def test_press_release_boundaries_are_exact():
    text = ARTICLE.read_text(encoding="utf-8")
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == EXPECTED
    assert all(text[s.start:s.end] == s.text for s in sentences)
    assert [s.start for s in sentences] == sorted(s.start for s in sentences)
    assert covered_text(text, sentences) == "".join(ch for ch in text if not ch.isspace())


def test_headline_and_byline_stand_alone_even_without_blank_lines():
    text = "Acme Inc. Cuts 200 Jobs\nBy Jo Park\nAcme Inc. said on Feb. 3 it would cut 200 jobs. Shares fell."
    assert [s.text for s in split_sentences(text)] == [
        "Acme Inc. Cuts 200 Jobs", "By Jo Park", "Acme Inc. said on Feb. 3 it would cut 200 jobs.", "Shares fell."]


def test_wrapped_lines_join_into_one_sentence_and_keep_offsets():
    text = ("HEADLINE\n\nThe U.S. Senate voted on\nFeb. 3 to extend the program,\r\naides said. It passed "
            "51-49.\n")
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "HEADLINE", "The U.S. Senate voted on\nFeb. 3 to extend the program,\r\naides said.", "It passed 51-49."]
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_sentence_ending_in_an_abbreviation_is_still_split():
    text = "Acme has 12 plants in the U.S. The company was founded by Dr. Ruth Klein in 1998."
    assert [s.text for s in split_sentences(text)] == [
        "Acme has 12 plants in the U.S.", "The company was founded by Dr. Ruth Klein in 1998."]


def test_subheading_and_list_items_are_their_own_units():
    text = "Key figures\n- Revenue rose 12 percent\n- Margins fell\n\nThe outlook is unchanged."
    assert [s.text for s in split_sentences(text)] == [
        "Key figures", "- Revenue rose 12 percent", "- Margins fell", "The outlook is unchanged."]


@pytest.mark.parametrize("text", ["", "   \n\n\t  "])
def test_blank_text_has_no_sentences(text):
    assert split_sentences(text) == []


def test_a_quotation_of_three_sentences_splits_like_the_corpus_with_exact_offsets():
    text = ("The chief spoke first. \u201cWe made 14 arrests on Saturday. Dr. Lane treated two officers. "
            "It was a difficult night,\u201d Chief Rosa Amari told reporters. Nobody else spoke.")
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "The chief spoke first.", "\u201cWe made 14 arrests on Saturday.", "Dr. Lane treated two officers.",
        "It was a difficult night,\u201d Chief Rosa Amari told reporters.", "Nobody else spoke."]
    assert [s.start for s in sentences] == [0, 23, 56, 87, 147]
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_sentence_ends_outside_quotations_and_abbreviations_inside_them_are_left_alone():
    text = "She quoted \u201cthe U.S. Army and Mr. Hale\u201d twice. It rained."
    assert [s.text for s in split_sentences(text)] == [
        "She quoted \u201cthe U.S. Army and Mr. Hale\u201d twice.", "It rained."]
