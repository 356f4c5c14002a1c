"""Finding words and phrases in what customers write, robust to case, punctuation and misspelling.

A phrase is a sequence of words. A word ending in `*` matches any word it begins
(`collect*` matches `collection`). Other words of six letters or more also match
a word with one letter missing, one letter extra or two neighbouring letters
swapped, when it starts with the same letter (`rubbish` matches `rubish`,
`neighbours` matches `nieghbours`). A letter written in place of another is not
forgiven: it turns too many real words into each other (`thinks` and `thanks`).
Two written words match one phrase word when joined (`pot hole` matches
`pothole`), and a phrase matches its words written as one (`fly tipping`
matches `flytipping`).

`PhraseMatcher` indexes every phrase once, so finding which of hundreds of
phrases a text contains costs a few dictionary look-ups per word.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

_NOT_WORD = re.compile(r"[^a-z0-9]+")
FUZZY_MIN_LENGTH = 6
_MEMORY = 50_000
"""Written words whose matches a matcher remembers before it starts afresh (bounded memory)."""
Phrase = tuple[str, ...]


def words_of(text: str) -> tuple[str, ...]:
    """Lower-case ASCII words, punctuation and accents removed: "Bin's NOT collected!" -> (bin, s, not, collected)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = folded.replace("'", "")
    return tuple(word for word in _NOT_WORD.split(folded) if word)


def phrase_of(text: str) -> Phrase:
    """A configured phrase's words, keeping a trailing `*` on a word as a prefix match."""
    return tuple(word + ("*" if token.endswith("*") else "") for token in text.split() for word in words_of(token))


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _swaps(word: str) -> set[str]:
    return {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}


class PhraseMatcher:
    """Which of a fixed set of phrases a text contains."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases: frozenset[Phrase] = frozenset(p for p in phrases if p)
        self._exact: dict[str, set[str]] = defaultdict(set)
        self._missing_letter: dict[str, set[str]] = defaultdict(set)
        self._long: dict[str, set[str]] = defaultdict(set)
        self._prefix: dict[str, set[str]] = defaultdict(set)
        self._by_first: dict[str, set[Phrase]] = defaultdict(set)
        self._joined: dict[str, set[Phrase]] = defaultdict(set)
        self._single: dict[str, Phrase] = {}
        for phrase in self.phrases:
            if len(phrase) == 1:
                self._single[phrase[0]] = phrase
            else:
                self._by_first[phrase[0]].add(phrase)
            if len(phrase) > 1 and not any(w.endswith("*") for w in phrase):
                self._joined["".join(phrase)].add(phrase)
            for word in phrase:
                if word.endswith("*"):
                    self._prefix[word[:-1]].add(word)
                    continue
                self._exact[word].add(word)
                if len(word) >= FUZZY_MIN_LENGTH:
                    self._long[word].add(word)
                    for variant in _deletes(word):
                        self._missing_letter[variant].add(word)
        self._prefix_lengths = sorted({len(p) for p in self._prefix})
        self._seen: dict[str, frozenset[str]] = {}

    def _matches(self, token: str) -> frozenset[str]:
        """Phrase words this written token matches; remembered, since people use the same words again and again."""
        found = self._seen.get(token)
        if found is None:
            if len(self._seen) >= _MEMORY:
                self._seen.clear()
            found = self._seen[token] = frozenset(self._work_out(token))
        return found

    def _work_out(self, token: str) -> set[str]:
        found = set(self._exact.get(token, ()))
        for length in self._prefix_lengths:
            if length > len(token):
                break
            found |= self._prefix.get(token[:length], set())
        if len(token) >= FUZZY_MIN_LENGTH - 1:
            near = set(self._missing_letter.get(token, ()))  # a letter missing from the token
            for variant in _deletes(token) | _swaps(token):  # a letter too many, or two swapped
                near |= self._long.get(variant, set())
            found |= {word for word in near if word[0] == token[0]}
        return found

    def find(self, words: tuple[str, ...]) -> frozenset[Phrase]:
        """Every phrase present in `words`."""
        count = len(words)
        # one[i]: phrase words the written word at i matches; two[i]: those it matches joined with the next
        one = [self._matches(token) for token in words]
        two = [self._exact.get(words[i] + words[i + 1], _NONE) for i in range(count - 1)]
        two.append(_NONE)
        present: set[Phrase] = set()
        single, by_first = self._single, self._by_first
        for i in range(count):
            for matched, span in ((one[i], 1), (two[i], 2)):
                for word in matched:
                    if word in single:
                        present.add(single[word])
                    after = i + span
                    candidates = by_first.get(word)
                    if not candidates or after >= count:
                        continue
                    following = one[after] | two[after] if two[after] else one[after]
                    for phrase in candidates:
                        # cheap check of the second word first: most phrases fail there
                        if phrase[1] in following and phrase not in present and _continues(one, two, phrase, 1, after):
                            present.add(phrase)
            for phrase in self._joined.get(words[i], ()):
                present.add(phrase)
        return frozenset(present)


_NONE: frozenset[str] = frozenset()


def _continues(one: list, two: list, phrase: Phrase, index: int, position: int) -> bool:
    if index == len(phrase):
        return True
    if position >= len(one):
        return False
    word = phrase[index]
    return (word in one[position] and _continues(one, two, phrase, index + 1, position + 1)) or (
        word in two[position] and _continues(one, two, phrase, index + 1, position + 2)
    )
