"""Writes `unicode_tables.py`, `sentencepiece_tables.py` and `byte_level_tables.py`: per code
point, what 🤗 `tokenizers` (Rust) does to it in the BERT normalizer and pre-tokenizer, in the
SentencePiece normalizers (StripAccents and the grapheme clusters `Precompiled` works on), and
in the ByteLevel pre-tokenizer's GPT-2 regex (Oniguruma's \\s, \\p{L}, \\p{N}), probed from the
installed libraries.

Rust's Unicode tables (char::is_whitespace, char::to_lowercase, the unicode_categories crate)
are neither ICU's (tensorflow-text) nor RE2's (tf.strings.regex_*): probing the reference gives
tables that agree with it by construction. The tables are written one range (or one code point)
per line so that a change shows as a readable diff. Rerun after upgrading `tokenizers` or
`regex` (tests/test_tokenization_parity.py regenerates both in memory and compares):
    python -m tfx_hf.components.tokenization.make_unicode_tables

Only this generator needs `tokenizers` and `regex`; the runtime imports the tables it wrote.
"""
import os
from typing import Dict, List, Sequence, Tuple

# (name, bit, meaning) of the per-code-point flags, written into the tables as constants.
BERT_FLAGS = (
    ("CLEAN_REMOVE", 1, "clean_text drops it (NUL, U+FFFD, control/format/private-use)"),
    ("CLEAN_SPACE", 2, 'clean_text turns it into " " (whitespace)'),
    ("WHITESPACE", 4, "BertPreTokenizer splits on it and drops it"),
    ("PUNCTUATION", 8, "BertPreTokenizer isolates it"),
    ("CJK", 16, "handle_chinese_chars puts spaces around it"),
    ("NONSPACING_MARK", 32, "strip_accents drops it (after NFD)"),
)
SENTENCEPIECE_FLAGS = (
    ("GRAPHEME_EXTEND", 1, "no grapheme break before it (Extend, ZWJ, SpacingMark)"),
    ("GRAPHEME_PREPEND", 2, "no grapheme break after it (Prepend)"),
    ("GRAPHEME_CONTROL", 4, "breaks on both sides (Control, CR, LF; CR LF is one grapheme)"),
    ("COMBINING_MARK", 8, "the StripAccents normalizer drops it"),
)
BYTE_LEVEL_FLAGS = (
    ("REGEX_WHITESPACE", 1, "\\s in the GPT-2 split regex"),
    ("LETTER", 2, "\\p{L} in the GPT-2 split regex"),
    ("NUMBER", 4, "\\p{N} in the GPT-2 split regex"),
)
_SURROGATES = range(0xD800, 0xE000)  # not scalar values: UTF-8 decoding never yields one


def _scalar_values():
    return (cp for cp in range(0x110000) if cp not in _SURROGATES)


def probe_bert() -> Tuple[Dict[str, List[int]], Dict[int, str]]:
    """({flag name: code points}, {code point: lowercase}) from the installed `tokenizers`."""
    from tokenizers import normalizers, pre_tokenizers

    def bert(clean=False, cjk=False, strip=False, lower=False):
        return normalizers.BertNormalizer(clean_text=clean, handle_chinese_chars=cjk,
                                          strip_accents=strip, lowercase=lower).normalize_str

    clean, cjk, strip, lower = bert(clean=True), bert(cjk=True), bert(strip=True), bert(lower=True)
    pre = pre_tokenizers.BertPreTokenizer().pre_tokenize_str
    members = {name: [] for name, _, _ in BERT_FLAGS}
    lowercase = {}
    for cp in _scalar_values():
        c = chr(cp)
        cleaned = clean(c)
        if cleaned == "":
            members["CLEAN_REMOVE"].append(cp)
        elif cleaned == " ":
            members["CLEAN_SPACE"].append(cp)
        words = [w for w, _ in pre("a" + c + "b")]
        if words == ["a", "b"]:
            members["WHITESPACE"].append(cp)
        elif words == ["a", c, "b"]:
            members["PUNCTUATION"].append(cp)
        if cjk(c) == f" {c} ":
            members["CJK"].append(cp)
        if strip(c) == "":
            members["NONSPACING_MARK"].append(cp)
        lowered = lower(c)
        if lowered != c:
            lowercase[cp] = lowered
    return members, lowercase


def probe_sentencepiece() -> Dict[str, List[int]]:
    """{flag name: code points} for the SentencePiece normalizers. 🤗 has no grapheme API to
    probe: the clusters come from the `regex` module's \\X (extended grapheme clusters, as Rust's
    unicode-segmentation), which the parity tests check through 🤗's Precompiled normalizer."""
    import regex
    from tokenizers import normalizers
    strip_accents = normalizers.StripAccents().normalize_str
    one_cluster = regex.compile(r"\X").fullmatch
    members = {name: [] for name, _, _ in SENTENCEPIECE_FLAGS}
    for cp in _scalar_values():
        c = chr(cp)
        if one_cluster("a" + c):
            members["GRAPHEME_EXTEND"].append(cp)
        if one_cluster(c + "a"):
            members["GRAPHEME_PREPEND"].append(cp)
        if not one_cluster(c + "\u0300"):
            members["GRAPHEME_CONTROL"].append(cp)
        if strip_accents(c) == "":
            members["COMBINING_MARK"].append(cp)
    return members


