"""Question analysis: answer type, fact type, focus, names, the post a question names, follow-ups.
Pure code: no model is loaded."""

from __future__ import annotations

import pytest

from rag.question import (
    MENTIONS,
    analyse,
    find_entities,
    in_context,
    mend_cue_words,
    mend_question_word,
    question_parts,
    read_after,
)
from rag.types import AnswerType, FactType

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("question,kind", [
    ("Why are some councillors sceptical about mutualisation?", AnswerType.REASON),
    ("What are the reasons the union opposes the transfer?", AnswerType.REASON),
    ("What led the minister to back co-operatives?", AnswerType.REASON),
    ("What are the branch's five conditions for a transfer?", AnswerType.LIST),
    ("Which services did Osborne cite as examples?", AnswerType.LIST),
    ("What did Francis Maude say about pilot mutuals?", AnswerType.STANCE),
    ("How does the councillor view user groups?", AnswerType.STANCE),
    ("What is co-production?", AnswerType.DEFINITION),
    ("What does mutualisation mean?", AnswerType.DEFINITION),
    ("Summarise the Left Foot Forward article.", AnswerType.SUMMARY),
    ("What is the main argument of the Mutual suspicion post?", AnswerType.SUMMARY),
    ("What is the UNISON post about?", AnswerType.SUMMARY),
    ("What did the 2012 post argue?", AnswerType.SUMMARY),  # past tense, as readers ask it
    ("What did the post from Winchester Vacancies say?", AnswerType.SUMMARY),
    ("whats the post from 2012 about", AnswerType.SUMMARY),
    ("What did the UNISON post say about outsourcing?", AnswerType.STANCE),  # a topic: a view on it
    ("How did George Osborne's view of mutuals compare with Francis Maude's?", AnswerType.COMPARISON),
    ("How do the different posts disagree about mutualisation?", AnswerType.COMPARISON),
    ("Do the councillor and the UNISON blogger agree on outsourcing?", AnswerType.COMPARISON),
    ("When was the post about the perils of mutuals published?", AnswerType.POST),
    ("Who wrote the post The perils of mutuals and the possibility of co-production?", AnswerType.POST),
    ("What is the title of the councillor's post?", AnswerType.POST),
    ("Who chairs the Commission on Ownership?", AnswerType.FACT),
    ("How many co-operative trust schools were set up?", AnswerType.FACT),
    ("What percentage of people voted in favour of the plan?", AnswerType.FACT),
    ("Who wrote the report on the Savery water pump?", AnswerType.POST),
    ("Who wrote about the great pestilence in 1893?", AnswerType.FACT),
    # a plural wh-phrase asks for a list, whatever verb follows it
    ("What problems does the councillor see in handing services over?", AnswerType.LIST),
    ("What is he chairing?", AnswerType.FACT),  # a clause after "what is", not a term to define
    ("Where does the 2012 UNISON writer stand on Co-operative Councils?", AnswerType.STANCE),  # no place
    ("What Labour-era examples of proper mutual structures does the article give?", AnswerType.LIST),
    ("Which kinds of service model did the pledge say councils could use?", AnswerType.LIST),
    ("What doubts does the author raise about the plans?", AnswerType.LIST),
    ("Which people in the posts are linked to the Co-operative Party?", AnswerType.LIST),
    ("What news prompted the councillor to write?", AnswerType.POST),
    ("What role did Tessa Jowell see for government in mutualism?", AnswerType.STANCE),
    ("What was the title of the Cabinet Office publication?", AnswerType.FACT),
    # the grounds someone gives for a claim or a course are a reason, not a view
    ("What reason does the minister give for thinking the public wants mutuals?", AnswerType.REASON),
    ("What justification did the union offer?", AnswerType.REASON),
    ("How does the post argue that co-operation needs no outsourcing?", AnswerType.REASON),
    ("How did the shadow chancellor justify the plan?", AnswerType.REASON),
    ("What was Osborne's justification for letting workers set up mutuals?", AnswerType.REASON),
    ("What are their reasons?", AnswerType.REASON),
    ("How does the councillor feel about user groups?", AnswerType.STANCE),
    ("What cause did the Co-operative Party champion?", AnswerType.FACT),
])
def test_answer_type(question, kind):
    assert analyse(question).answer_type == kind


