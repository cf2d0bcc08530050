"""The BM25 analyser shared by the index and the answerer."""

from __future__ import annotations

import pytest

from rag.lexical import analyzer, other_name_stems, terms, terms_of, with_other_names

pytestmark = pytest.mark.unit


def test_terms_are_lower_cased_stemmed_words_without_stopwords() -> None:
    assert terms("The Councils and the council's mutuals, running") == ["council", "council", "mutual", "run"]
    assert terms("co-operatives in 2010") == ["co", "oper", "2010"]  # hyphens split; numbers kept


def test_stopwords_single_letters_and_punctuation_leave_nothing() -> None:
    assert terms("the and of a I") == [] and terms("") == [] and terms(" — ; !") == []


def test_accents_fold_and_other_scripts_are_kept() -> None:
    assert terms("Über städte") == ["uber", "stadt"] and terms("Schrödinger") == terms("Schrodinger")
    assert terms("数据库 δήμος") == ["数据库", "δημος"]


def test_the_cache_hands_out_fresh_lists() -> None:
    first = terms("mutual societies")
    first.append("mutated")
    assert terms("mutual societies") == ["mutual", "societi"]


def test_terms_of_each_text_and_one_shared_analyser() -> None:
    assert terms_of(["Mutual societies", "running", ""]) == [["mutual", "societi"], ["run"], []]
    assert analyzer() is analyzer()


def test_a_party_named_one_way_is_searched_by_its_other_name_too():
    assert with_other_names("What did the Tories propose?") == "What did the Tories propose? Conservatives"
    assert with_other_names("A Tory and the Conservatives") == "A Tory and the Conservatives"
    assert with_other_names("What did Labour propose?") == "What did Labour propose?"
    assert other_name_stems("tori") == ("conserv",) and other_name_stems("labour") == ()

