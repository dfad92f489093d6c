"""The three ClaimFrame labels: order, ids, colours and one-line definitions."""

LABELS: tuple[str, ...] = ("factual_claim", "attributed_opinion", "framing_language")
LABEL_TO_ID = {label: i for i, label in enumerate(LABELS)}

DEFINITIONS = {
    "factual_claim": "asserts a checkable state, event, action or quantity, even when sourced",
    "attributed_opinion": "an evaluation, belief, argument, accusation, demand or prediction "
    "attributed to an identifiable source",
    "framing_language": "evaluative, loaded, presupposing or weasel wording in the writer's own voice",
}

COLOURS = {
    "factual_claim": "#4c9be8",
    "attributed_opinion": "#f0a33a",
    "framing_language": "#e0524f",
}

# CheckThat! subjectivity collapse: the writer's own framing is SUBJ, everything else OBJ.
BINARY_FRAMING = {"factual_claim": "OBJ", "attributed_opinion": "OBJ", "framing_language": "SUBJ"}