@pytest.mark.parametrize("question,fact_type,strict", [
    ("What was the title of the Cabinet Office publication from March?", FactType.NAME, True),
    ("What's the name of the UNISON general secretary?", FactType.NAME, True),
    ("Who chairs the Commission on Ownership?", FactType.PERSON, False),
    ("What is the name of UNISON's General Secretary?", FactType.PERSON, True),
    ("Who was the Norse leader?", FactType.PERSON, True),
    ("When did the commission report?", FactType.DATE, True),
    ("In which year was the agency founded?", FactType.DATE, True),
    ("How many members does the trust have?", FactType.NUMBER, True),
    ("How much did the nationalisation cost taxpayers?", FactType.MONEY, True),
    ("What percentage of workers wanted mutuals?", FactType.PERCENT, True),
    ("Which town is the school in?", FactType.PLACE, True),
    ("Which area of London is the estate in?", FactType.PLACE, False),
    ("Which area of public service suits mutuals best?", FactType.OTHER, False),  # a kind, not a place
    ("Where did Osborne set out the plan?", FactType.PLACE, False),
    ("Where is John Lewis headquartered?", FactType.PLACE, True),
    ("Which council's approach was nicknamed EasyCouncil?", FactType.ORGANISATION, False),
    ("What is the capital of Australia?", FactType.OTHER, False),
    ("What is the estate called that the TMO runs?", FactType.NAME, True),
    ("What was the pledge called for?", FactType.OTHER, False),  # "called for" asks no name
])
def test_fact_type_and_whether_the_answer_must_hold_it(question, fact_type, strict):
    analysis = analyse(question)
    assert analysis.answer_type == AnswerType.FACT
    assert analysis.fact_type == fact_type and analysis.strict_type is strict


def test_exact_dates_and_counted_nouns():
    assert analyse("In which year was it founded?").exact_date
    assert not analyse("When did Labour present its plan?").exact_date
    counted = analyse("How many co-operative trust schools were set up?").count_noun
    assert counted == "co-operative trust schools"
    # a noun qualified by a place or a clause: the noun, not the place
    staff = analyse("How many staff at Leicester City Primary Care Trust took over services?")
    assert staff.count_noun == "staff"
    assert analyse("How many of the 115 groups became councils?").count_noun is None
    # a pronoun counts what the conversation is about: no noun of its own
    assert analyse("how many of each were set up?").count_noun is None
    assert analyse("How many of them were there?").count_noun is None


@pytest.mark.parametrize("question,words,year", [
    ("What does the UNISON post see as key to protecting the union's independence?", "UNISON", None),
    ("What does the 2012 post say about Blairite councillors?", "2012", "2012"),
    ("Why does the Left Foot Forward article think Maude misses the point?", "Left Foot Forward", None),
    ("What does the councillor's post say about deprived areas?", "councillor", None),
    ("When was the post about the perils of mutuals published?", "the perils of mutuals", None),
    ("What is the main argument of the Mutual suspicion post?", "Mutual suspicion", None),
    ("What does the 'Mutual Benefit?' author say the push is based on?", "Mutual Benefit", None),
    ("What is the title of the councillor's post about the mutualisation pledge?",
     "councillor the mutualisation pledge", None),
])
def test_a_post_named_by_title_site_year_or_role_is_the_scope(question, words, year):
    scope = analyse(question).scope
    assert scope is not None and scope.words == words and scope.year == year


@pytest.mark.parametrize("question", [
    "What do the posts say about outsourcing?", "Why are councillors sceptical?",
    "Who chairs the commission?",
    "What is a Tenant Management Organisation doing in the councillor's ward?"])
def test_no_scope_without_a_reference_to_one_post(question):
    assert analyse(question).scope is None


def test_names_focus_and_frame_words():
    analysis = analyse("What did Ed Miliband say about mutual public services?")
    assert analysis.entities == ("Ed Miliband",)
    assert "say" in analysis.frame and "mutual" in analysis.focus and "say" not in analysis.focus
    assert find_entities("How did Osborne's and Jowell's views differ?") == ["Osborne", "Jowell"]
    assert find_entities("Who chairs the Commission on Ownership?") == ["Commission on Ownership"]
    assert "Summarise" not in find_entities("Summarise the Left Foot Forward article.")


