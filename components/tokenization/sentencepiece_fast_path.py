"""The fast path of SentencePiece normalization: which rows can skip the per-code-point
normalizers, and the string-level steps they take instead.

On a row of fast-path characters every normalizer step is exactly a string-level op: Replace
and Strip themselves; NF* and StripAccents the identity; Lowercase ASCII lowering
(tf.strings.lower) with every other character its own lowercase; Precompiled a few regex
passes, since each character is a grapheme of its own there but for CR LF. Each candidate
character is followed through the steps (and what the steps make of it); it is a fast-path
character only if every step keeps to that.
"""
import unicodedata
from typing import Callable, List, NamedTuple, Optional, Set

import numpy as np
import tensorflow as tf

from tfx_hf.components.tokenization.code_points import CAPITAL_I_WITH_DOT
from tfx_hf.components.tokenization.precompiled_charsmap import read_charsmap
from tfx_hf.components.tokenization.sentencepiece_tables import (
    COMBINING_MARK, GRAPHEME_EXTEND, GRAPHEME_PREPEND)

CR, LF = 0x0D, 0x0A
# Fast-path rows have these characters only, and of them only those that every normalizer
# step maps one by one as its fast variant does.
_CANDIDATES = list(range(0x00, 0x80)) + list(range(0xA0, 0x300))
# Precompiled replacements the fast path applies (one regex pass each); characters with any
# other replacement send their row to the exact path.
_FAST_VALUES = ("", " ")
_NORMAL_FORMS = ("NFC", "NFD", "NFKC", "NFKD")

TextStep = Callable[[tf.Tensor], tf.Tensor]


class FastPath(NamedTuple):
    row_pattern: str  # RE2: a row that fully matches it takes the fast path
    steps: List[TextStep]  # the normalizer's string-level variants, in order


def char_class(cps) -> str:
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in sorted(cps)) + "]"


def plan_fast_path(steps: List[dict], exact_steps: List[TextStep], flags: np.ndarray,
                   lower: np.ndarray) -> Optional[FastPath]:
    """The fast path of a normalizer (its tokenizer.json steps and their exact functions),
    or None when it has none."""
    planner = _Planner(steps, flags, lower)
    for i, step in enumerate(steps):
        if step.get("type") == "Replace" and not all(
                planner.follows(ord(c), i + 1) for c in step["content"]):
            return None  # what a Replace writes must itself stay on the fast path
    fast_chars = [cp for cp in _CANDIDATES if planner.follows(cp, 0)]
    if not fast_chars:
        return None
    return FastPath(char_class(fast_chars) + "*", planner.fast_steps(exact_steps, fast_chars))


class _Planner:
    def __init__(self, steps: List[dict], flags: np.ndarray, lower: np.ndarray):
        self.steps, self.flags, self.lower = steps, flags, lower
        self.charsmaps = [read_charsmap(step["precompiled_charsmap"])
                          if step.get("type") == "Precompiled" and step.get("precompiled_charsmap")
                          else None for step in steps]

    def follows(self, cp: int, first: int) -> bool:
        """Whether `cp`, met at step `first`, goes through the fast variants."""
        chars = {cp}
        for step, charsmap in zip(self.steps[first:], self.charsmaps[first:]):
            following = set()
            for c in chars:
                image = self._image(step.get("type"), charsmap, c)
                if image is None:
                    return False
                following |= image
            chars = following
        return True

    def _image(self, kind: str, charsmap, c: int) -> Optional[Set[int]]:
        """What the fast variant of a step makes of `c`, or None where it is not exact."""
        if kind in _NORMAL_FORMS:
            unchanged = c < 0x300 and unicodedata.normalize(kind, chr(c)) == chr(c) \
                and not unicodedata.combining(chr(c))
            return {c} if unchanged else None
        if kind == "StripAccents":
            return None if self.flags[c] & COMBINING_MARK else {c}
        if kind == "Lowercase":
            low = int(self.lower[c]) if c < len(self.lower) else c
            if c == CAPITAL_I_WITH_DOT or (c >= 0x80 and low != c) or (
                    c < 0x80 and chr(low) != chr(c).lower()):
                return None
            return {low}
        if kind == "Precompiled" and charsmap:
            value = self._precompiled_value(charsmap, c)
            return None if value is None else {ord(v) for v in value}
        return {c}  # Replace and Strip (the same op), Precompiled without a charsmap

    def _precompiled_value(self, charsmap, cp: int) -> Optional[str]:
        """What the fast Precompiled makes of `cp` (a string), or None if it cannot."""
        single, multi = charsmap
        if self.flags[cp] & (GRAPHEME_EXTEND | GRAPHEME_PREPEND) or not (
                cp < 0x300 or cp == 0x2581):
            return None  # may join a grapheme with its neighbours
        value = single.get(cp, chr(cp))
        if cp in single and value not in _FAST_VALUES:
            return None
        if cp == CR:  # "\r\n" is one grapheme: its shortest key prefix, or each char
            crlf = single.get(CR, multi.get("\r\n"))
            if crlf is not None and crlf not in _FAST_VALUES:
                return None
            value += crlf or ""  # (only the characters the step may write count)
        return value

    def fast_steps(self, exact_steps: List[TextStep], fast_chars: List[int]) -> List[TextStep]:
        """The string-level variant of each step that is not the identity on fast-path rows,
        following the characters each step can meet there (for the Precompiled passes)."""
        fast, chars = [], set(fast_chars)
        for step, charsmap, exact in zip(self.steps, self.charsmaps, exact_steps):
            kind = step.get("type")
            if kind in ("Replace", "Strip"):
                fast.append(exact)
                if kind == "Replace":
                    chars |= {ord(c) for c in step["content"]}
            elif kind == "Lowercase":
                fast.append(tf.strings.lower)  # ASCII bytes only
                chars = {int(self.lower[c]) if c < 0x80 else c for c in chars}
            elif kind == "Precompiled" and charsmap:
                fast.append(_fast_precompiled(charsmap, chars))
                chars = {ord(v) for c in chars for v in self._precompiled_value(charsmap, c)}
            # NF*, StripAccents, an empty Precompiled: the identity on these rows
        return fast


def _fast_precompiled(charsmap, chars: Set[int]) -> TextStep:
    """Precompiled on text of `chars` (each a grapheme but for CR LF, with a replacement
    of "" or " " or none): CR LF first, then one regex pass per replacement. No pass
    meets what another wrote: " " is no key (checked), CR LF are done first."""
    single, multi = charsmap
    passes = []
    if CR in chars and LF in chars:
        crlf = single.get(CR, multi.get("\r\n"))
        if crlf is not None:
            passes.append(("\r\n", crlf))
    for value in _FAST_VALUES:
        keys = [c for c in chars if single.get(c) == value]
        if keys:
            passes.append((char_class(keys), value))
    if any(ord(v) in single for _, value in passes for v in value):
        raise AssertionError("a fast-path Precompiled replacement is itself a key")

    def apply(text):
        for regex, value in passes:
            text = tf.strings.regex_replace(text, regex, value)
        return text
    return apply
