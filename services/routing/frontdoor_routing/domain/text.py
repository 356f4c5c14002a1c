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
from itertools import pairwise

_WORD = re.compile(r"[a-z0-9]+")
FUZZY_MIN_LENGTH = 6
_MEMORY = 50_000
"""Written words whose matches a matcher remembers before it starts afresh (bounded memory)."""
Phrase = tuple[str, ...]


def words_of(text: str) -> tuple[str, ...]:
    """Lower-case ASCII words, punctuation and accents removed: "Bin's NOT collected!" -> (bin, s, not, collected)."""
    if text.isascii():  # most text: folding accents would change nothing
        folded = text.lower()
    else:
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return tuple(_WORD.findall(folded.replace("'", "")))


def phrase_of(text: str) -> Phrase:
    """A configured phrase's words, keeping a trailing `*` on a word as a prefix match."""
    return tuple(word + ("*" if token.endswith("*") else "") for token in text.split() for word in words_of(token))


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _swaps(word: str) -> set[str]:
    return {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}


class PhraseMatcher:
    """Which of a fixed set of phrases a text contains.

    The phrases are compiled into one automaton over words: a trie of phrase words,
    read word by word. A state is the set of trie nodes still alive after the words
    read so far (phrases begun and not yet finished or broken); the step from a state
    on a written word is worked out once and remembered, so a text costs about one
    dictionary look-up per word. Two written words joined into one phrase word skip
    a position, so the nodes they reach join the state two words on.
    """

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases: frozenset[Phrase] = frozenset(p for p in phrases if p)
        self._exact: dict[str, set[str]] = defaultdict(set)
        self._missing_letter: dict[str, set[str]] = defaultdict(set)
        self._long: dict[str, set[str]] = defaultdict(set)
        self._prefix: dict[str, set[str]] = defaultdict(set)
        self._joined: dict[str, set[Phrase]] = defaultdict(set)
        # the trie: node 0 is the root; _children[node][phrase word] -> node; _ends[node] -> the phrase ending there
        self._children: list[dict[str, int]] = [{}]
        self._ends: dict[int, Phrase] = {}
        for phrase in self.phrases:
            node = 0
            for word in phrase:
                following = self._children[node].get(word)
                if following is None:
                    following = self._children[node][word] = len(self._children)
                    self._children.append({})
                node = following
            self._ends[node] = phrase
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
        # every phrase word split in two, to spot it written as two words
        self._splits = frozenset((word[:cut], word[cut:]) for word in self._exact for cut in range(len(word) + 1))
        self._seen: dict[str, frozenset[str]] = {}
        self._forget()

    def _forget(self) -> None:
        """Start the automaton's remembered states and steps afresh (bounded memory)."""
        self._states: list[frozenset[int]] = [frozenset({0})]
        self._state_ids: dict[frozenset[int], int] = {self._states[0]: 0}
        # _steps[state][written word] -> (next state, phrases finished)
        self._steps: list[dict[str, tuple[int, tuple[Phrase, ...]]]] = [{}]
        self._remembered = 0

    def _state(self, nodes: frozenset[int]) -> int:
        found = self._state_ids.get(nodes)
        if found is None:
            found = self._state_ids[nodes] = len(self._states)
            self._states.append(nodes)
            self._steps.append({})
        return found

    def _advance(self, nodes: frozenset[int], words: Iterable[str]) -> tuple[frozenset[int], tuple[Phrase, ...]]:
        """The nodes reached from `nodes` on any of `words` (with the root: a phrase may start anywhere) and the
        phrases finished on the way."""
        reached, finished = {0}, []
        children, ends = self._children, self._ends
        for node in nodes:
            step = children[node]
            if not step:
                continue
            for word in words:
                following = step.get(word)
                if following is not None:
                    if following in ends:
                        finished.append(ends[following])
                    if children[following]:
                        reached.add(following)
        return frozenset(reached), tuple(finished)

    def _step(self, state: int, token: str) -> tuple[int, tuple[Phrase, ...]]:
        reached, finished = self._advance(self._states[state], self._matches(token))
        found = self._steps[state][token] = (self._state(reached), finished)
        self._remembered += 1
        return found

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
        if self._remembered >= _MEMORY:
            self._forget()
        steps, step = self._steps, self._step
        present: set[Phrase] = set()
        state = 0
        splits = self._splits.intersection(pairwise(words))
        if not splits:  # no two written words make one phrase word: the common case, word by word
            for token in words:
                state, finished = steps[state].get(token) or step(state, token)
                if finished:
                    present.update(finished)
        else:
            later: dict[int, set[int]] = {}  # position -> nodes reached there by two written words joined
            for position, token in enumerate(words):
                if position in later:
                    state = self._state(self._states[state] | later.pop(position))
                if position + 1 < len(words) and (token, words[position + 1]) in splits:
                    reached, joined = self._advance(self._states[state], (token + words[position + 1],))
                    present.update(joined)
                    later.setdefault(position + 2, set()).update(reached)
                state, finished = steps[state].get(token) or step(state, token)
                if finished:
                    present.update(finished)
        for written in self._joined.keys() & set(words):
            present.update(self._joined[written])
        return frozenset(present)