@pytest.mark.parametrize("question,name", [
    ("Which Labour-era bodies are held up as examples?", "Labour"),
    ("Did Tory-led councils back mutuals?", "Tory"),
    ("What did the UNISON-backed motion say?", "UNISON"),
    ("What is the Co-operative Development Agency?", "Co-operative Development Agency"),
])
def test_a_compound_adjective_built_on_a_name_names_it(question: str, name: str) -> None:
    assert find_entities(question) == [name]


@pytest.mark.parametrize("question,names", [
    ("Did Amendment 42.1 pass at conference?", ["Amendment 42.1"]),
    ("What did Osborne say on Radio 4?", ["Osborne", "Radio 4"]),
    ("What happened in March 2010?", ["March"]),  # a year dates the name, it is no part of it
])
def test_a_number_ending_a_name_is_part_of_it(question, names):
    assert find_entities(question) == names


def test_comparison_sides_and_the_holder_of_a_view():
    assert analyse("How did George Osborne's view of mutuals compare with Francis Maude's?").sides == (
        "George Osborne", "Francis Maude")
    sides = analyse("How does the 2010 Mutual Benefit? post compare with the 2012 UNISON post?").sides
    assert len(sides) == 2 and "2010" in sides[0] and "UNISON" in sides[1]
    assert analyse("What did Nick Clegg personally say about mutuals?").holder == "Nick Clegg"
    assert analyse("What did Herbert Morrison himself think of co-ops?").holder == "Herbert Morrison"
    assert analyse("What did the Labour pledge say about frontline services?").holder is None
    assert analyse("What does the 2012 post say about Blairite councillors?").holder is None


@pytest.mark.parametrize("question,follow_up", [
    ("And what did the unions think of that?", True),
    ("Why?", True),
    ("What did they say about it?", True),
    ("Why are some councillors sceptical about mutualisation?", False),
    ("Who chairs the Commission on Ownership?", False),
    ("What does the UNISON post say about their independence?", False),
])
def test_follow_up_detection(question, follow_up):
    assert analyse(question).follow_up is follow_up


@pytest.mark.parametrize("question,more", [
    ("What else?", True), ("Tell me more.", True), ("Anything else?", True), ("What else worries him?", True),
    ("And why?", False), ("And who funded it?", False),
    ("What other services did Osborne cite?", False),  # not a follow-up: it asks for the services
])
def test_a_follow_up_asking_for_more(question, more):
    assert analyse(question).wants_more is more


def test_a_follow_up_keeps_its_own_type_and_borrows_the_post_and_names():
    first = analyse("What does the UNISON post say about outsourcing?")
    follow = in_context(analyse("And why?"), first)
    assert follow.answer_type == AnswerType.REASON
    assert follow.scope == first.scope


@pytest.mark.parametrize("question", ["", "   ", "???", "a" * 3000, "What is <script>alert(1)</script>?"])
def test_odd_questions_never_raise(question):
    analyse(question)


@pytest.mark.parametrize("question,unknown,topics", [
    ("What benefits did the Labour councils' pledge promise?", ["promise"], []),  # the main verb
    ("What does UNISON say about council workers' pensions?", ["pensions"], ["pensions"]),
    ("What did Osborne say about football?", ["football"], ["football"]),
    ("What was pitched as a new idea?", ["pitched"], []),
    ("What did the coalition scrap or reverse, according to the article?", ["scrap", "reverse"], []),
    ("Did the councils promise the staff a pension?", ["promise", "pension"], ["pension"]),
    ("Is the councillor against mutual service delivery altogether?", ["altogether"], []),  # an adverb
    ("What does the councillor say about pensions altogether?", ["pensions", "altogether"], ["pensions"]),
    # a description or a hedge is wording: "is no real defence against privatisation", "in some circumstances"
    ("Why does the blogger think outsourcing is no real defence against privatisation?", ["defence"], []),
    ("Would the councillor back a mutual in some circumstances?", ["circumstances"], []),
    ("Could mutualisation be a route to cuts?", ["route"], []),
    ("Is Barnet a football club?", ["football"], ["football"]),  # a topic inside the description
    # "warming to" is a verb and its particle; "the housing to let" and "the training of staff" topics
    ("Why was the public warming to organisations with values?", ["warming"], []),
    ("What did the minister say about the housing to let?", ["housing"], ["housing"]),
    ("What does UNISON say about the training of staff?", ["training"], ["training"]),
    # "in action", "in practice": "in" and a bare singular noun say how, not what about
    ("What examples of co-ownership in action did Tessa Jowell point to?", ["action"], []),
    ("What does the councillor say about mutuals in hospitals?", ["hospitals"], ["hospitals"]),
    # a name after a do-question's base verb is its object: "credit" is the verb
    ("How many schools does the article credit Labour with?", ["credit"], []),
    ("What does the article say about the credit crunch?", ["credit"], ["credit"]),
])
def test_a_word_the_posts_never_use_is_a_missing_topic_only_where_a_noun_goes(
        question: str, unknown: list[str], topics: list[str]) -> None:
    from rag.answering.topics import missing_topics

    assert missing_topics(question, unknown)[0] == topics


