"""Question analysis: what a question asks for, about what, and of which post.

Pure and fast (no model, well under a millisecond): the question's grammar is a small closed
class (wh-words, auxiliaries, a handful of frame verbs and nouns), so it is read with ordered
patterns, as classic question classifiers do (Li & Roth, "Learning Question Classifiers", COLING
2002, give the coarse answer types; Hovy et al., "Toward Semantics-Based Answer Pinpointing", HLT
2001, the typed-answer idea). What needs the posts themselves (which names the posts mention,
which post "the UNISON post" is) is resolved later against the index.

The analysis gives:

- ``answer_type``: a fact (with its ``fact_type``), a reason, a list, a stance, a definition, a
  summary, a comparison, or a question about a post itself;
- ``focus``: the content words the answer must be about, and ``frame`` words that shape the
  question ("reasons", "view", "drawbacks") without naming its topic;
- ``entities``: the names in the question (capitalised spans, acronyms, quoted titles);
- ``scope``: a post the question names ("the UNISON post", "the 2012 post", "the Left Foot
  Forward article", "the councillor's post"), which restricts the answer to that post;
- ``sides``: for a comparison, the things compared;
- ``follow_up``: whether it reads as a continuation of the previous question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rag.text import fold_quotes
from rag.types import AnswerType, FactType

_WORD = re.compile(r"[A-Za-z0-9£$€%][\w'’\-.%]*[\w%]|[A-Za-z0-9£$€%]")
_QUOTED = re.compile(r"[\"“]([^\"“”]{2,120})[\"”]|(?<![\w])['‘]([^'‘’]{2,120}?)['’](?![\w])")

def lexicon(words: str) -> frozenset[str]:
    """A word list written as one string."""
    return frozenset(words.split())


WH_WORDS = lexicon("what which who whom whose when where why how")
AUXILIARIES = lexicon(
    "is are was were be been being am do does did done has have had can could should would will shall "
    "may might must 's")
IMPERATIVES = lexicon(
    "summarise summarize sum compare contrast list name describe explain give tell define outline "
    "identify state show find quote please")
STOPWORDS = lexicon(
    "a an the of in on at to for from by with about as into over under between through during before "
    "after against without within upon and or but nor so yet if then than that this these those there "
    "here it its it's they them their theirs he him his she her hers we us our ours you your yours i me "
    "my mine one ones some any all each every both either neither no not only own same such too very "
    "just also more most much many few less least other others another what which who whom whose when "
    "where why how do does did doing done is are was were be been being am has have had having can "
    "could should would will shall may might must s t don't doesn't didn't isn't aren't wasn't weren't "
    "up down out off again further once ever even still instead rather themselves itself himself herself "
    "ourselves yourself whether while although though because since via per etc else anything "
    "something nothing everything anyone someone ought cannot can't won't couldn't shouldn't wouldn't "
    "hasn't haven't hadn't mustn't needn't shan't mightn't despite notwithstanding amid amidst among "
    "amongst beside besides beyond towards toward unlike")
STOPWORDS = STOPWORDS | {w.replace("'", "’") for w in STOPWORDS if "'" in w}
"""Function words, the modals "ought" and "cannot", negated auxiliaries and prepositions ("despite")
among them, with either apostrophe: they say nothing of a question's topic."""

FRAME_VERBS = lexicon(
    "say said says saying think thinks thought believe believes believed argue argues argued arguing "
    "claim claims claimed suggest suggests suggested propose proposes proposed mention mentions "
    "mentioned describe describes described explain explains explained write writes wrote written "
    "mean means meant feel feels felt regard regards regarded see sees saw view views viewed consider "
    "considers considered make makes made put puts tell tells told call calls called give gives gave "
    "given list name named state states stated accuse accuses accused criticise criticises criticised "
    "criticize criticizes criticized compare compares compared contrast contrasts differ differs "
    "differed disagree disagrees disagreed agree agrees agreed summarise summarize summarised "
    "summarized define defines defined outline outlines identify identifies quote quotes quoted "
    "talk talks talked discuss discusses discussed cover covers covered address addresses addressed "
    "raise raises raised express expresses expressed offer offers offered want wants wanted "
    "publish published posted")
FRAME_NOUNS = lexicon(
    "post posts article articles blog blogs piece pieces entry entries author authors writer writers "
    "text texts page pages view views opinion opinions position positions stance stances attitude "
    "attitudes take thought thoughts idea ideas point points argument arguments case claim claims "
    "reason reasons cause causes purpose rationale justification grounds explanation motive motives "
    "summary overview gist thrust message thesis main key central overall basic comparison nutshell "
    "mainly chiefly basically essentially primarily broadly "
    "difference differences similarity similarities example examples list kind kinds type types way "
    "ways thing things aspect aspects element elements feature features factor factors item items "
    "step steps criterion criteria requirement requirements condition conditions option options "
    "meaning definition according respect regard terms matter question questions issue issues "
    "nature concern concerns answer answers different various several particular specific blogger bloggers "
    "headline headlines title titles date dates month months news sort sorts part parts "
    "remark remarks comment comments statement statements favour favor "
    "verdict response responses reaction reactions report reports story stories column columns")
"""Words that shape a question without naming its topic: their absence from the posts never makes a
question unanswerable (they are also left out of the focus)."""

EVALUATIVE_NOUNS = lexicon(
    "advantage advantages disadvantage disadvantages benefit benefits drawback drawbacks problem "
    "problems risk risks danger dangers peril perils criticism criticisms objection objections "
    "strength strengths weakness weaknesses pro pros con cons implication implications consequence "
    "consequences effect effects impact impacts lesson lessons worry worries fear fears hope hopes "
    "goal goals aim aims challenge challenges threat threats")
"""Nouns that ask for an evaluation: part of the focus, but paraphrased freely by the posts."""

SCOPE_NOUNS = ("blog post", "blog entry", "post", "article", "blog", "piece", "entry", "letter", "column",
               "report", "story", "author", "writer", "blogger")

CALLED = re.compile(r"\bwhat (?:is|was|are|were) (?P<the>the |a |an |this |that |its |his |her |their )"
                    r"(?!(?:post|article|blog|piece|entry)\b)(?P<what>[^?]*?)\s+called\b"
                    r"(?!\s+(?:for|on|upon|off|out|in|up|back)\b)", re.IGNORECASE)
"""A question asking what something is called ("What is the estate called that the TMO runs?"): a
name; not "What was the pledge called for?", nor a post's title."""

_TYPE_PATTERNS: tuple[tuple[re.Pattern[str], FactType], ...] = tuple(
    (re.compile(p, re.IGNORECASE), t) for p, t in (
        (r"\bhow much (money|funding|cash)\b|\bhow much (did|does|do|will|would|was|is|were|are)\b.*\b("
         r"cost|costs|pay|paid|spend|spent|raise|raised|fund|funded|worth|save|saved|charge|charged|"
         r"invest|invested|receive|received|earn|earned|borrow|borrowed)\b|\bwhat (is|was|were|are) "
         r"the (cost|price|budget|value|salary|fee|fees|funding|sum|amount of money)\b|\bhow much\b.*"
         r"\b(cost|costs|money|funding|pounds|budget|worth)\b", FactType.MONEY),
        (r"\bwhat (percentage|percent|proportion|share|fraction)\b|\bhow much of\b|\bwhat per ?cent\b",
         FactType.PERCENT),
        (r"\bhow (many|much)\b|\bwhat (number|amount|quantity|total)\b|\bhow (long|old|large|big|far|"
         r"often|tall|high|wide|deep)\b|\bwhat (is|was|were|are) the (number|population|size|total|count)"
         r"\b|\bnumber of\b", FactType.NUMBER),
        (r"^\s*(when|until when|since when)\b|\b(what|which) (year|years|date|dates|month|day|decade|century|"
         r"time|period|era)\b|\bin what year\b|\bhow long ago\b|\bwhen (was|were|did|does|do|is|will)\b",
         FactType.DATE),
        # "which areas of London" asks for places; "which areas of public service", for kinds of service
        (r"^\s*(where|from where)\b|\b(what|which) (country|countries|city|cities|town|towns|county|"
         r"areas?(?!\s+of\s+(?-i:[a-z]))|region|regions|place|places|borough|ward|wards|constituency|nation|"
         r"continent|location|street|village|district)\b|\bwhere (is|was|were|are|did|does|do)\b",
         FactType.PLACE),
        (r"\b(what|which) (organisation|organization|organisations|organizations|council|councils|party|"
         r"parties|union|unions|company|companies|firm|firms|body|bodies|group|groups|government|"
         r"department|ministry|fund|trust|trusts|charity|charities|newspaper|paper|site|website|"
         r"programme|program|agency|institution|team|club|society|association|network)\b",
         FactType.ORGANISATION),
        (CALLED.pattern, FactType.NAME),
        (r"\b(?:(what|which) (is|was|are|were)|what['’]?s) the titles? of (the|a|an|this|that|its|his|her|"
         r"their) (?!([\w'’-]+\s+){0,4}(post|article|blog|piece|entry|letter)s?\b)", FactType.NAME),
        (r"\b(?:(what|which) (is|was|are|were)|what['’]?s) the names? of (the|a|an|this|that|its|his|her|"
         r"their) (?!(person|man|"
         r"woman|minister|leader|chair|chairman|chairwoman|secretary|mayor|author|founder|president|king|queen|"
         r"general|head|boss|director|manager|player|coach|captain|owner|singer|writer|actor|actress|artist|"
         r"scientist|inventor|first|last)\b)", FactType.NAME),
        (r"^\s*(who|whom|whose)\b|\b(who|whom)\s+(is|was|were|are|did|does|do|will|would|should|could|"
         r"can)\b|\bwhat(?: is| was|['’]?s) the name of\b(?!\s+(?:where|when|what|which|how)\b)|"
         r"\bwhat is (his|her|their) name\b|"
         r"\bname of the (person|man|woman|minister|leader|chair|chairman|chairwoman|secretary|mayor|author|"
         r"founder)\b|\b(what|which) "
         r"(people|persons|men|women|politicians|ministers|mps|leaders|individuals)\b", FactType.PERSON),
    ))

