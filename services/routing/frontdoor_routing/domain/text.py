"""Text normalisation for matching words and phrases in what customers write."""

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def words_of(text: str) -> tuple[str, ...]:
    """Lower-case ASCII words, punctuation and accents removed: "Bin's NOT collected!" -> (bin, s, not, collected)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return tuple(word for word in _NOT_WORD.split(folded) if word)


def contains_phrase(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """True when the phrase's words appear consecutively in `words`.

    A phrase word ending in `*` matches any word it begins (`collect*` matches `collection`).
    """
    size = len(phrase)
    if size == 0 or size > len(words):
        return False
    for start in range(len(words) - size + 1):
        if all(_word_matches(words[start + i], phrase[i]) for i in range(size)):
            return True
    return False


def _word_matches(word: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    return word == pattern