def test_a_possessive_names_the_post():
    """"In the 2012 blogger's view" names the 2012 post as "the 2012 blogger's post" would."""
    scope = analyse("Should unions refuse co-operative councils, in the 2012 blogger's view?").scope
    assert scope is not None and scope.year == "2012"


def test_which_people_asks_for_people():
    assert analyse("Which people in the posts are linked to the party?").fact_type == FactType.PERSON


@pytest.mark.parametrize("question,sides", [
    ("How does the councillor's view on mutualising public services differ from the Left Foot Forward "
     "writer's?", ("the councillor", "the Left Foot Forward writer")),
    ("How did Osborne's idea of who should run mutuals differ from the Left Foot Forward writer's?",
     ("Osborne", "the Left Foot Forward writer")),
    ("How did UNISON's response to Tory plans contrast with how Osborne described them?",
     ("UNISON", "Osborne")),
    # the names inside each side ("Mutual suspicion", "UNISON") are not the sides
    ("Where do the 'Mutual suspicion' councillor and the 2012 UNISON blogger part ways on what role "
     "service users should play?", ("the 'Mutual suspicion' councillor", "the 2012 UNISON blogger")),
    ("Do Osborne and Jowell each call for mutuals?", ("Osborne", "Jowell")),
    # a name inside a reference to a post stands for the post, which ends before its verb ("feel")
    ("Compare how Tessa Jowell and the UNISON blogger from 2012 feel about social enterprises.",
     ("Tessa Jowell", "the UNISON blogger from 2012")),
])
def test_the_sides_of_a_comparison_are_who_holds_each_view(question, sides):
    analysis = analyse(question)
    assert analysis.answer_type == AnswerType.COMPARISON
    assert analysis.sides == sides and analysis.scope is None


@pytest.mark.parametrize("question,words", [
    ("When was Mutual Benefit? published?", "Mutual Benefit?"),
    ("When was Mutual suspicion written?", "Mutual suspicion"),
])
def test_a_capitalised_title_alone_names_a_post_asked_about(question, words):
    analysis = analyse(question)
    assert analysis.answer_type == AnswerType.POST and analysis.post_attribute == "date"
    assert analysis.scope is not None and analysis.scope.words == words


def test_a_lower_case_thing_published_is_not_taken_for_a_title():
    assert analyse("When was the pledge published?").scope is None


@pytest.mark.parametrize("question,kind", [
    ("What does Will Hutton think about mutuals?", AnswerType.STANCE),  # "does Will": no plural, no aux
    ("What has Will Hutton said?", AnswerType.FACT),
    ("What problems does the councillor see?", AnswerType.LIST),
])
def test_a_name_that_is_also_an_auxiliary_does_not_make_a_list(question, kind):
    assert analyse(question).answer_type == kind


def test_a_question_for_a_posts_address_asks_about_the_post():
    analysis = analyse("What is the URL of the Left Foot Forward article?")
    assert analysis.answer_type == AnswerType.POST and analysis.post_attribute == "url"


@pytest.mark.parametrize("question", ["Which posts were published in 2010?", "List the posts from 2012.",
                                      "Were any articles written in 2011?",
                                      "Which of the posts were written in 2010?", "Which posts have no date?",
                                      "Which articles are undated?"])
def test_posts_asked_for_by_year_are_a_question_about_the_collections_dates(question):
    analysis = analyse(question)
    assert analysis.answer_type == AnswerType.POST and analysis.all_posts
    assert analysis.post_attribute == "date"


def test_a_year_naming_one_post_is_no_question_about_the_collection():
    analysis = analyse("What did the 2010 post say about mutuals?")
    assert not analysis.all_posts and analysis.scope is not None and analysis.scope.year == "2010"