_SUMMARY = re.compile(
    r"^\s*(please\s+)?(summari[sz]e|sum up|give (me |us )?(a |an |the )?(short |brief |quick )?"
    r"(summary|overview|gist|précis)|tl;?dr|outline)\b|\b(main|central|key|overall|basic|principal|"
    r"core) (argument|point|points|message|thesis|claim|idea|ideas|theme|themes|thrust|takeaway)s?\b|"
    r"\bwhat('s| is| was) (the )?(gist|thrust|upshot|summary)\b|\bin (a )?(nutshell|summary|short|brief)"
    r"\b|\bwhat (is|was|are) (the|this|that) ([\w'’?]+\s){0,8}?(post|article|blog|piece|entry|letter)s? "
    r"([\w'’?-]+\s){0,8}?about\s*\??\s*$|"
    r"\bwhat (the|this|that) ([\w'’?]+\s){0,8}?(post|article|blog|piece|entry|letter)s? (is|was|are|were) "
    r"(\w+\s)?about\b|"
    r"\bwhat (does|did) (the|this|that) ([\w'’?-]+\s){0,8}?(post|article|blog|piece|entry|letter|report|"
    r"story|column) ([\w'’?-]+\s){0,6}?(argue|say|cover|discuss|conclude|claim|contend|propose|suggest|"
    r"report|tell us|set out)\s*\??$|"
    r"^\s*what('s| is| was|s) (the|this|that) (post|article|blog|piece|entry|letter|report|story|column) "
    r"([\w'’?-]+\s){0,8}?about\s*\??\s*$", re.IGNORECASE)
_HOW_FAR = r"(?:(?:where|how far|how|to what extent|on what|in what ways?|in which ways?)\s+)?"
"""How a question may open before "do X and Y agree": "Where do...", "To what extent did...", "How do
X and Y differ on..."."""
_SET_AGAINST = (r"square with|tally with|at odds|in line with|same way|set against|contradict\w*|"
                r"(sit|sits|sat|stack|stacks|stacked|measure|measures) (up )?(against|with|alongside)")
"""Phrasings that set one side against another ("How does that sit against...?")."""
_PART_WAYS = r"part ways|parted ways|part company|parted company|diverge|diverges|diverged|divergence"
"""Where two sides stop agreeing ("Where do X and Y part ways on...?")."""
_PAIR_EACH = r"\b(do|did|does|would|will)\s+\S.*\band\b.+\s(each|both)\s+[a-z]+"
"""Two sides asked the same of each: "What examples do Jowell and the LFF article each point to?"."""
_PAIR_AGREES = (rf"^\s*{_HOW_FAR}(do|did|does|would)\b.+\band\b.+\b(agree|disagree|differ|share|see|view|"
                r"regard)\b|\b(do|did|does|would) (they|both|the two|the pair) (agree|disagree|differ|share|"
                r"see)\b")
"""Whether two sides agree: "Do X and Y agree...", "Where do X and Y differ...", "...do they agree"."""
_COMPARISON = re.compile(
    r"\b(compare|compared|comparison|comparing|contrast|contrasted|contrasting|versus|vs\.?|differ|"
    r"differs|differed|difference|differences|disagree|disagrees|disagreed|disagreement|similar|"
    r"similarity|similarities|in common|alike|distinguish|agree with each other|agree with one another|"
    rf"same view|different views|different view|both|{_SET_AGAINST}|"
    rf"conflict with|conflicts with|clash with|clashes with|{_PART_WAYS})\b|{_PAIR_EACH}|" + _PAIR_AGREES,
    re.IGNORECASE)
_DOC = r"(post|article|blog|blog post|piece|entry|letter|report|story|column)"
UNDATED = re.compile(r"\b(no date|undated|not dated|without (a )?date)\b", re.IGNORECASE)
"""A question asking for posts that state no date."""
MENTIONS = re.compile(
    r"^\s*(?:please\s+)?(?:(?:which|what)(?: ones)?(?: of (?:the|these|those|your))?|"
    r"(?:do|does|did) any(?: of)?(?: the| these| those)?|(?:list|name|show)(?: me)?(?: all)?(?: the)?|"
    r"are there any|is there any|is there an?)\s+"
    r"(?:posts?|articles?|blogs?|blog posts?|pieces?|entries)\s+(?:that\s+|which\s+)?(?:ever\s+)?"
    r"(?:mention(?:s|ed)?|talk(?:s|ed)? about|discuss(?:es|ed)?|refer(?:s|red)? to|name(?:s|d)?|"
    r"cover(?:s|ed)?|write about|wrote about|deal(?:s|t)? with|touch(?:es|ed)? on|bring up|brought up|"
    r"say anything about|said anything about|speak(?:s)? about|are about|is about|about)\s+"
    r"(?P<subject>[^?]+?)\s*[?.!]*\s*$", re.IGNORECASE)
"""A question asking which posts mention something ("Which posts mention UNISON?", "Do any of the posts
talk about Sure Start?"): the ``subject`` group is what they should mention."""
_COLLECTION = re.compile(
    r"^\s*(please\s+)?(list|name|show)( me)? (the |all (the )?)?(posts|articles|blogs)\b|"
    r"\b(what|which) (posts|articles|blogs) (are there|do you have|are in|can i ask)\b|"
    r"\bhow many (posts|articles|blogs)\b|"
    r"\b(which|what) (post|article|blog|piece)s? (was|were|is|came|appeared|went)( \w+)? (first|last|"
    r"earliest|latest|most recently|oldest|newest)\b|\b(dates|titles|authors|headlines) of (the |all (the )?|"
    r"these |those )?(posts|articles|blogs)\b|\bwhen (were|was) (the|these|those|all (the)?) (posts|articles|"
    r"blogs) (published|written|posted)\b|"
    r"\b(which|what|any|the) (posts|articles|blogs|pieces)\b.{0,40}\b(published|written|posted|dated|from|"
    r"appeared|came out)\b.{0,20}\b(19|20)\d\d\b|"
    rf"\b(which|what|any|the) (posts|articles|blogs|pieces)\b.{{0,30}}{UNDATED.pattern}",
    re.IGNORECASE)
"""Questions about the collection: which posts there are, their dates, which came first, which posts
are from a year, which state no date."""
_BARE_TITLE = re.compile(r"^\s*when (?:was|were) (?P<words>(?-i:[\"“'‘]?[A-Z])[^\n]{1,100}?)\s+(?:first\s+)?"
                         r"(?:published|posted|written|put up|dated)\s*\??\s*$", re.IGNORECASE)
"""'When was Mutual Benefit? published?': a post named by its (capitalised) title alone."""
_POST_META = re.compile(
    rf"{_BARE_TITLE.pattern}|"
    rf"\b(when|what date|which date|what day|which day|(in )?(what|which) (month|year)|what time)\b.{{0,80}}"
    rf"\b({_DOC}|it)\b.{{0,60}}\b(published|posted|written|dated|appear|appeared|come out|came out|put up|"
    rf"released|go up|went up|go online|went online)\b|"
    rf"\bwhat (date|day) (is|was) (on|given on|at the top of) "
    rf"(the|this|that)\b|\b(date|dateline) (of|on) (the|this|that) ([\w'’?]+\s){{0,6}}?{_DOC}\b|"
    rf"\bwho (wrote|writes|authored|penned|is the author of|was the author of|is the writer of) "
    rf"(the|this|that) "
    rf"([\w'’?]+\s){{0,6}}?{_DOC}\b|"
    rf"\bwhat (is|was) the (title|headline|name|url|link|web address|address) (of|to|for) (the|this|that) "
    rf"((?!(?:quoted|mentioned|named|cited|in|by|from|at|on|who|that|which)\b)[\w'’?]+\s){{0,8}}?{_DOC}\b|"
    rf"\bwho (is|was) the ([\w'’?-]+\s){{0,3}}?(author|writer|blogger|columnist)\b|"
    rf"\b(author|writer) of the {_DOC}\b|"
    rf"\bwhere (was|is|did) (the|this|that) ([\w'’?]+\s){{0,6}}?{_DOC}\b.{{0,80}}\b(published|posted|appear|"
    rf"appeared|run|printed|first published|first appear)\b|\b(what|which) (site|website|blog|newspaper|"
    rf"publication|outlet) (published|posted|ran|carried|first published)\b|"
    rf"(?:^\s*|[,;:]\s*|\b(?:and|but|me|us|know|wonder|wondering|ask)\s+)who (wrote|writes|penned|authored)"
    rf"\b(?! about)|\b(who (is|was)|name|identify|the name of) the "
    rf"(councillor|author|writer|person|blogger|man|woman|journalist|trade unionist) (who |that )?"
    rf"(wrote|writes|penned|authored)\b(?! about)|"
    rf"\b(what|which) (event|news|meeting|announcement|occasion)s? (prompted|led to|inspired|"
    rf"triggered|occasioned|gave rise to)\b|\bwhat (prompted|led|inspired|moved|caused) (the|this|that) "
    rf"([\w'’?]+\s){{0,6}}?({_DOC}|author|writer|blogger|councillor)\b.{{0,30}}\b(to )?(write|post|blog|"
    rf"publish)|{_COLLECTION.pattern}", re.IGNORECASE)
