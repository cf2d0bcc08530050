"""Evidence for the extractive answerer, on hand-made sentences: no model, no index."""

from __future__ import annotations

import pytest

from rag.answering.evidence import (
    correct_spelling,
    correct_word,
    counts_something,
    holds_answer,
    joined_words,
)
from rag.answering.instances import names_members, names_one, set_question, which_one
from rag.answering.predicate import derived, open_question
from rag.question import analyse
from rag.types import Sentence

pytestmark = pytest.mark.unit


def sentence(text: str) -> Sentence:
    return Sentence(row=0, doc_id="d", start=0, end=len(text), text=text)


@pytest.mark.parametrize("text,word,counts", [
    ("a successful TMO runs one of the housing estates in my ward", "one", False),
    ("And on one level why should they?", "one", False),
    ("the one that works", "one", False),
    ("they set up one pilot mutual", "one", True),
    ("the 108 co-operative trust schools", "108", True),
])
def test_a_number_word_counts_something_only_where_it_says_how_many(text, word, counts):
    start = text.index(word)
    assert counts_something(text, start, start + len(word)) is counts


def test_how_many_is_not_answered_by_one_of_the():
    analysis = analyse("How many homes are on the estate the Tenant Management Organisation runs?")
    tmo = sentence("A successful TMO runs one of the housing estates in my ward.")
    assert not holds_answer(tmo, analysis)
    assert holds_answer(sentence("The estate has 420 homes."), analysis)


def test_the_posts_themselves_are_no_subject_of_an_open_question():
    assert open_question("How do the posts link mutualisation to privatisation?") is None
    assert open_question("Did Barnet's EasyCouncil save money?").verb == "save"  # no later verb: "save"


@pytest.mark.parametrize("question,subject,verb", [
    ("What did Herbert Morrison achieve as Mayor of Hackney?", "Herbert Morrison", "achieve"),
    ("What did Barnet's EasyCouncil model involve in practice?", "Barnet's EasyCouncil model", "involve"),
    ("How did Francis Maude's pilot mutuals perform after their first year?", "Francis Maude's pilot mutuals",
     "perform"),
    ("How would Labour's plan to re-mutualise Northern Rock have worked?",
     "Labour's plan to re-mutualise Northern Rock", "worked"),
    ("What did the Labour pledge promise?", "the Labour pledge", "promise"),
    ("Did Amendment 42.1 pass at UNISON's National Delegate Conference?", "Amendment 42.1", "pass"),
    # a word between the subject and its verb belongs to neither; a verb before a name is a verb
    ("What does Barnet's so-called EasyCouncil model actually involve in practice?",
     "Barnet's so-called EasyCouncil model", "involve"),
    ("Did UNISON's National Delegate Conference pass Amendment 42.1 in the end?",
     "UNISON's National Delegate Conference", "pass"),
    ("Did the conference eventually pass Amendment 42.1?", "the conference", "pass"),
])
def test_an_open_question_names_its_subject_and_what_it_asks_of_it(question, subject, verb):
    asked = open_question(question)
    assert asked is not None and (asked.subject, asked.verb) == (subject, verb)
    assert asked.yes_no is question.startswith("Did")


@pytest.mark.parametrize("question", [
    "What did Osborne tell Radio 4's Today programme the plan was?",  # a view: the frame verb "tell"
    "What did the Conservatives do to building societies?",  # a light verb: its object is asked
    "Who chairs the Commission on Ownership?",
    "Why are some councillors sceptical?",
    "Did UNISON's General Secretary welcome the Tory plans?",  # yes or no to a view: a stance, not a deed
])
def test_other_questions_are_not_read_as_open_ones(question):
    assert open_question(question) is None


def test_a_derived_word_shares_the_verb_stem():
    assert derived("respond", "respons") and derived("perform", "perform")
    assert not derived("achiev", "achiv") and not derived("run", "rung")
    assert not derived("publish", "public")  # a longer stem shares one more letter


def test_two_swapped_letters_are_one_typo():
    vocab = {"today": 1, "programm": 1}
    assert correct_spelling("todya", vocab, {}) == "today"
    assert correct_spelling("tdoya", vocab, {}) is None  # two edits in a short word


def test_a_misspelt_word_is_found_by_the_stem_of_the_word_one_edit_away():
    vocab = {"educ": 1, "announc": 2}
    assert correct_spelling("educaton", vocab, {}) is None  # its own stem is four edits from "educ"
    assert correct_word("Educaton", vocab, {}) == "educ"  # "education" is one edit away
    assert correct_word("anounce", vocab, {}) == "announc"
    assert correct_word("football", vocab, {}) is None