@pytest.mark.parametrize(("question", "parts"), [
    ("Who chairs the Commission on Ownership and when will it report?",
     ("Who chairs the Commission on Ownership?", "When will it report?")),
    ("How many members does the trust have, and who founded it?",
     ("How many members does the trust have?", "Who founded it?")),
    ("What did Osborne and Maude say?", ("What did Osborne and Maude say?",)),
    ("How do the councillor and the blogger differ?", ("How do the councillor and the blogger differ?",)),
    ("What is the difference between what Osborne said and what UNISON said?",
     ("What is the difference between what Osborne said and what UNISON said?",)),
    ("Compare what Osborne said and what UNISON said.", ("Compare what Osborne said and what UNISON said.",)),
])
def test_a_compound_question_is_read_as_its_parts(question, parts):
    assert question_parts(question) == parts


@pytest.mark.parametrize(("question", "sides"), [
    ("Compare the councillor's view of mutuals with the UNISON blogger's.",
     ("the councillor", "the UNISON blogger")),
    ("Do the councillor and the 2012 UNISON blogger agree on it?",
     ("the councillor", "the 2012 UNISON blogger")),
    ("Do the councillor and the UNISON blogger both see a council as democratic?",  # "both" is no side's
     ("the councillor", "the UNISON blogger")),
    # the sides set out first, then asked of "each"
    ("The councillor in 'Mutual suspicion' and the 2012 UNISON blogger both say a council is already a "
     "co-op. How does each put it?", ("The councillor in 'Mutual suspicion'", "the 2012 UNISON blogger")),
    ("Osborne and Jowell both spoke about mutuals. What did each say?", ("Osborne", "Jowell")),
])
def test_a_side_named_by_what_it_holds_is_its_holder(question, sides):
    assert analyse(question).sides == sides


@pytest.mark.parametrize(("typed", "mended"), [
    ("Whta did Osborne say?", "What did Osborne say?"), ("Hwo many members?", "How many members?"),
    ("And whne was it published?", "And when was it published?"), ("Who said it?", "Who said it?"),
    ("Hot topics?", "Hot topics?"), ("Wheat prices rose?", "Wheat prices rose?"),
    ("Wich councel was calld EasyCouncil?", "Which councel was calld EasyCouncil?"),  # before a noun
    ("Whet your appetite?", "Whet your appetite?"),  # an English word: no typo
    ("whats the name of the chair?", "what's the name of the chair?"),  # "is" without its apostrophe
    ("Wheres the estate?", "Where's the estate?"),
])
def test_a_typo_in_the_opening_question_word_is_mended(typed, mended):
    assert mend_question_word(typed) == mended


@pytest.mark.parametrize("question,subject", [
    ("Which posts mention UNISON?", "UNISON"), ("Do any of the posts talk about Sure Start?", "Sure Start"),
    ("Which of the articles refer to the Big Society?", "the Big Society"),
    ("Are there any posts about schools?", "schools"),
])
def test_which_posts_mention_something_is_a_question_about_the_posts(question, subject):
    analysis = analyse(question)
    assert analysis.answer_type == AnswerType.POST and analysis.post_attribute == "mention"
    assert analysis.all_posts
    match = MENTIONS.search(question)
    assert match is not None and match.group("subject") == subject


@pytest.mark.parametrize("question", ["What did UNISON say about the posts?", "Which post is the oldest?",
                                      "What does the post mention about schools?"])
def test_other_questions_are_not_asking_which_posts_mention_something(question):
    assert analyse(question).post_attribute != "mention"


@pytest.mark.parametrize("question,kind", [
    ("Can you give me the gist of the 2012 post on the perils of mutuals?", AnswerType.SUMMARY),
    ("Could you summarise the news report?", AnswerType.SUMMARY),
    ("Please tell me what the Mutual Benefit? post is about.", AnswerType.SUMMARY),
    ("Can you tell me who chairs the Commission on Ownership?", AnswerType.FACT),
    ("Can mutuals be imposed from above?", AnswerType.STANCE),  # not a polite frame: the question itself
    ("What are the councillor's main objections to handing services over to user groups?", AnswerType.LIST),
    ("What are the UNISON blogger's concerns?", AnswerType.LIST),  # someone's concerns: no term to define
    ("What was Osborne's plan?", AnswerType.FACT),
    ("What is co-production?", AnswerType.DEFINITION),
])
def test_polite_frames_and_possessives_do_not_change_what_is_asked(question, kind):
    assert analyse(question).answer_type == kind