_REASON = re.compile(
    r"^\s*(and\s+|but\s+|so\s+)?(why|how come|for what reason|on what grounds)\b|\bwhy\b|\bwhat (is|are|"
    r"was|were) the (main |key |chief |principal )?(reason|reasons|cause|causes|rationale|motive|motives|"
    r"motivation|justification|grounds|explanation)\b|\bwhat (made|makes|led|leads|caused|causes|drove|"
    r"drives|prompted|prompts|motivated|motivates)\b|\bwhat explains\b|\bfor what purpose\b|\breasons? "
    r"(for|why|behind)\b|\bwhat (main |key |chief |principal |other )?(reason|reasons|rationale|motive|"
    r"motives|motivation|justification|grounds|explanation)\s+(does|do|did|is|are|was|were|has|have|had|"
    r"would|will|can|could)\b|^\s*(and\s+|but\s+|so\s+)?(how|on what (basis|grounds))\s+(does|do|did|"
    r"would|can|could)\s+.{1,80}?\s+(argue|show|explain|make the case|claim)\s+(that|why)\b|"
    r"^\s*(and\s+|but\s+|so\s+)?(how|on what (basis|grounds))\s+(does|do|did|would|can|could)\s+.{1,80}?\s+"
    r"(justify|defend|excuse)\b|"
    # "What was Osborne's justification for...", "what are their reasons"
    r"\bwhat (is|are|was|were) (his|her|their|its|[\w.-]+['’]s?) (main |key |chief |principal |stated |real "
    r"|own )?(reason|reasons|rationale|motive|motives|motivation|justification|grounds|explanation)\b",
    re.IGNORECASE)
"""A question asking for a reason: "why", "what is the reason", "what reasons does X give", and how
someone argues that a claim holds or justifies a course ("How does the post argue that...")."""
_DEFINITION = re.compile(
    r"^\s*(what|who)\s+(is|are|was|were)\s+(a |an |the )?(?P<term>[\w'’\-]+(\s+[\w'’\-]+){0,3})"
    r"\s*(,\s*(as|in|according to|for)\b[^?]*)?\?*\s*$"
    r"|^\s*what\s+(does|do|did)\s+(the (\w+\s){0,4})?(term |word |phrase |expression )?['\"“‘]?"
    r"(?P<term2>[\w'’\- ]{2,60}?)['\"”’]?\s+(mean|stand for|refer to)(\s+(here|in this context))?\s*\??\s*$"
    r"|^\s*(define|definition of|meaning "
    r"of)\b|\bwhat is meant by\b|\bwhat do(es)? (you|they|the \w+) mean by\b|\bwhat kind of (thing|"
    r"organisation|organization|body) is\b", re.IGNORECASE)
_STANCE = re.compile(
    r"\b(what|how|where|why|which|who|whom)\s+([\w'’-]+\s+){0,3}?(does|do|did|would|will|might|could)\s+"
    r"(?P<who>.{1,80}?)\s+(think|thinks|say|says|believe|believes|argue|argues|claim|claims|feel|feels|"
    r"suggest|suggests|propose|proposes|make of|write|writes|conclude|concludes|recommend|recommends|want|"
    r"wants|view|see|regard|consider|criticise|criticize|accuse|fear|worry|hope|expect|predict|warn|urge|"
    r"mean|see as|describe|characterise|characterize|call|respond|react|concede|accept|admit|acknowledge|"
    r"insist|complain|praise|attack|blame|credit|dismiss|reject|welcome|support|oppose|prefer|doubt|"
    r"question|challenge|defend|favour|favor|stand|come down)\b|"
    r"^\s*(is|are|was|were|does|do|did|would|will|has|have|can|could|should)\s+(?P<yes_no>.{3,120}?)\s*\?*\s*$|"
    r"\b(view|views|opinion|opinions|position|stance|attitude|take|thoughts|verdict|assessment|perspective|"
    r"feelings?|reactions?|responses?) (of|on|about|"
    r"towards?|regarding|to)\b"
    r"|\b(is|are|was|were) (\w+\s){0,6}?(for or against|in favour of|in favor of|opposed to|supportive of|"
    r"critical of|sceptical of|skeptical of|sceptical about|skeptical about)\b|\baccording to\b|\bhow "
    r"(does|do|did) (\w+\s){1,8}?(view|see|feel about|regard|judge|assess|rate)\b|\bwhat (case|argument|"
    r"arguments|point|points) (does|do|did) .{1,80}? (make|put|advance|present|offer)\b",
    re.IGNORECASE)
_LIST = re.compile(
    r"^\s*(list|name|give|enumerate|identify)\b|\bwhat (are|were) (the |some |all |its |their |his |her "
    r")?((\d+|two|three|four|five|six|seven|eight|nine|ten|several|main|key|different|various|other|"
    r"chief|major|principal)\s)*([\w'’]+\s){0,2}?(\w+s)\b|\b(which|what) (\w+\s){0,2}?"
    r"(?!(?:was|has|does|is)\b)(\w+s)\b (?-i:did|does|do|were|are|have|had|could|can|would|should|will)\b|"
    r"\b(two|three|four|five|six|seven|eight|nine|ten|"
    r"several) (\w+\s)?(\w+s)\b|\bin (which|what) (\w+\s)?(ways|areas|respects|sectors|fields|cases)\b|"
    r"\bwhat (else|other)\b|\bwhat do (\w+\s){0,4}?(want|need|demand|propose|suggest)\b", re.IGNORECASE)

_PLURAL_ASKED = re.compile(
    r"^\s*(?:and\s+|but\s+|so\s+)?(?:what|which)\s+(?:(?:kinds?|types?|sorts?|forms?|examples?|"
    r"varieties|categories)\s+of(?:\s+[\w'’-]+){1,3}?|(?:[\w'’-]+\s+){0,2}?(?!(?:was|has|does|is)\b)"
    r"(?P<noun>people|men|women|"
    r"children|[a-z][\w'’-]*[^su\W]s)(?:\s+(?:in|of|from|at|on)\s+(?:the\s+)?[\w'’-]+(?:\s+[\w'’-]+){0,2}?)?)\s+"
    r"(?-i:do|does|did|are|were|have|has|had|can|could|would|should|will|might|must)\b", re.IGNORECASE)
"""A wh-phrase asking for things in the plural ("What problems does...", "Which kinds of service model
did..."): a list, whatever verb follows ("see", "raise", "say")."""
_NOT_PLURAL = lexicon("news means series species politics economics physics status")

_OPENER = re.compile(r"^\s*(and|but|so|then|also|ok|okay|well|now|in short|in brief|in a nutshell|briefly)\b"
                     r"[,\s]+", re.IGNORECASE)
_SUMMARY_OPENER = re.compile(r"^\s*(in short|in brief|in a nutshell|briefly)\b", re.IGNORECASE)
_MAINLY = re.compile(r"\b(mainly|chiefly|basically|essentially|primarily|broadly) (arguing|saying|claiming|"
                     r"getting at|argue|say|claim|about)\b", re.IGNORECASE)
"""An opener ("In a nutshell, ...") or an adverb ("What is X mainly arguing?") that asks for the gist,
when the question names a post (or its author): what the post says, summarised."""
_POLITE = re.compile(
    r"^\s*(?:(?:can|could|would|will) (?:you|u)(?: please)?(?: just)?|please|kindly|"
    r"i(?:'d| would) (?:like|love)(?: you)? to(?: know)?|i (?:want|need) to know|"
    r"do you know|(?:can|could|may) i (?:ask|know))\s+(?:(?:tell|show) (?:me|us)\s+)?", re.IGNORECASE)
"""A polite frame around the question itself: "Can you give me the gist of...", "Could you tell me who
chairs...", "I'd like to know why..." ask what "Give me the gist of...", "Who chairs...", "Why..." ask."""


def unframed(text: str) -> str:
    """The question inside a polite frame ("Can you name some of..." -> "name some of...")."""
    return _POLITE.sub("", text, count=1)