def test_two_words_the_posts_write_as_one_are_read_as_that_word():
    vocab = {"libdem": 0, "tori": 1, "coop": 2, "council": 3}
    assert joined_words("Did the Tories and Lib Dems agree?", vocab) == {"lib": "libdem", "dem": "libdem"}
    assert joined_words("Is the co op council new?", vocab) == {"co": "coop", "op": "coop"}
    assert joined_words("What did the council say?", vocab) == {}  # known words stay as they are


@pytest.mark.parametrize("question,phrase,head", [
    ("Which twelve pilot mutual projects did Francis Maude announce?", "pilot mutual projects", "projects"),
    ("Which local authorities sent UNISON branches to the meeting?", "local authorities", "authorities"),
    ("Name some of the 115 local Labour Groups that backed the pledge.", "local Labour Groups", "Groups"),
    ("Can you name some of the dozen pilot mutual projects Francis Maude announced?",  # a polite frame
     "pilot mutual projects", "projects"),
    ("Which of the councils joined the network?", "councils", "councils"),
    ("Which were the twelve pilot mutual projects that Maude unveiled?", "pilot mutual projects", "projects"),
    # a clause of a named doer and a past verb qualifies the noun: "projects" is no verb here
    ("What were the dozen pilot mutual projects Francis Maude announced?", "pilot mutual projects",
     "projects"),
    # "Which X were among the Y": the members asked for are the Y's
    ("Which services were among the dozen pilot mutual projects Francis Maude announced?",
     "pilot mutual projects", "projects"),
])
def test_a_question_asking_which_members_of_a_set_names_the_set(question, phrase, head):
    asked = set_question(question)
    assert asked is not None and (asked.phrase, asked.head) == (phrase, head)


@pytest.mark.parametrize("question", [
    "Which council leads the Co-operative Councils network?",  # one thing, named or described
    "Which users tend to get most involved in running a service?",  # people, often described
    "What reasons did the councillor give?",  # reasons are clauses
    "Which news prompted the post?",  # not a plural
    "What did Osborne say?",
    "What limits the Rankine cycle's efficiency?",  # "limits" is the verb
    "Which Carolina Panthers player was named Most Valuable Player?",  # a name modifies the singular head
    "What tribe uses GPS devices to map lands?",
    "What were the national elections in 1991 canceled by?",  # what did it, not which elections
])
def test_other_questions_ask_for_no_set_members(question):
    assert set_question(question) is None


@pytest.mark.parametrize("text,named", [
    ("Francis Maude wheels out a selection of a dozen pilot mutual projects of varying size.", False),
    ("This was based upon a pledge from 115 local Labour Groups;", False),
    ("Osborne cited primary schools, job centres and community nursing teams as examples.", True),
    ("He announced pilot projects such as a nursing mutual in Swindon.", True),
    ("The first was the Hackney Project, a youth service.", True),
    ("Recent anthropological projects suggest a dense population.", True),  # a kind the question lacks
    ("In Keck and Mithouard two importers claimed it was unlawful.", True),
    ("They axed the project set up by the last government to support local pubs.", True),  # described
    ("They axed the project.", False),
    # an enumeration of kinds of people says who, not which projects
    ("The projects give power to all of us – as residents, service users, carers and staff.", False),
    ("Some Labour projects went ahead, and UNISON engaged.", False),  # which side they are on, not which
    ("UNISON seeks to push pilot projects in a positive direction.", False),  # a verb and its object
    # each project by what it does: parallel infinitives after the set's noun
    ("Hence the coalition's project to axe the pubs fund, to cut grants and to sell the land.", True),
    ("Hence the coalition's project to axe the pubs fund.", False),
])
def test_a_sentence_names_members_of_a_set_when_it_lists_introduces_or_names_them(text, named):
    asked = set_question("Which pilot projects did Maude announce, and which organisations?")
    assert asked is not None
    assert names_members(sentence(text), asked, "Which pilot mutual projects did Maude announce?") is named


def test_a_name_is_what_a_sentence_calls_something_not_only_a_capitalised_word():
    analysis = analyse("What is the process in which neutrophils move to an inflammation called?")
    assert holds_answer(sentence("Neutrophils migrate there in a process called chemotaxis."), analysis)
    estate = analyse("What is the estate called that the Tenant Management Organisation runs?")
    assert not holds_answer(sentence("A successful TMO runs one of the housing estates in my ward."), estate)