@pytest.mark.parametrize("question,asked", [
    ("The councillor who wrote 'Mutual suspicion' and the Left Foot Forward writer both worry about "
     "who runs mutuals. How do their concerns compare?", "How do their concerns compare?"),
    ("Mr. Maude spoke yesterday. What did he announce?", "What did he announce?"),
    ("Who chairs the Commission on Ownership?", "Who chairs the Commission on Ownership?"),
    ("Who chairs it? And when will it report?", "Who chairs it? And when will it report?"),  # two questions
    ("Summarise the UNISON post. Keep it short.", "Summarise the UNISON post. Keep it short."),
    # what the asker says they know comes first
    ("I know the coalition reversed it, but did Northern Rock ever end up re-mutualised?",
     "did Northern Rock ever end up re-mutualised?"),
])
def test_a_question_of_several_sentences_asks_what_its_last_one_asks(question, asked):
    from rag.question import asked_sentence

    assert asked_sentence(question) == asked


def test_context_sentences_give_the_sides_and_the_last_sentence_the_answer_type():
    analysis = analyse("The councillor who wrote 'Mutual suspicion' and the Left Foot Forward writer both "
                       "worry that mutuals might be run by one part of the community. How do their concerns "
                       "compare?")
    assert analysis.answer_type == AnswerType.COMPARISON  # not "who wrote" the post
    # "Mutual" alone is no side; the site's name stands for its writer's post
    assert set(analysis.sides) == {"Mutual suspicion", "the Left Foot Forward writer"}
    pledge = analyse("Labour's 2010 pledge talked about handing communities the power to run services. How "
                     "does that sit against the Labour councillor's reservations in 'Mutual suspicion'?")
    assert pledge.answer_type == AnswerType.COMPARISON and len(pledge.sides) == 2


@pytest.mark.parametrize("question,kind", [
    ("Who wrote the Left Foot Forward article?", AnswerType.POST),
    ("What is the name of the councillor who wrote the 'Mutual suspicion' post?", AnswerType.POST),
    ("Tell me who wrote Mutual Benefit?", AnswerType.POST),
    ("How does the view of the councillor who wrote Mutual suspicion differ from the LFF writer's?",
     AnswerType.COMPARISON),  # "who wrote" inside a side says which councillor, it asks nothing
    ("Does the Labour pledge square with the councillor's reservations?", AnswerType.COMPARISON),
    ("Do the councillor and the 2012 blogger see a council in the same way?", AnswerType.COMPARISON),
    ("Where do the 2010 councillor and the 2012 blogger agree about a council?", AnswerType.COMPARISON),
    ("To what extent did Osborne and Jowell differ?", AnswerType.COMPARISON),
    ("Where is the councillor's ward?", AnswerType.FACT),
])
def test_who_wrote_asks_for_an_author_only_as_the_question(question, kind):
    assert analyse(question).answer_type == kind


def test_two_sides_that_see_something_the_same_way():
    analysis = analyse("Do the 'Mutual suspicion' councillor and the 2012 co-production blogger see a local "
                       "council in the same way?")
    assert analysis.sides == ("the 'Mutual suspicion' councillor", "the 2012 co-production blogger")


@pytest.mark.parametrize("question,attribute", [
    ("When was the union blogger's post written?", "date"),  # the blogger names the post, "when" asks
    ("Who is the union blogger?", "author"),
    ("What date is on the councillor's post?", "date"),
])
def test_when_a_post_by_its_author_was_written_asks_for_its_date(question, attribute):
    analysis = analyse(question)
    assert analysis.answer_type == AnswerType.POST and analysis.post_attribute == attribute


def test_how_long_or_how_many_is_the_kind_of_answer_not_the_topic():
    assert analyse("For how long did the plague stick around?").focus == ("plague", "stick", "around")
    assert analyse("How many members does the trust have?").focus == ("members", "trust")