_ALWAYS_STRICT = frozenset({FactType.DATE, FactType.NUMBER, FactType.MONEY, FactType.PERCENT})
"""Types an answer must hold: "when" needs a date, "how many" a number."""
_NEVER = re.compile(r"(?!)")
_STRICT: dict[FactType, re.Pattern[str]] = {
    FactType.NAME: re.compile(r"."),
    FactType.PERSON: re.compile(r"\b(?:(what|which) (is|was|are|were)|what['’]?s) the names? of\b|"
                                r"^\s*who (is|was|are|were) (the|a|an|[A-Z][\w'’.-]*('s|’s)) |"
                                r"\bname the (person|man|woman|minister|leader|chair|secretary|author)\b",
                                re.IGNORECASE),
    FactType.PLACE: re.compile(r"\b(what|which) (country|countries|city|cities|town|towns|county|counties|"
                               r"region|"
                               r"regions|borough|boroughs|ward|wards|constituency|nation|continent|village|"
                               r"district|street)\b|"
                               r"^\s*where (is|are|was|were) .{1,80}\b(based|headquartered|located|"
                               r"situated|born|sited)\b", re.IGNORECASE),
}
"""Identity questions ("who is X", "what is the name of X") and named places ("which town") need a name
of that type; other "who" and "where" questions may be answered by a description ("local people")."""
_EXACT_DATE = re.compile(r"\b(what|which) (date|day|month|year|decade|century)\b|\bin what year\b|"
                         r"\bon what day\b",
                         re.IGNORECASE)
_FOLLOW_OPENER = re.compile(
    r"^\s*((and|but|so|also|then|what about|how about|what else|anything else|any other|"
    r"why (is|was|did|does) "
    r"(that|this|it)|tell me more|more on|go on)\b|(why|how|really|who|when|where)\s*\?*\s*$)", re.IGNORECASE)