def probe_byte_level() -> Dict[str, List[int]]:
    """{flag name: code points} of the GPT-2 split regex's classes, matched by the regex engine
    🤗's ByteLevel uses (Oniguruma, whose Unicode version is neither RE2's nor `regex`'s): one
    Split pre-tokenizer per class over a string of every scalar value."""
    from tokenizers import Regex, pre_tokenizers
    cps = list(_scalar_values())
    text = "".join(map(chr, cps))
    members = {}
    for (name, _, _), pattern in zip(BYTE_LEVEL_FLAGS, (r"\s", r"\p{L}", r"\p{N}")):
        unmatched = bytearray(len(cps))
        split = pre_tokenizers.Split(Regex(pattern), behavior="removed")
        for _, (start, end) in split.pre_tokenize_str(text):
            unmatched[start:end] = b"\x01" * (end - start)
        members[name] = [cp for cp, out in zip(cps, unmatched) if not out]
    overlaps = [(a, b) for a in members for b in members if a < b
                and set(members[a]) & set(members[b])]
    # The pre-tokenizer gives each code point one class; a char in two would need its own rule.
    assert not overlaps, f"classes overlap: {overlaps}"
    return members


def _ranges(cps: Sequence[int]) -> List[Tuple[int, int]]:
    ranges = []
    for cp in cps:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges


def _escaped(text: str) -> str:
    """A Python string literal of `text` with every character escaped: combining marks and
    right-to-left letters would otherwise render out of place in a diff."""
    return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"
                         for c in text) + '"'


def _flags_source(flags, members: Dict[str, List[int]]) -> List[str]:
    lines = [f"{name} = {bit}  # {meaning}" for name, bit, meaning in flags]
    lines += ["", "# {flag: [(first, last) code points, ...]}", "FLAG_RANGES = {"]
    for name, _, _ in flags:
        lines.append(f"    {name}: [")
        lines += [f"        (0x{first:04X}, 0x{last:04X})," for first, last in
                  _ranges(members[name])]
        lines.append("    ],")
    return lines + ["}"]


def render_unicode_tables() -> str:
    """The text of `unicode_tables.py`, probed from the installed `tokenizers`."""
    import tokenizers
    members, lowercase = probe_bert()
    lines = [
        f'"""What 🤗 tokenizers {tokenizers.__version__} does per code point in BertNormalizer '
        "and BertPreTokenizer.",
        "Generated by make_unicode_tables.py: do not edit.\"\"\"",
        f"TOKENIZERS_VERSION = {tokenizers.__version__!r}",
        "",
        *_flags_source(BERT_FLAGS, members),
        "",
        "# {code point: Rust's char::to_lowercase}, for the code points it changes",
        "LOWERCASE = {",
        *(f"    0x{cp:04X}: {_escaped(low)}," for cp, low in sorted(lowercase.items())),
        "}",
    ]
    return "\n".join(lines) + "\n"


def render_sentencepiece_tables() -> str:
    """The text of `sentencepiece_tables.py`, probed from the installed `tokenizers` and
    `regex`."""
    import regex
    import tokenizers
    lines = [
        '"""Grapheme-cluster and StripAccents flags per code point, from 🤗 tokenizers '
        f"{tokenizers.__version__}",
        f"and regex {regex.__version__}.",
        "Generated by make_unicode_tables.py: do not edit.\"\"\"",
        f"TOKENIZERS_VERSION = {tokenizers.__version__!r}",
        f"REGEX_VERSION = {regex.__version__!r}",
        "",
        *_flags_source(SENTENCEPIECE_FLAGS, probe_sentencepiece()),
    ]
    return "\n".join(lines) + "\n"


def render_byte_level_tables() -> str:
    """The text of `byte_level_tables.py`, probed from the installed `tokenizers`."""
    import tokenizers
    lines = [
        f'"""Per code point, its classes in the GPT-2 split regex of 🤗 tokenizers '
        f"{tokenizers.__version__} (ByteLevel).",
        "Generated by make_unicode_tables.py: do not edit.\"\"\"",
        f"TOKENIZERS_VERSION = {tokenizers.__version__!r}",
        "",
        *_flags_source(BYTE_LEVEL_FLAGS, probe_byte_level()),
    ]
    return "\n".join(lines) + "\n"


TABLES = {"unicode_tables.py": render_unicode_tables,
          "sentencepiece_tables.py": render_sentencepiece_tables,
          "byte_level_tables.py": render_byte_level_tables}


def main():
    for file_name, render in TABLES.items():
        path = os.path.join(os.path.dirname(__file__), file_name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(render())


if __name__ == "__main__":
    main()