@pytest.mark.parametrize("question,kind", [
    ("In a nutshell, what does 'The perils of mutuals and the possibility of co-production' say?",
     AnswerType.SUMMARY),
    ("In short, what does the Mutual suspicion post say?", AnswerType.SUMMARY),
    ("Briefly, who chairs the Commission on Ownership?", AnswerType.FACT),  # no post: what it asks
    ("Briefly, why is the councillor wary of mutuals?", AnswerType.REASON),
    ("What is the councillor who wrote 'Mutual suspicion' mainly arguing?", AnswerType.SUMMARY),
    ("What is the 2012 UNISON blogger mainly saying?", AnswerType.SUMMARY),
    ("What did Osborne mainly say about mutuals?", AnswerType.STANCE),  # a person's view, no post
    # the post says where the pledge is, and the pledge is what is asked about
    ("In a nutshell, what did the pledge from the Labour groups quoted in the June 2010 post promise?",
     AnswerType.FACT),
])
def test_a_summary_opener_or_mainly_asks_for_the_gist_of_a_named_post(question, kind):
    analysis = analyse(question)
    assert analysis.answer_type == kind
    assert not {"nutshell", "short", "briefly", "mainly"} & {w.lower() for w in analysis.focus}  # no topic


@pytest.mark.parametrize("question,word", [
    ("Where does the councillor think the focus for mutuals ought to be?", "ought"),
    ("Why won't councils and shouldn't workers take the offer?", "won't"),
    ("Why can’t the union back the plan?", "can’t"),
])
def test_modals_and_negated_auxiliaries_are_no_topic(question, word):
    """"ought", "won't", "can’t" shape the question; a post need not use them to answer it."""
    focus = [w.lower() for w in analyse(question).focus]
    assert word.lower().replace("’", "'") not in [w.replace("’", "'") for w in focus]
    assert focus  # the topic words stay


@pytest.mark.parametrize(("typed", "mended", "kind"), [
    ("Whats the diffrence between the councillor's view and Osborne's?",
     "Whats the difference between the councillor's view and Osborne's?", AnswerType.COMPARISON),
    ("sumarise the UNISON post", "summarise the UNISON post", AnswerType.SUMMARY),
    ("What are the reasns the councillor gives?", "What are the reasons the councillor gives?",
     AnswerType.REASON),
    ("Did Osborne differ from Maude?", "Did Osborne differ from Maude?", None),  # spelt right: as typed
    ("Who is Reason Smith?", "Who is Reason Smith?", None),
])
def test_a_misspelt_answer_type_word_is_mended(typed, mended, kind):
    assert mend_cue_words(typed) == mended
    if kind is not None:
        assert analyse(mend_cue_words(typed)).answer_type == kind


def test_a_comparisons_topic_keeps_frame_words_that_say_what_is_compared():
    from rag.answering.comparison import topic_frame

    assert topic_frame(analyse("How do Osborne and Tessa Jowell differ in what they say mutuals offer?")) == [
        "offer"]
    assert topic_frame(analyse("How does Osborne's idea of mutuals differ from the writer's view?")) == []


@pytest.mark.parametrize("question", [
    "Compare how the Mutual suspicion councillor and the 2012 UNISON blogger view a council's role.",
    "Compare how the 'Mutual suspicion' councillor and the 2012 UNISON blogger view a council's role.",
])
def test_a_side_named_by_a_post_title_and_its_authors_role_is_that_author(question):
    """Typed with or without the title's quotes, the side is the councillor who wrote the post, not
    the word "Mutual"."""
    sides = analyse(question).sides
    assert any("suspicion" in s and s.endswith("councillor") for s in sides), sides
    assert any("UNISON blogger" in s for s in sides), sides


def test_a_side_named_by_a_text_it_issued_is_that_text():
    """"the Labour pledge" is a side of its own, not Labour at large."""
    sides = analyse("Compare the reasons the Labour pledge and Tessa Jowell give for backing mutuals.").sides
    assert sides == ("the Labour pledge", "Tessa Jowell")


def test_a_follow_ups_pronoun_borrows_only_the_names_it_can_stand_for():
    """"it" is the commission, not Tessa Jowell; "she" is Jowell; a pronoun fitting every name (or
    none of them) borrows them all."""
    before = "Who chairs the Commission on Ownership that Tessa Jowell announced?"
    assert read_after("And who funds it?", before)[0] == "And who funds it? Commission on Ownership"
    assert read_after("And what did she say next?", before)[0].endswith("Tessa Jowell")
    assert read_after("And who funds them?", before)[0].endswith("Commission on Ownership Tessa Jowell")
    assert "Amendment 42.1" in read_after(
        "And what did it propose?", "Did Amendment 42.1 pass at UNISON's National Delegate Conference?")[0]
    # a surname alone may be a person's: "he" keeps it
    assert "Osborne" in read_after("And what did he say next?",
                                   "What did Osborne and Tessa Jowell say about mutuals?")[0]


