"""Acronyms spelt out by the posts' own capitalised words: no model, no index."""

from __future__ import annotations

import pytest

from rag.acronyms import expansion_in

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text,acronym,expansion", [
    ("the party that abolished the Co-operative Development Agency.", "CDA",
     "Co-operative Development Agency"),
    ("a successful TMO (Tenant Management Organisation) runs one", "TMO", "Tenant Management Organisation"),
    ("the Commission on Ownership, chaired by Will Hutton", "CO", "Commission on Ownership"),
    ("the National Health Service and the NHS", "NHS", "National Health Service"),
    ("the Co-operative Party", "CDA", None),
    ("Development Agency of the Co-op", "CDA", None),  # initials out of order
])
def test_an_acronym_is_spelt_out_by_the_capitalised_words_whose_initials_it_is(text, acronym, expansion):
    assert expansion_in(text, acronym) == expansion
