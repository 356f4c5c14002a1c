"""The compiled phrase matcher finds exactly what the definition of a match says, on any text.

The oracle below is the definition written out plainly, position by position, as
the matcher was before it was compiled into an automaton: a phrase is present when
its words follow one another in the text, each phrase word matched by one written
word (exactly, as a prefix for `word*`, or forgiving one slip in a long word) or by
two written words joined; and a phrase is present when its words are written as one.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdoor_routing.config import load_directory, load_rules
from frontdoor_routing.domain import text as text_module
from frontdoor_routing.domain.text import PhraseMatcher, phrase_of, words_of
from frontdoor_routing.settings import RoutingSettings


def oracle(matcher: PhraseMatcher, words: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    exact = {word for phrase in matcher.phrases for word in phrase if not word.endswith("*")}
    one = [matcher._work_out(token) for token in words]
    two = [{words[i] + words[i + 1]} & exact for i in range(len(words) - 1)] + [set()]

    def follows(phrase: tuple[str, ...], index: int, position: int) -> bool:
        if index == len(phrase):
            return True
        if position >= len(words):
            return False
        word = phrase[index]
        return (word in one[position] and follows(phrase, index + 1, position + 1)) or (
            word in two[position] and follows(phrase, index + 1, position + 2)
        )

    present = set()
    for phrase in matcher.phrases:
        if any(follows(phrase, 0, start) for start in range(len(words))):
            present.add(phrase)
        if len(phrase) > 1 and not any(w.endswith("*") for w in phrase) and "".join(phrase) in words:
            present.add(phrase)
    return frozenset(present)


@pytest.fixture(scope="module")
def default_matcher() -> PhraseMatcher:
    defaults = RoutingSettings()
    rules = load_rules(defaults.routing_rules_path, load_directory(defaults.routing_directory_path))
    return rules._matcher


def _vocabulary(matcher: PhraseMatcher) -> list[str]:
    return sorted({word.rstrip("*") for phrase in matcher.phrases for word in phrase})


def _slips(word: str) -> list[str]:
    """The word, a letter dropped, two letters swapped, split in two, and a prefix word's longer forms."""
    forms = [word, word + "s", word + "ion", word + "ing"]
    if len(word) > 2:
        forms += [word[1:], word[:-1] + word[-1] * 2, word[0] + word[2:], word[0] + word[2] + word[1] + word[3:]]
        forms += [word[:2] + " " + word[2:]]
    return forms


@st.composite
def texts(draw, vocabulary: list[str]) -> str:
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(vocabulary).flatmap(lambda w: st.sampled_from(_slips(w))),
                st.sampled_from(["the", "a", "not", "my", "and", "bin", "street", "pot", "hole", "fly", "tip"]),
                st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=9),
            ),
            max_size=30,
        )
    )
    joiners = draw(
        st.lists(st.sampled_from([" ", " ", " ", "", ", ", "'"]), min_size=len(pieces), max_size=len(pieces))
    )
    return "".join(piece + joiner for piece, joiner in zip(pieces, joiners, strict=True))


def test_the_oracle_finds_phrases_written_apart_and_together(default_matcher):
    words = words_of("missed colection again and a pot hole by the flytipping")
    found = oracle(default_matcher, words)
    assert {phrase_of("pothole"), phrase_of("fly tipping"), phrase_of("flytipping")} <= found
    assert default_matcher.find(words) == found


def test_the_default_rules_phrases_on_generated_texts(default_matcher):
    vocabulary = _vocabulary(default_matcher)

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(texts(vocabulary))
    def check(written: str) -> None:
        words = words_of(written)
        assert default_matcher.find(words) == oracle(default_matcher, words), written

    check()


PHRASES = [
    phrase_of(p)
    for p in [
        "pothole",
        "pot hole outside",
        "fly tipping",
        "missed collection",
        "missed collect* again",
        "bin",
        "bin not emptied",
        "not emptied",
        "street light out",
        "light out",
        "neighbours noise",
        "council tax rebate",
        "tax",
    ]
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "pot",
                "hole",
                "pothole",
                "outside",
                "fly",
                "tipping",
                "flytipping",
                "missed",
                "colection",
                "collections",
                "again",
                "bin",
                "bins",
                "not",
                "emptied",
                "street",
                "light",
                "out",
                "nieghbours",
                "noise",
                "council",
                "tax",
                "rebate",
                "the",
                "a",
                "potholeoutside",
            ]
        ),
        max_size=25,
    )
)
def test_overlapping_phrases_and_joins(written):
    matcher = PhraseMatcher(PHRASES)
    words = words_of(" ".join(written))
    assert matcher.find(words) == oracle(matcher, words)


def test_a_phrase_in_progress_when_two_words_join():
    matcher = PhraseMatcher(PHRASES)
    assert phrase_of("pot hole outside") in matcher.find(words_of("a pot hole outside"))
    assert phrase_of("pothole") in matcher.find(words_of("a pot hole outside"))
    assert phrase_of("street light out") in matcher.find(words_of("the street li ght out"))
    assert phrase_of("street light out") not in matcher.find(words_of("the street light is out"))


def test_forgetting_its_memory_changes_nothing(monkeypatch):
    monkeypatch.setattr(text_module, "_MEMORY", 5)
    matcher = PhraseMatcher(PHRASES)
    written = ["the bin not emptied", "missed colection again", "a pot hole outside", "council tax rebate"] * 5
    first = [matcher.find(words_of(w)) for w in written]
    assert matcher._remembered <= 5 + max(len(words_of(w)) for w in written)
    assert first == [oracle(matcher, words_of(w)) for w in written]
    assert all(first)