def test_a_follow_ups_view_asked_of_a_pronoun_is_the_view_of_the_name_it_stands_for():
    """"What did it recommend?" asks the commission's view (a holder whose words the posts must give),
    not Will Hutton's, whose first name is no function word."""
    before = "When did Will Hutton's Commission on Ownership publish its report?"
    assert read_after("What did it recommend?", before)[1].holder == "Commission on Ownership"
    assert read_after("What did he recommend?", before)[1].holder == "Will Hutton"
    assert read_after("What did they recommend?", "Who chairs it?")[1].holder is None  # no name before


def test_a_follow_ups_it_stands_for_the_thing_the_last_answer_named_when_the_question_named_none():
    """"Who is Will Hutton?" / "What is he chairing?" (answered "...an independent Commission on
    Ownership, chaired by Will Hutton...") / "Who funds it?": "it" is the commission."""
    answered = ("“...Tessa Jowell said that mutuals announced the creation of an independent Commission "
                "on Ownership, chaired by Will Hutton, to investigate the issue.” [1]")
    previous = "Who is Will Hutton? What is he chairing?"
    assert read_after("Who funds it?", previous, answered)[0] == "Who funds it? Commission on Ownership"
    assert read_after("Who funds it?", previous)[0] == "Who funds it? Will Hutton"  # no answer: as before
    # "he" is a person: the answer's things are not what it stands for
    assert "Commission" not in read_after("What did he say next?", "Who is Will Hutton?", answered)[0]


@pytest.mark.parametrize("follow_up,previous,read", [
    ("And Jowell?", "What did Osborne say about mutuals?", "What did Jowell say about mutuals?"),
    ("What about UNISON?", "What does Osborne think of co-ops?", "What does UNISON think of co-ops?"),
    ("and the councillor?", "What does Osborne think?", "What does the councillor think?"),
])
def test_a_follow_up_naming_only_someone_else_asks_the_previous_question_of_them(follow_up, previous, read):
    assert read_after(follow_up, previous)[0] == read


@pytest.mark.parametrize("follow_up,previous", [
    ("And why?", "What did Osborne say?"),  # a question word, not a name
    ("And what else?", "What did Osborne say?"),
    ("And Jowell?", "Who chairs the Commission that Tessa Jowell announced?"),  # more of the one named
    ("And the UNISON post?", "What does the Left Foot Forward article say about cuts?"),  # a post: a scope
])
def test_other_short_follow_ups_keep_their_own_reading(follow_up, previous):
    """No name is swapped: the follow-up is read as itself, with the previous question."""
    assert follow_up in read_after(follow_up, previous)[0]


def test_a_follow_ups_those_noun_borrows_the_noun_phrase_it_refers_to():
    query, analysis = read_after("and how many of those schools were set up?",
                                 "Who does the Left Foot Forward writer credit with announcing co-operative "
                                 "trust schools?")
    assert "co-operative trust schools" in query and "announcing" not in query
    assert analysis.count_noun == "schools"  # "of those schools": what is counted


def test_a_preposition_is_no_topic():
    assert "Despite" not in analyse("Despite all the talk of cynicism, does the blogger see anything good "
                                    "in co-operation?").focus


@pytest.mark.parametrize("question,sides", [
    ("Both the 2010 councillor and the 2012 UNISON blogger suggest a council is already a kind of "
     "co-operative. How does each put it?", ("the 2010 councillor", "the 2012 UNISON blogger")),
    ("Both the councillor and the Left Foot Forward writer worry that mutuals serve one group. How does "
     "each put it?", ("the councillor", "the Left Foot Forward writer")),
    # a comparison whose own sentence names no sides ("they"): the context's two
    ("Osborne and Jowell both talk about who should drive mutualisation. Do they agree that it shouldn't "
     "be imposed from above?", ("Osborne", "Jowell")),
])
def test_a_context_opening_with_both_names_the_sides_a_question_about_each_compares(question, sides):
    analysis = analyse(question)
    assert analysis.answer_type == AnswerType.COMPARISON and analysis.sides == sides