def test_the_subject_of_a_fact_question_does_not_depend_on_the_hash_seed():
    """Terms of equal weight are taken in question order, not in set order (which Python's hash
    randomisation changes from one process to the next)."""
    import os
    import subprocess
    import sys

    code = ("from rag.answering.checks import subject_terms\n"
            "from rag.answering.evidence import QueryTerms\n"
            "from rag.question import analyse\n"
            "a = analyse('For how long did the plague stick around and linger?')\n"
            "ts = ['plagu', 'stick', 'around', 'linger']\n"
            "print(sorted(subject_terms(a, QueryTerms(ts, dict.fromkeys(ts, 1.0), []), None)))\n")
    seen = set()
    for seed in range(6):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)})
        assert out.returncode == 0, out.stderr
        seen.add(out.stdout.strip())
    assert seen == {"['plagu', 'stick']"}


@pytest.mark.parametrize("text,named", [
    ("This was backed up by a Cabinet Office publication in March and based upon a pledge from 115 local "
     "Labour Groups;", False),  # names in the sentence, none the publication's
    ("It was set out in a Cabinet Office publication, Building Britain's Future, in March.", True),
    ("It was set out in a publication called “Our Future” in March.", True),
    ("Neutrophils move toward the site in a process called chemotaxis.", True),  # named in lower case
    ("The Woodberry Down estate is run by a TMO.", True),  # the name before the noun
    ("It was set out in a Cabinet Office publication in March.", False),  # a month dates it, names it not
])
def test_what_a_thing_is_called_is_a_name_beside_its_noun(text, named):
    from rag.answering.checks import _named_beside

    question = "What was the Cabinet Office publication that backed the pledge called?"  # no month in it
    noun = "estate" if "estate" in text else "process" if "process" in text else "publication"
    assert _named_beside(text, noun, question) is named


def test_the_extent_of_a_stance_is_on_the_head_of_what_it_is_against():
    """"against the coalition's mutuals plan altogether": the plan, not mutuals in general."""
    from rag.answering.evidence import exception_sought

    side = exception_sought("Is the writer against the coalition's mutuals plan altogether?")
    assert side is not None and side.about == frozenset({"plan"})
    assert not side.takes("Indeed, mutual public services are something the party has campaigned for.")
    assert side.takes("On one level the plan seems a good idea.")


@pytest.mark.parametrize("question,text,takes", [
    ("Is the writer against the plan altogether?", "On one level the plan seems a good idea.", True),
    ("Is the writer against the plan altogether?",
     "It falls well short of a genuine mutual approach.", False),  # speaks ill, not well
    ("Does the blogger see anything positive at all in co-operation?",
     "Co-operation does have positive potential.", True),
    ("Does the minister back the plan entirely?", "The risk is that officers use the plan to outsource.",
     True),
    ("Does the minister back the plan entirely?", "The plan is a good idea.", False),
    # speaking well of something else is no exception: "good" services, not mutuals
    ("Is the councillor against mutuals altogether?", "I hope colleagues remember good quality services.",
     False),
    ("Is the councillor against mutuals altogether?", "I'm a mutualist, and proud of it.", True),
    ("Is the writer against mutuals altogether?",
     "Indeed, the idea of mutual public services is something the party has campaigned for.", True),
    # a concession, or "anything X likes", asks for the favourable point of a critic
    ("What does the writer concede is attractive about the plan?", "On one level the plan seems a good idea.",
     True),
    ("Is there anything the writer actually likes about the plan?", "The plan falls well short.", False),
])
def test_a_question_on_the_extent_of_a_stance_seeks_the_other_side(question, text, takes):
    from rag.answering.evidence import exception_sought

    side = exception_sought(question)
    assert side is not None and side.takes(text) is takes


def candidate_at(row: int, text: str, relevance: float, line: int | None = None):
    from rag.answering.evidence import Candidate
    from rag.types import Sentence

    sentence = Sentence(row=row, doc_id="d", start=100 * row, end=100 * row + len(text), text=text,
                        line=row if line is None else line)
    return Candidate(sentence, relevance, 0.0, 0.0, relevance, True, 0)


def test_asked_for_or_against_both_sides_are_quoted():
    """"Is X for or against Y?": a sentence speaking well of Y and one speaking ill both answer, and
    the best one speaking the other way from the best sentence rises to just below it."""
    from rag.answering.evidence import OTHER_SIDE_MARGIN, _both_sides, exception_sought

    side = exception_sought("Is the councillor for or against mutuals running services?")
    assert side is not None
    assert side.takes("I am sceptical about the plan for mutuals.") and side.takes("I'm all for mutuals.")
    assert not side.takes("The council met on Monday about mutuals.")  # no side taken
    texts = ["I am sceptical about the plan for mutuals.", "Mutuals were discussed at length.",
             "Most mutuals risk failure.", "Where there is demand for mutuals I'm all for it."]
    ranked = [candidate_at(r, t, 0.9 - 0.1 * r) for r, t in enumerate(texts)]
    lifted = _both_sides(ranked, side)
    assert [c.row for c in lifted] == [0, 3, 1, 2]
    assert lifted[1].relevance == pytest.approx(0.9 - OTHER_SIDE_MARGIN)