_MORE = re.compile(r"\b(else|more|other|others|another|further|besides)\b", re.IGNORECASE)
"""A follow-up with one of these words asks for something the last answer did not give."""
_PRONOUN = re.compile(
    r"\b(he|him|his|she|her|hers|they|them|their|theirs|it|its|that|this|those|these|there|the same|"
    r"such|the former|the latter|the author|the writer|the post|the article|the blog)\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(not|never|no|n't|none|neither|nor|without|cannot|lack|lacks|fail|fails|"
                       r"failed)\b|n't\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_COUNT_NOUN = re.compile(r"\bhow many\s+(?P<noun>(?:[\w'’\-]+\s+){0,3}?[\w'’\-]+?)\s+(did|does|do|were|was|"
                         r"are|is|have|has|had|can|could|will|would|should|work|live|attend|took|take)\b",
                         re.IGNORECASE)
"""The counted noun of "how many": up to its verb."""
_COUNT_QUALIFIED = re.compile(r"\bhow many\s+(?!of\b)(?P<noun>[\w'’\-]+)\s+(?:at|in|from|of|on|with|who|that|"
                              r"which)\b", re.IGNORECASE)
"""... or one word before what qualifies it ("How many staff at the trust took over...": "staff")."""


@dataclass(frozen=True, slots=True)
class ScopeRef:
    """A post the question names: "the UNISON post", "the 2012 post", "the Left Foot Forward article".

    ``words`` are the naming words as written (a title, a site, a role, a topic); ``year`` a year
    it gives; ``phrase`` the whole reference. Which post it is depends on the posts: see
    ``rag.answering.scope``."""

    phrase: str
    words: str
    year: str | None = None
    quoted: bool = False  # named by a quoted title


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    """What a question asks for (see the module docstring)."""

    text: str
    answer_type: AnswerType
    fact_type: FactType | None = None
    focus: tuple[str, ...] = ()  # content words, as written
    frame: tuple[str, ...] = ()  # frame and evaluative words, as written
    entities: tuple[str, ...] = ()  # names, as written
    scope: ScopeRef | None = None
    sides: tuple[str, ...] = ()  # what a comparison compares (names or post references)
    count_noun: str | None = None  # what "how many" counts
    holder: str | None = None  # whose view a stance question asks for, when it is a name ("Nick Clegg")
    strict_type: bool = False  # the answer must hold the fact type (a date for "when", a name for "who is")
    exact_date: bool = False  # asks for a calendar date, month or year ("what date", "which year")
    post_attribute: str | None = None  # about a post: "date", "author", "title", "site" or "url"
    negated: bool = False
    follow_up: bool = False
    wants_more: bool = False  # a follow-up asking for what the last answer left out ("What else?")
    all_posts: bool = False  # asks about "the posts" in general (several posts)
    quoted: tuple[str, ...] = field(default=())  # quoted phrases
    context: tuple[str, ...] = ()  # words a follow-up borrows from the question before it

    @property
    def wants_several(self) -> bool:
        """Kinds answered by several sentences rather than one."""
        return self.answer_type not in (AnswerType.FACT, AnswerType.POST)


def _words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _clean_word(word: str) -> str:
    word = fold_quotes(word)
    for suffix in ("'s", "'"):
        if word.lower().endswith(suffix) and len(word) > len(suffix) + 1:
            return word[: -len(suffix)]
    return word.rstrip(".")


def _is_name_word(word: str) -> bool:
    w = _clean_word(word)
    return bool(w) and w[0].isupper()


_NAME_JOINERS = frozenset({"of", "on", "for", "de", "la", "le", "van", "von", "the", "&"})


_COMPOUND_TAIL = re.compile(
    r"(?<=[A-Za-z]{3})-(?:[a-z]+ed|era|style|type|like|wide|age|period|run|friendly|minded|leaning|free|"
    r"specific|oriented|centred|centered)$")
"""The lower-case head of a compound adjective built on a name: "Labour-era", "Tory-led", "UNISON-backed"
name Labour, the Tories, UNISON ("Co-operative" keeps its hyphen)."""


_NAME_NUMBER = re.compile(r"(?!(?:1[5-9]|20)\d\d$)\d{1,4}(?:\.\d{1,3})?[a-z]?")
"""A number that ends a one-word name ("42.1", "4"); not a year, which dates what the name names. (A
longer name's number, "Super Bowl 50", is often left out where the name is used.)"""


def find_entities(text: str) -> list[str]:
    """Names in a question: runs of capitalised words (joined across "of", "on", "for"...), acronyms,
    and quoted phrases. The first word counts only if it is not a question or command word."""
    found: list[str] = []
    words = _words(text)
    i = 0
    while i < len(words):
        word = words[i].group()
        low = _clean_word(word).lower()
        first = i == 0 or text[: words[i].start()].rstrip().endswith((".", "?", "!", ":", ";"))
        # a capital that only starts the sentence is no name ("Approximately how many..."), unless the
        # word is an acronym or begins a longer name ("Roger II was...")
        sentence_case = first and not word.isupper() and not (
            i + 1 < len(words) and _is_name_word(words[i + 1].group()) and low not in STOPWORDS)
        command = first and (low in WH_WORDS or low in AUXILIARIES or low in IMPERATIVES or low in STOPWORDS)
        if _is_name_word(word) and not sentence_case and not command and low != "i":
            j = i + 1
            end = i
            while j < len(words):
                nxt = words[j].group()
                between = text[words[j - 1].end(): words[j].start()]
                if between.strip() not in ("", "-") or fold_quotes(words[j - 1].group()).endswith("'s"):
                    break
                if _is_name_word(nxt):
                    end = j
                    j += 1
                elif (nxt.lower() in _NAME_JOINERS and j + 1 < len(words)
                      and _is_name_word(words[j + 1].group())):
                    j += 1
                else:
                    break
            after = words[end + 1] if end + 1 < len(words) else None
            if end == i and after is not None and _NAME_NUMBER.fullmatch(after.group()) and \
                    text[words[end].end():after.start()] == " ":
                end += 1  # "Amendment 42.1", "Radio 4": a one-word name's number is part of it
            span = _COMPOUND_TAIL.sub("", _clean_word(text[words[i].start(): words[end].end()]))
            found.append(span)
            i = end + 1
        else:
            i += 1
    for m in _QUOTED.finditer(text):
        phrase = (m.group(1) or m.group(2) or "").strip()
        if phrase and phrase not in found:
            found.append(phrase)
    return [f for f in found if f.lower() not in STOPWORDS]


_DETERMINERS = frozenset({"the", "this", "that"})
_NOT_NAMING = lexicon(
    "different other various same two three four five several first second last latest whole entire above "
    "following original main posts blog one")
_AFTER_NOUN = re.compile(r"\s*(?:about|on|titled|called|named|entitled|headlined|discussing|covering|"
                         r"that discusses|that covers|by|from|in|of|[a-z]+ing)\s+(?P<words>.+?)\s*(?=\b(?:"
                         r"published|posted|written|dated|appeared|came|come|say|says|said|think|thinks|argue|"
                         r"argues|see|sees|mean|means|claim|claims|make|makes|describe|describes|suggest|"
                         r"suggests|conclude|concludes|call|calls|accuse|accuses|have|has|had|was|is|do|did|"
                         r"does|first|compare|agree|agrees|differ|differs|disagree|disagrees|feel|feels|felt|view|"
                         r"views|viewed|regard|regards|treat|treats|react|reacts|reacted|respond|responds|"
                         r"responded|stand|stands|write|writes|wrote|talk|talks|talked)\b|[?.!,;]|$)",
                         re.IGNORECASE)
_TITLE_AFTER_NOUN = re.compile(r"\s+(?P<words>[\"“'‘]?[A-Z][\w'’\-]*(?:\s+[\w'’\-,]+){0,12}?[\"”'’?]?)"
                               r"\s*(?=\b(?:published|posted|written|dated|appeared|came|say|says|said)\b|"
                               r"[?.!]|$)")


def _scopes_from(text: str) -> list[ScopeRef]:
    """References to single posts, in order: "the X post" (X: up to six words after the nearest
    "the"), "the post about X" (both, when given: "the councillor's post about the pledge"), "the post
    <Title>", or a quoted title."""
    words = _words(text)
    nouns = sorted(SCOPE_NOUNS, key=len, reverse=True)
    found: list[ScopeRef] = []
    used_until = 0
    for i, m in enumerate(words):
        if m.start() < used_until:
            continue
        low = _clean_word(m.group()).lower()  # "the 2012 blogger's view": the blogger's post
        two = f"{low} {_clean_word(words[i + 1].group()).lower()}" if i + 1 < len(words) else ""
        noun = two if two in nouns else low if low in nouns or low.rstrip("s") in nouns else None
        if noun is None or (low.endswith("s") and low not in nouns):
            continue  # "the posts": all posts, not one
        end = words[i + (1 if noun == two else 0)].end()
        start = None
        before, quoted = "", False
        for back in range(i - 1, max(-1, i - 8), -1):  # the X post: the nearest determiner
            if words[back].group().lower() in _DETERMINERS:
                start = words[back].start()
                if back < i - 1:
                    naming = text[words[back + 1].start(): words[i - 1].end()].strip()
                    clean = naming.strip("\"“”'‘’ ")
                    if clean and clean.lower() not in _NOT_NAMING and clean.lower() not in STOPWORDS:
                        before, quoted = _clean_word(clean), bool(re.match(r"[\"“'‘]", naming))
                break
        if start is None:
            continue
        rest = text[end:]
        after = _AFTER_NOUN.match(rest) or _TITLE_AFTER_NOUN.match(rest)
        behind = ""
        if after:
            naming = re.sub(r"\s+about$", "", after.group("words").strip().strip("\"“”'‘’?,. "))
            if naming and naming.lower() not in STOPWORDS:
                behind = naming
                end += after.end("words")
        naming = " ".join(x for x in (before, behind) if x)
        if naming:
            found.append(ScopeRef(text[start:end].strip(), naming, year_of(naming), quoted))
            used_until = end
    bare = _BARE_TITLE.match(text) if not found else None
    if bare:
        naming = bare.group("words").strip("\"“”'‘’ ")
        found.append(ScopeRef(bare.group("words"), naming, year_of(naming), False))
    if not found:
        quoted_name = _QUOTED.search(text)
        if quoted_name and (quoted_name.group(1) or quoted_name.group(2) or "").strip():
            naming = (quoted_name.group(1) or quoted_name.group(2) or "").strip()
            found.append(ScopeRef(quoted_name.group(0), naming, year_of(naming), True))
    return found


def year_of(text: str) -> str | None:
    m = _YEAR.search(text)
    return m.group(1) if m else None


def fact_type_of(text: str) -> FactType | None:
    for pattern, kind in _TYPE_PATTERNS:
        if pattern.search(text):
            return kind
    return None


def _post_attribute(text: str) -> str:
    low = text.lower()
    if MENTIONS.search(text):  # "Which posts mention UNISON?": the posts whose text names it
        return "mention"
    if _COLLECTION.search(text) and year_of(text):  # "Which posts were published in 2010?": by their dates
        return "date"
    if _COLLECTION.search(text) and not re.search(r"\b(date|dates|undated|dated|first|last|earliest|latest|"
                                                  r"oldest|newest|"
                                                  r"when|recently)\b", low):
        return "title"
    if re.search(r"\b(event|news|meeting|announcement|occasion|prompted|led to|inspired|triggered|moved)\b",
                 low):
        return "occasion"
    if re.match(r"\s*(when|what date|which date|what day|which day|(in )?(what|which) (year|month))\b", low):
        return "date"  # "When was the union blogger's post written?": its date, not its author
    if re.search(r"\b(who (wrote|writes|authored|penned|is|was)|author|writer|blogger|written by)\b", low):
        return "author"
    if re.search(r"\b(url|link|web address|address)\b", low):
        return "url"
    if re.search(r"\b(title|headline|called|name)\b", low):
        return "title"
    if re.search(r"\b(where|site|website|newspaper)\b", low):
        return "site"
    return "date"


def _answer_type(text: str, scope: ScopeRef | None, entities: list[str]) -> AnswerType:
    if _POST_META.search(text) or MENTIONS.search(text):
        return AnswerType.POST
    if fact_type_of(text) in _ALWAYS_STRICT:  # "what percentage", "how many", "when": a fact, whatever else
        return AnswerType.FACT
    if _COMPARISON.search(text) and (
            len(entities) >= 2 or re.search(r"\b(posts|articles|blogs|authors|parties|sides|"
                                               r"writers|they|both|each)\b", text, re.IGNORECASE)
            or re.search(rf"\b(compare|comparison|contrast|versus|vs\.?|differ\w*|difference\w*|"
                         rf"disagree\w*|{_SET_AGAINST}|{_PART_WAYS})\b|{_PAIR_AGREES}", text, re.IGNORECASE)):
        return AnswerType.COMPARISON
    if _SUMMARY.search(text):
        return AnswerType.SUMMARY
    if _REASON.search(text):
        return AnswerType.REASON
    if _DEFINITION.search(text) and not fact_type_of(text) and not re.search(  # "Osborne's plan": no term
            r"\b(of|in|for|by|with|from|to|about|did|does|has|have|had)\b|\w['’]s\b|"
            r"^(he|she|it|they|we|you|i)\b",  # "What is he chairing?": a clause, not a term
            _definition_term(text) or "of"):
        return AnswerType.DEFINITION
    plural = _PLURAL_ASKED.search(text)
    if plural and (plural.group("noun") or "").lower() not in _NOT_PLURAL:
        return AnswerType.LIST
    if _STANCE.search(text):
        return AnswerType.STANCE
    if _LIST.search(text) and not re.search(r"^\s*(who|when|where|how (many|much))\b", text,
                                            re.IGNORECASE):
        return AnswerType.LIST
    if re.search(r"^\s*how\s+(does|do|did|can|could|should|would|will|is|are|was|were|has|have|might)\b",
                 text, re.IGNORECASE) and not fact_type_of(text):
        return AnswerType.REASON  # "how does X work": an explanation, answered like a reason
    return AnswerType.FACT


def _definition_term(text: str) -> str | None:
    m = _DEFINITION.search(text)
    if not m:
        return None
    return (m.group("term") or m.group("term2") or "").strip() or text


def _holder(text: str, entities: list[str], scopes: list[ScopeRef]) -> str | None:
    """The named person or body whose view is asked for: "What did *Nick Clegg* say about...". A post
    or its author ("the UNISON post", "the councillor") is not a holder: the post itself is the voice."""
    m = _STANCE.search(text)
    who = m.group("who") if m and m.group("who") else None
    if not who or any(s.phrase in who or who in s.phrase for s in scopes):
        return None
    head = [w for w in who.split() if not w.lower().endswith("ly")  # "Osborne really", "Morrison himself"
            and w.lower() not in ("himself", "herself", "itself", "themselves", "themself")]
    if not head or not head[-1][:1].isupper():
        return None  # "the Labour pledge": a text, not someone
    if head[0].lower() in ("the", "a", "an"):
        head = head[1:]
    return " ".join(head) if any(e in who for e in entities) else None


_DIFFER = re.compile(
    r"^\s*(?:and\s+)?(?:how|in what ways?|where|why)\s+(?:does|did|do|would|might)\s+(?P<a>.+?)\s+"
    r"(?:differ|compare|contrast|stack up)\s+(?:from|with|to|against)\s+(?P<b>.+?)\s*[?.!]*\s*$",
    re.IGNORECASE)
_SIDE_NOUN = re.compile(r"^(?P<side>.*?\b(?:post|article|blog|piece|report|writer|author|blogger|councillor|"
                        r"minister|chancellor|government|party|union|pledge))(?:'s|’s|s'|\b)", re.IGNORECASE)


def _side_of(phrase: str, entities: list[str]) -> str:
    """Who or what one side of a comparison is: "the councillor's view on mutualising public services"
    is the councillor's; "how Osborne described them" is Osborne's."""
    phrase = re.sub(r"^(?:how|what|the way)\s+", "", phrase.strip(), flags=re.IGNORECASE)
    noun = _SIDE_NOUN.match(phrase)
    if noun and len(noun.group("side").split()) <= 6:
        return noun.group("side").strip()
    named = [e for e in entities if e in phrase]
    if named:
        return named[0]
    return re.split(r"(?:'s|’s)\b", phrase)[0].strip() if re.search(r"(?:'s|’s)\b", phrase) else ""


def _possessor(phrase: str, entities: list[str]) -> str:
    """A side named by what it holds ("the UNISON blogger's", "the councillor's view of mutuals") is
    its holder; any other phrase is the side itself."""
    if re.search(r"(?:'s|’s)\b", phrase):
        return _side_of(phrase, entities) or phrase.strip()
    return phrase.strip()


_BOTH = re.compile(r"^\s*(?P<a>[^,.;:?!]{3,80}?)\s+and\s+(?P<b>[^,.;:?!]{3,80}?)\s+(?:both|each)\s+[a-z]",
                   re.IGNORECASE)
"""A context sentence that names two sides first: "X and Y both worry that..."."""
_BOTH_FIRST = re.compile(r"^\s*both\s+(?P<a>[^,.;:?!]{3,80}?)\s+and\s+(?P<b>[^,.;:?!]{3,80})", re.IGNORECASE)
"""... or "Both X and Y suggest that...": Y runs up to its verb (``_subject_end``)."""


def _subject_end(phrase: str) -> str:
    """A noun phrase cut before the verb that follows it: "the 2012 UNISON blogger suggest a council"
    -> "the 2012 UNISON blogger" (the first lower-case word that can be a verb, after a noun or a
    name, or a function word there, ends it)."""
    from rag.wordclass import word_classes

    words = phrase.split()
    seen_head = False
    for i, word in enumerate(words):
        low = word.lower()
        if seen_head and word[:1].islower() and (low in STOPWORDS or "verb" in word_classes(low)):
            return " ".join(words[:i])
        seen_head = seen_head or word[:1].isupper() or "noun" in word_classes(low)
    return phrase.strip()


_HOW_MEASURE = re.compile(r"\bhow\s+(?:long|much|many|far|old|big|large|often|tall|high|wide|deep|soon)\b",
                          re.IGNORECASE)
_EACH = re.compile(r"\b(each|both|the two|either)\b", re.IGNORECASE)
"""A question after such a context that asks of the two: "How does each put it?"."""


_ROLE_AFTER = (r"(?:councillor|writer|author|blogger|columnist|post|article|piece|blog|report|pledge|"
               r"manifesto|statement|announcement)s?")
"""A noun that, right after a name, makes the side a post or its author ("the 'Mutual suspicion'
councillor", "the Left Foot Forward writer"), or a text the name issued ("the Labour pledge")."""


def _with_role(name: str, text: str) -> str:
    """``name`` with the role noun that follows it in ``text`` (at most one lower-case word between):
    "the 'Mutual suspicion' councillor" is the councillor who wrote that post, and "the Mutual
    suspicion councillor" typed without quotes the same; a name with no such noun is itself."""
    m = re.search(rf"(?:\bthe\s+)?['‘\"“]?{re.escape(name)}['’\"”]?(?:\s+(?P<gap>[a-z]+))?\s+{_ROLE_AFTER}\b",
                  text)
    if m is None or (m.group("gap") and m.group("gap") in STOPWORDS | WH_WORDS | AUXILIARIES):
        return name
    return m.group().strip()


def _sides(text: str, entities: list[str], scopes: list[ScopeRef]) -> tuple[str, ...]:
    """What a comparison compares: two posts named, names joined by and/with/to/versus, or the posts
    in general (no sides)."""
    if len(scopes) >= 2:
        return tuple(s.phrase for s in scopes)
    m = _DIFFER.search(text)  # "How does the councillor's view ... differ from the LFF writer's?"
    if m:
        a, b = _side_of(m.group("a"), entities), _side_of(m.group("b"), entities)
        if a and b and a.lower() != b.lower():
            return (a, b)
    opening = re.match(r"^\s*(?P<a>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)\s+and\s+(?P<b>[A-Z][\w'’-]+(?:\s+[A-Z]"
                       r"[\w'’-]+)*)\b(?=.*\b(?:do|did|does|would) (?:they|both|the two)\b)", text)
    if opening:  # "Osborne and Jowell, as quoted in the article... - do they agree...?"
        return (opening.group("a"), opening.group("b"))
    paired = re.search(rf"^\s*{_HOW_FAR}(?:do|did|does|would)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)"
                       rf"(?:\s+(?:really|actually|also|still|ever))*\s+(?:(?:both|each)\s+[a-z]+|{_PART_WAYS})\b",
                       text, re.IGNORECASE)
    if paired:  # "Where do the 'Mutual suspicion' councillor and the 2012 UNISON blogger part ways..."
        return tuple(_possessor(paired.group(g), entities) for g in ("a", "b"))
    named = [e for e in entities if e.lower() not in ("posts", "post")]
    named = [e for e in named if not any(e != o and re.search(rf"\b{re.escape(e)}\b", o) for o in named)]
    # a name inside a reference to a post stands for that post ("the UNISON blogger from 2012")
    named = [next((s.phrase for s in scopes if re.search(rf"\b{re.escape(e)}\b", s.phrase)), e)
             for e in named]
    named = [_with_role(e, text) for e in named]
    if len(named) >= 2:
        return tuple(dict.fromkeys(named))
    for pattern in (rf"^\s*{_HOW_FAR}(?:do|did|does|would)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)"
                    r"(?:\s+(?:both|each|all|really|actually|also|still|ever))*\s+(?:agree|disagree|differ|share|see|view|regard|treat|judge|describe|think|feel)\b",
                    r"\bbetween\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)(?:\s+(?:on|about|over|regarding)\b|[?.!]|$)",
                    r"\b(?:compare|contrast)\s+(?P<a>.+?)\s+(?:with|to|and|against)\s+(?P<b>.+?)"
                    r"(?:\s+(?:on|about|over|regarding)\b|[?.!]|$)"):
        m = re.search(pattern, text, re.IGNORECASE)
        if m:  # "the councillor's view of mutuals" is the councillor's side
            return tuple(_possessor(m.group(g), entities) for g in ("a", "b"))
    return tuple(named)


SUBJECT_PRONOUN = re.compile(r"^(?P<head>\s*(?:and\s+|but\s+|so\s+)?(?:(?:what|how|when)\s+(?:exactly\s+|"
                             r"actually\s+|really\s+)?)?(?:do|does|did|"
                             r"would|will|could|should|might|can|has|have|had)\s+)(?P<pronoun>it|they|he|she)\b",
                             re.IGNORECASE)
"""A question whose subject is a pronoun ("And when will it report?", "What did she announce?")."""


def in_context(current: QuestionAnalysis, previous: QuestionAnalysis) -> QuestionAnalysis:
    """A follow-up read with the question before it: it keeps its own answer type, and takes the
    post, names and sides it leaves out from the previous question ("And why?" after "What did the
    UNISON post say about outsourcing?")."""
    answer_type = current.answer_type
    fact_type = current.fact_type
    if answer_type == AnswerType.FACT and not current.focus and current.fact_type == FactType.OTHER:
        answer_type, fact_type = previous.answer_type, previous.fact_type
    borrowed = previous.focus if not current.focus else subject_words(previous)
    holder = current.holder
    pronoun = SUBJECT_PRONOUN.match(current.text) if answer_type == AnswerType.STANCE else None
    if holder is None and pronoun:
        # "What did it recommend?" after a question on the Commission: the Commission's view is asked
        unlike = "person" if pronoun.group("pronoun").lower() == "it" else "thing"
        holder = next((e for e in (previous.holder, *previous.entities) if e and _name_kind(e) != unlike),
                      None)
    return replace(current, answer_type=answer_type, fact_type=fact_type, holder=holder,
                   scope=current.scope or previous.scope,
                   entities=current.entities or previous.entities,
                   sides=current.sides or previous.sides,
                   focus=tuple(dict.fromkeys(current.focus + tuple(borrowed))),
                   all_posts=current.all_posts or previous.all_posts,
                   context=tuple(borrowed) if current.focus else ())


def read_after(question: str, previous: str | None, answered: str = "") -> tuple[str, QuestionAnalysis]:
    """What to search for, and the question's analysis: a follow-up is read with the previous
    question ("And why?" as the whole of it; "And who funded it?" as its own words plus what the
    previous one was about); a standalone question, or one with nothing before it, is not. When
    "it" can stand for none of the previous question's names, it stands for the thing the last
    answer (``answered``) names beside them ("What is he chairing?" answered "...an independent
    Commission on Ownership, chaired by Will Hutton..." -> "Who funds it?")."""
    analysis = analyse(question)
    swapped = _with_other_name(question, previous) if previous else None
    if swapped is not None:  # "And Jowell?" after "What did Osborne say about mutuals?"
        return swapped, analyse(swapped)
    if previous and analysis.follow_up:
        before = analyse(previous)
        if analysis.focus or analysis.entities:  # its own words lead; the subject comes from before
            before = agreeing(before, question)
            thing = _thing_answered(before, question, answered)
            if thing:
                before = replace(before, entities=(thing,))
            borrowed = (*subject_words(before), *referred_to(question, previous))
            read = in_context(analysis, before)
            read = replace(read, context=tuple(dict.fromkeys((*read.context, *borrowed))),
                           focus=tuple(dict.fromkeys((*read.focus, *borrowed))))
            return f"{question} {' '.join(dict.fromkeys(borrowed))}", read
        return f"{previous} {question}", in_context(analysis, before)
    return question, analysis


_PART = re.compile(
    r"^(?P<a>(?:who|whom|whose|what|when|where|which|why|how|is|are|was|were|do|does|did|can|could|should|"
    r"would|will|has|have|had)\b.{8,}?)[,;]?\s+and\s+(?P<b>(?:who|whom|whose|what|when|where|which|why|how)\b"
    r".{3,})$", re.IGNORECASE)


def question_parts(question: str) -> tuple[str, ...]:
    """The questions a compound question asks ("Who chairs the Commission on Ownership and when will
    it report?" -> "Who chairs the Commission on Ownership?", "When will it report?"), or the question
    alone. Only a second clause opening with a question word counts, so "What did Osborne and Maude
    say?" and "How do X and Y differ?" stay whole."""
    text = " ".join(question.split())
    m = _PART.match(text)
    if not m or re.search(r"\b(between|both|either|whether)\b", m.group("a"), re.IGNORECASE):
        return (question,)
    first = m.group("a").rstrip(" ,;")
    second = m.group("b")
    second = second[0].upper() + second[1:]
    return (first if first.endswith("?") else first + "?", second if second.endswith("?") else second + "?")


_THING_PRONOUN = re.compile(r"\b(it|its)\b", re.IGNORECASE)
_PERSON_PRONOUN = re.compile(r"\b(he|him|his|she|her|hers)\b", re.IGNORECASE)
_THING_NOUN = lexicon(
    "commission committee council councils fund trust trusts party agency association organisation "
    "organization society foundation network union group programme program project scheme plan policy "
    "pledge report review bill act amendment conference office department ministry service services "
    "school schools hospital estate company bank cooperative co-operative motion resolution clause "
    "section article")
"""Nouns that end the name of a thing, not of a person ("the Commission on Ownership", "Co-operative
Party")."""


def _name_kind(name: str) -> str:
    """"thing" for a name that its words show to be a thing's ("Commission on Ownership", "UNISON",
    "Amendment 42.1"), "person" for two or three capitalised words with nothing of a thing's
    ("Tessa Jowell"), "" when its words cannot tell ("Osborne", "Barnet")."""
    words = name.split()
    # a capitalised function word other than an article is a first name ("Will Hutton")
    if any((w.lower() in STOPWORDS and (w.islower() or w in ("The", "A", "An"))) or w.lower() in _THING_NOUN
           or (w.isupper() and len(w) > 1)
           or any(ch.isdigit() for ch in w) for w in words):
        return "thing"
    return "person" if 2 <= len(words) <= 3 and all(w[:1].isupper() for w in words) else ""


_DEMONSTRATIVE = re.compile(r"\b(?:those|these|that|this|the same)\s+([A-Za-z][\w'’-]*)", re.IGNORECASE)


def referred_to(follow_up: str, previous: str) -> tuple[str, ...]:
    """What the follow-up's "those schools" or "that fund" is in the previous question, as it words
    it ("co-operative trust schools"): the noun with the words before it up to a function word;
    () when the previous question does not use the noun."""
    from rag.wordclass import word_classes

    found: list[str] = []
    words = _WORD.findall(previous)
    for m in _DEMONSTRATIVE.finditer(follow_up):
        noun = m.group(1).lower()
        for i, w in enumerate(words):
            if w.lower().rstrip("s") == noun.rstrip("s"):
                j = i
                while j > 0 and words[j - 1].lower() not in STOPWORDS | WH_WORDS | AUXILIARIES | FRAME_VERBS \
                        and ({"noun", "adj"} & word_classes(words[j - 1].lower())
                             or not word_classes(words[j - 1].lower())):
                    j -= 1  # the noun's modifiers: "co-operative trust", not "announcing"
                if j < i:  # "those schools": "co-operative trust schools", not "schools" alone
                    found.append(" ".join(words[j:i + 1]))
                break
    return tuple(found)


def agreeing(previous: QuestionAnalysis, follow_up: str) -> QuestionAnalysis:
    """The previous question with only the names a follow-up's pronoun can stand for: "it" a thing's
    ("Who chairs the Commission on Ownership that Tessa Jowell announced?" -> "And who funds it?" is
    about the commission, not Jowell), "he"/"she" a person's. Unchanged when the pronoun fits all or
    none of them."""
    wants_thing = bool(_THING_PRONOUN.search(follow_up))
    if wants_thing == bool(_PERSON_PRONOUN.search(follow_up)) or len(previous.entities) < 2:
        return previous
    wanted = "thing" if wants_thing else "person"
    kept = tuple(e for e in previous.entities if _name_kind(e) in (wanted, ""))
    return replace(previous, entities=kept) if kept else previous


_ELLIPTICAL = re.compile(r"^\s*(?:and|but|so|what about|how about|and what about|and how about)\s+"
                         r"(?P<name>.+?)\s*[?.!]*\s*$", re.IGNORECASE)
"""A follow-up that only names someone or something else ("And Jowell?", "What about UNISON?")."""


_NAME_GLUE = frozenset({"the", "of", "on", "for", "and"})


def _with_other_name(question: str, previous: str) -> str | None:
    """The previous question asked of the name an elliptical follow-up gives instead of the one it
    named ("What did Osborne say about mutuals?" -> "And Jowell?" -> "What did Jowell say about
    mutuals?"); None for any other follow-up, or when the previous question named no one."""
    m = _ELLIPTICAL.match(question)
    if m is None:
        return None
    name = m.group("name")
    words = _WORD.findall(name)
    # a name or a short noun phrase ("Jowell", "the councillor"), not "why", "what else" or a clause
    if not 1 <= len(words) <= 5 or words[0].lower() in WH_WORDS | {"else", "more", "then", "also"} or any(
            w.lower() in AUXILIARIES or (w.lower() in STOPWORDS and w.lower() not in _NAME_GLUE)
            or w.lower() in SCOPE_NOUNS for w in words):
        return None  # a post ("And the UNISON post?") is a scope, read as one
    last = (previous.split("?")[-2] + "?").strip() if previous.count("?") > 1 else previous
    before = analyse(last)
    if any(name.lower() in e.lower() for e in before.entities):
        return None  # "And Jowell?" after a question naming Tessa Jowell asks more of her
    old = next((e for e in before.entities if e in last), None)
    if old is None:
        return None
    if name.lower().startswith("the ") and f"the {old}" in last:
        old = f"the {old}"
    return last.replace(old, name, 1)


def _thing_answered(previous: QuestionAnalysis, follow_up: str, answered: str) -> str | None:
    """The thing's name in the last answer that a follow-up's "it" stands for, when none of the
    previous question's names is a thing's: the one named nearest them in the answer."""
    if not answered or not _THING_PRONOUN.search(follow_up) or _PERSON_PRONOUN.search(follow_up):
        return None
    if any(_name_kind(e) == "thing" for e in previous.entities):
        return None
    things = [e for e in dict.fromkeys(find_entities(answered)) if _name_kind(e) == "thing"
              and not any(e in p or p in e for p in previous.entities)]
    if not things:
        return None
    at = [answered.find(p) for p in previous.entities if p in answered]

    def distance(name: str) -> int:
        where = answered.find(name)
        return min((abs(where - a) for a in at), default=where)

    return min(things, key=distance)


def subject_words(analysis: QuestionAnalysis) -> tuple[str, ...]:
    """What a question is about, in a few words: its names, else the post it names, else its focus.
    A follow-up with its own focus ("And who funded it?") borrows only these from the question
    before it, so its own words decide the answer."""
    if analysis.entities:
        return analysis.entities
    if analysis.scope is not None:
        return (analysis.scope.words,)
    return analysis.focus


_OPENING_WORD = re.compile(r"^(\s*(?:and\s+|but\s+|so\s+)?)([A-Za-z]{3,6})\s+(?P<next>[A-Za-z']+)",
                           re.IGNORECASE)
_AFTER_QUESTION_WORD = frozenset({"many", "much", "long", "often", "far", "kind", "kinds", "sort", "sorts",
                                  "type", "types"})


_CLIPPED = lexicon("whats whos wheres hows whens whys")
"""A question word and "is" typed without the apostrophe."""


def mend_question_word(question: str) -> str:
    """A question whose opening question word has a typo ("Whta did...", "Hwo many...") with the word
    mended: one swap, insertion, deletion or substitution (optimal string alignment distance 1,
    rapidfuzz) from a question word, with the same first letter, and followed by what follows a
    question word ("did", "is", "many"). Any other opening word stays."""
    m = _OPENING_WORD.match(question)
    if not m or m.group(2).lower() in WH_WORDS | AUXILIARIES:
        return question
    if m.group(2).lower() in _CLIPPED:  # "whats the name of...": "what's", not "what"
        return question[:m.end(2) - 1] + "'s" + question[m.end(2):]
    # "Wich councel was...?": which, what and whose come before a noun too, in a question that asks
    before_noun = m.group("next").lower() not in AUXILIARIES | _AFTER_QUESTION_WORD
    if before_noun and not question.rstrip().endswith("?"):
        return question  # "Hot topics" is no question
    from rapidfuzz.distance import OSA

    typed = m.group(2)
    if before_noun:  # only a typo, not an English word of its own ("Wheat prices rose?")
        from rag.wordclass import word_classes

        if word_classes(typed):
            return question
    for word in ("what", "which", "who", "whom", "whose", "when", "where", "why", "how"):
        if before_noun and word not in ("what", "which", "whose"):
            continue
        if word[0] == typed[0].lower() and OSA.distance(typed.lower(), word) == 1:
            mended = word.capitalize() if typed[0].isupper() else word
            return question[:m.start(2)] + mended + question[m.end(2):]
    return question


CUE_WORDS = ("difference", "differences", "different", "differ", "differs", "compare", "compared",
             "comparison", "contrast", "similarities", "similar", "summarise", "summarize", "summary",
             "reason", "reasons", "because", "argument", "arguments", "opinion", "disagree", "agree")
"""Words that say what kind of answer a question wants ("Whats the diffrence between..."): a typo in
one loses the answer type."""
_CUE_TYPO = re.compile(r"\b[A-Za-z]{5,}\b")


def mend_cue_words(question: str) -> str:
    """The question with a misspelt answer-type word mended ("diffrence", "comapre", "sumarise"):
    one edit (optimal string alignment distance 1, rapidfuzz) from a word of ``CUE_WORDS``, with the
    same first letter, and no English word of its own (WordNet's lists). Other words stay: the
    posts' vocabulary mends those (``rag.answering.evidence``)."""
    from rapidfuzz.distance import OSA

    from rag.wordclass import word_classes

    def mend(m: re.Match[str]) -> str:
        typed = m.group()
        low = typed.lower()
        if low in CUE_WORDS:
            return typed
        near = next((word for word in CUE_WORDS if word[0] == low[0] and abs(len(word) - len(low)) <= 1
                     and OSA.distance(low, word) == 1), None)
        if near is None or word_classes(low):  # only then the word lists: most words are near no cue
            return typed
        return near.capitalize() if typed[0].isupper() else near

    return _CUE_TYPO.sub(mend, question)


KNOWN_CONTEXT = re.compile(
    r"^\s*(?:i|we)\s+(?:know|understand|realise|realize|gather|get|see|appreciate)\b[^?]{3,200}?,\s*"
    r"(?:but|and|so)\s+(?=(?:who|whom|whose|what|when|where|which|why|how|is|are|was|were|do|does|did|can|"
    r"could|has|have|had|will|would|should)\b)", re.IGNORECASE)
"""What the asker says they know, before the question itself: "I know X, but did Y...?"."""


@lru_cache(maxsize=4096)
def asked_sentence(text: str) -> str:
    """The sentence that asks, when a question of several sentences sets out its context first
    ("Labour's 2010 pledge talked about... How does that sit against the councillor's
    reservations?"): the last sentence, when it alone ends in a question mark; else the whole text.
    Sentences are blingfire's (https://github.com/microsoft/BlingFire)."""
    known = KNOWN_CONTEXT.match(text)
    if known:  # "I know the coalition reversed it, but did Northern Rock ever...?"
        return text[known.end():]
    if text.count("?") != 1 or not text.rstrip().endswith("?") or not re.search(r"[.!:;]\s", text):
        return text  # one sentence: nothing to split
    import blingfire

    sentences = [s for s in blingfire.text_to_sentences(text).split("\n") if s.strip()]
    return sentences[-1] if len(sentences) > 1 else text


def _asks_of_post(core: str, scope: ScopeRef) -> bool:
    """Whether the post a question names is what it asks about ("In a nutshell, what does the perils
    post say?"), not where to find something else it asks about ("In a nutshell, what did the
    pledge quoted in the June 2010 post promise?"): nothing but function and frame words comes
    before the post's name."""
    at = core.lower().find(scope.phrase.lower())
    if at < 0:
        return True
    before = core[:at]
    author = re.search(r"\b(?:the )?\w+ (?:who|that) (?:wrote|writes|penned|authored)\s*$", before,
                       re.IGNORECASE)
    if author:  # "the councillor who wrote 'Mutual suspicion'": its author, so the post
        before = before[:author.start()]
    words = (_clean_word(m.group()).lower() for m in _words(_OPENER.sub("", before)))
    return all(w in STOPWORDS or w in WH_WORDS or w in AUXILIARIES or w in IMPERATIVES or w in FRAME_VERBS
               or w in FRAME_NOUNS or len(w) < 2 for w in words)


def _counted(noun: str) -> str | None:
    """The noun "how many" counts, without its determiner ("of those schools": "schools"); None for a
    pronoun ("how many of each", "of them"), which counts what the conversation is about."""
    noun = re.sub(r"^(?:of\s+)?(?:the|those|these|its|their|his|her|our|my|your)\s+", "", noun,
                  flags=re.IGNORECASE)
    if re.fullmatch(r"(?:of\s+)?(?:each|them|these|those|it|all|both|either|every one)", noun, re.IGNORECASE):
        return None
    return noun


@lru_cache(maxsize=4096)
def analyse(question: str) -> QuestionAnalysis:
    """The analysis of one question (see ``QuestionAnalysis``). Never raises; an empty or odd
    question is a fact question with no focus."""
    text = " ".join(question.split())
    # "And who funded it?" asks what "Who funded it?" asks; "X and Y both worry that... How do their
    # concerns compare?" asks what its last sentence asks, of the names the whole text gives
    core = unframed(_OPENER.sub("", asked_sentence(text)))
    entities = find_entities(unframed(_OPENER.sub("", text)) if core != text else core)
    scopes = _scopes_from(text)
    scope = scopes[0] if scopes else None
    answer_type = _answer_type(core, scope, entities)
    gist = _SUMMARY_OPENER.match(asked_sentence(text)) or _MAINLY.search(core)
    if gist and answer_type in (AnswerType.FACT, AnswerType.STANCE) and scope is not None \
            and fact_type_of(core) is None and _asks_of_post(core, scope):
        answer_type = AnswerType.SUMMARY  # "In a nutshell, what does the perils post say?"
    fact_type = fact_type_of(core) if answer_type in (AnswerType.FACT, AnswerType.LIST) else None
    if answer_type == AnswerType.FACT and fact_type is None and re.match(r"^\s*(who|whom|whose)\b", core,
                                                                         re.IGNORECASE):
        fact_type = FactType.PERSON
    if answer_type == AnswerType.FACT and fact_type is None:
        fact_type = FactType.OTHER
    scope_words = {w.lower() for w in _WORD.findall(scope.words)} if scope else set()
    focus: list[str] = []
    frame: list[str] = []
    # "how long": the kind of answer, not the topic; "In short, ...": an opener, not the topic
    for m in _words(_HOW_MEASURE.sub("how", _OPENER.sub("", text, count=1))):
        word = _clean_word(m.group())
        low = word.lower()
        if low in STOPWORDS or low in WH_WORDS or low in AUXILIARIES or low in IMPERATIVES or len(low) < 2:
            continue
        if low in FRAME_VERBS or low in FRAME_NOUNS or low in EVALUATIVE_NOUNS:
            frame.append(word)
        elif low in scope_words and answer_type in (AnswerType.SUMMARY, AnswerType.POST):
            continue  # "the Mutual suspicion post": names the post, not the topic
        else:
            focus.append(word)
    sides = _sides(text, entities, scopes) if answer_type == AnswerType.COMPARISON else ()
    context = answer_type != AnswerType.COMPARISON and core != text
    unsided = answer_type == AnswerType.COMPARISON and len(sides) < 2 and core != text
    both = (_BOTH.match(text) or _BOTH_FIRST.match(text)) if context or unsided else None
    # "X and Y both suggest... How does each put it?", "... Do they agree that...?"
    if both and (unsided or _EACH.search(core)):
        answer_type, sides = AnswerType.COMPARISON, (both.group("a"), _subject_end(both.group("b")))
    if answer_type == AnswerType.COMPARISON and len(sides) >= 2:
        scope = None  # two sides compared: neither restricts the answer
    count = _COUNT_NOUN.search(text) or _COUNT_QUALIFIED.search(text)
    follow_up = bool(_FOLLOW_OPENER.search(text)) or (
        bool(_PRONOUN.search(text)) and not entities and scope is None and len(focus) <= 1)
    return QuestionAnalysis(
        text=text, answer_type=answer_type, fact_type=fact_type, focus=tuple(dict.fromkeys(focus)),
        frame=tuple(dict.fromkeys(frame)), entities=tuple(entities), scope=scope, sides=sides,
        count_noun=_counted(count.group("noun")) if count else None,
        holder=_holder(text, entities, scopes) if answer_type == AnswerType.STANCE else None,
        strict_type=fact_type in _ALWAYS_STRICT or bool(
            fact_type and _STRICT.get(fact_type, _NEVER).search(core)),
        exact_date=fact_type == FactType.DATE and bool(_EXACT_DATE.search(text)),
        post_attribute=_post_attribute(text) if answer_type == AnswerType.POST else None,
        negated=bool(_NEGATION.search(text)), follow_up=follow_up,
        wants_more=follow_up and bool(_MORE.search(text)),
        all_posts=bool(_COLLECTION.search(text) or MENTIONS.search(text) or re.search(
            r"\b(the|these|those|all|both|different|various|other) (\w+\s)?(posts|articles|blogs|authors|"
            r"writers|bloggers)\b", text, re.IGNORECASE)),
        quoted=tuple((m.group(1) or m.group(2) or "").strip() for m in _QUOTED.finditer(text)))