def test_other_questions_seek_no_exception():
    from rag.answering.evidence import exception_sought

    assert exception_sought("Is the writer against the plan?") is None
    assert exception_sought("Why is the councillor sceptical?") is None


@pytest.mark.parametrize("question,head", [
    ("Which council leads the Co-operative Councils network?", "council"),
    ("How many residents are members of the TMO, and which estate is it?", "estate"),
    ("The 2012 blogger says new providers may sound nicer than which company?", "company"),  # in situ
    ("In which season did the logo first appear?", "season"),
    ("Which posts mention UNISON?", None),  # several: a set question
    ("What is another name for the space in which material is burned?", None),  # a relative "which"
    ("Much went on arms which exacerbated political tension in which area?", "area"),
])
def test_a_question_asking_which_one_thing_names_its_kind(question, head):
    assert which_one(question) == head


@pytest.mark.parametrize("text,picked", [
    ("A successful TMO runs one of the housing estates in my ward.", False),
    ("Some Labour Councils are pursuing the goal of becoming a \"Co-operative Council\".", False),
    ("Orange County is a rapidly developing business center.", True),  # by its name
    ("The council of Lambeth led the way.", True),  # a name after it
    ("Barnet Council was nicknamed EasyCouncil.", True),
    ("The logo first appeared in the 1993–94 season.", True),  # a modifier that says which
    ("Councils such as Lambeth joined.", True),
    ("Co-operation need not require the creation of a single co-operative.", None),  # no such thing
])
def test_a_sentence_picks_out_one_thing_by_name_modifier_or_description(text, picked):
    head = "season" if "season" in text else "county" if "County" in text else "estate" if "estate" in text \
        else "council"
    assert names_one(sentence(text), head, f"Which {head} leads the Co-operative Councils network?") is picked


@pytest.mark.parametrize("text,named", [
    # the rest of the title is not the name; the name after it is
    ("As of August 2009, the Chairman of the Board of Trustees is Andrew Alper.", True),
    ("The Chairman of the Board of Trustees met in August.", False),
])
def test_a_holders_name_may_follow_the_rest_of_their_title(text, named):
    from rag.answering.checks import _named_beside

    assert _named_beside(text, "chairman", "What is the name of the Chairman of the Board of Trustees?") \
        is named


def test_the_title_whose_holder_is_asked_for_ends_before_a_clause():
    from rag.answering.checks import _head_noun, _named_thing
    from rag.answering.evidence import QueryTerms

    phrase = "UNISON General Secretary quoted in Mutual Benefit"
    assert _named_thing(phrase, QueryTerms([], {}, [])) == ["unison", "general", "secretari"]
    assert _head_noun(phrase) == "secretary"  # a role, though capitalised


@pytest.mark.parametrize("question,verb", [
    ("And who funds it?", "fund"),
    ("Who chairs the Commission on Ownership?", "chair"),
    ("Who said that?", ""),  # a frame verb asks for the speaker, not a deed
    ("Who is the General Secretary of UNISON?", ""),  # an auxiliary
    ("Why does the councillor doubt mutuals?", ""),  # not a fact question
])
def test_a_question_asking_who_did_something_names_the_deed(question, verb):
    from rag.answering.evidence import _asked_verb

    assert _asked_verb(analyse(question)) == verb


@pytest.mark.parametrize("question,head,deed", [
    ("How many of Maude's pilot projects succeeded?", "projects", ("succeed",)),
    ("and how many of those schools were set up?", "schools", ("set",)),
    # the relative clause belongs to the set; the deed follows the main verb
    ("How many of the 115 local Labour Groups that signed the pledge went on to become Co-operative "
     "Councils?", "Groups", ("co", "oper", "council")),
])
def test_a_count_of_some_members_of_a_set_names_the_set_and_their_deed(question, head, deed):
    from rag.answering.instances import subset_count

    asked = subset_count(question)
    assert asked is not None and asked.head == head and asked.terms == deed


@pytest.mark.parametrize("question", ["How many co-operative trust schools were set up?",
                                      "How many of them are still running?"])
def test_other_counts_are_no_subset_counts(question):
    from rag.answering.instances import subset_count

    assert subset_count(question) is None
