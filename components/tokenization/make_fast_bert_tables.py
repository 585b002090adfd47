"""Probes which code points tensorflow-text's FastBertTokenizer treats exactly as 🤗's BERT
pipeline does, and writes them to `fast_bert_tables.py` (the WordPiece fast path's characters).

For each code point c outside ASCII and each FastBert mode (lower_case_nfd_strip_accents on, for
uncased checkpoints, or off, for cased ones), c is kept only if, on the probe texts "a{c}b",
"{c}", "x {c}{c} y", "{c}a", "é{c}b" (after a letter NFD splits into a base and a mark), "!{c}"
and "中{c}" (after a punctuation mark and a CJK ideograph, each a word of its own):
  - FastBertNormalizer's text equals the exact path's normalized text (BertNormalizer with
    clean_text, handle_chinese_chars, and strip_accents and lowercase as the mode has them;
    the exact path is 🤗's, checked on every code point by test_tokenization_parity.py);
  - FastBertTokenizer's ids equal the exact path's with a vocabulary of "a", "b", "x", "y" and
    their "##" forms (so a char that splits a word, is dropped or is whitespace in one and not
    the other gives other ids);
  - it normalizes to no more characters than its own UTF-8 has bytes (a Hangul syllable of 3
    bytes to 2 or 3 jamo: so a word within max_input_chars_per_word bytes before
    normalization is within that many characters after it, 🤗's limit);
Combining marks are probed too, but where NFD applies (the uncased mode) only one that 🤗 strips
(a nonspacing mark) or one of combining class 0: NFD reorders two kept marks of other classes,
and the probes do not pair marks. A row of such characters (and printable ASCII) takes the fast
path in BertWordPiece.
    .venv/bin/python -m tfx_hf.components.tokenization.make_fast_bert_tables
"""
import os
import tempfile
import textwrap
import unicodedata
from typing import Dict, List, Set, Tuple

_PROBES = ("a{}b", "{}", "x {0}{0} y", "{}a", "\u00e9{}b", "!{}", "\u4e2d{}")
_CANDIDATES = 512  # stand-in candidates kept per kind
_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##a", "b", "##b", "x", "##x", "y", "##y"]


def _ranges(cps: List[int]) -> List[Tuple[int, int]]:
    ranges = []
    for cp in sorted(cps):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges


def probe(lowercase: bool, batch: int = 20000) -> List[Tuple[int, int]]:
    import numpy as np
    import tensorflow as tf
    import tensorflow_text as tf_text

    from tfx_hf.components.tokenization.code_points import flag_table
    from tfx_hf.components.tokenization.tokenizer_files import read_tokenizer_config
    from tfx_hf.components.tokenization.unicode_tables import FLAG_RANGES, NONSPACING_MARK
    from tfx_hf.components.tokenization.wordpiece import BertWordPiece
    from transformers import BertTokenizerFast
    with tempfile.TemporaryDirectory() as folder:
        vocab_file = os.path.join(folder, "vocab.txt")
        with open(vocab_file, "w", encoding="utf-8") as f:
            f.write("\n".join(_VOCAB) + "\n")
        BertTokenizerFast(vocab_file=vocab_file, do_lower_case=lowercase).save_pretrained(folder)
        config = read_tokenizer_config(folder)
    exact = BertWordPiece(config)
    fast = tf_text.FastBertTokenizer(vocab=_VOCAB, suffix_indicator="##",
                                     token_out_type=tf.int64, unknown_token="[UNK]",
                                     lower_case_nfd_strip_accents=lowercase)
    normalizer = tf_text.FastBertNormalizer(lower_case_nfd_strip_accents=lowercase)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def differs(text):
        got, expected = fast.tokenize(text), exact._exact(text)
        ids_differ = tf.reduce_any(tf.not_equal(got.to_tensor(-1, shape=[None, 16]),
                                                expected.to_tensor(-1, shape=[None, 16])),
                                   axis=1) | (got.row_lengths() != expected.row_lengths())
        return ids_differ | tf.not_equal(normalizer.normalize(text),
                                         exact._normalize(text).encode())

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def normalized_chars(text):
        return tf.strings.length(normalizer.normalize(text), unit="UTF8_CHAR")

    stripped = flag_table(FLAG_RANGES) & NONSPACING_MARK != 0
    candidates = [cp for cp in range(0x80, 0x110000) if not 0xD800 <= cp <= 0xDFFF and (
        not lowercase or not unicodedata.category(chr(cp)).startswith("M") or stripped[cp]
        or unicodedata.combining(chr(cp)) == 0)]
    safe = []
    for i in range(0, len(candidates), batch):
        chunk = candidates[i:i + batch]
        bad = np.zeros(len(chunk), bool)
        for form in _PROBES:
            bad |= differs(tf.constant([form.format(chr(cp)) for cp in chunk])).numpy()
        own = np.asarray([len(chr(cp).encode("utf-8")) for cp in chunk])
        bad |= normalized_chars(tf.constant([chr(cp) for cp in chunk])).numpy() > own
        safe += [cp for cp, b in zip(chunk, bad) if not b]
    return _ranges(safe)


def plain_code_points(lowercase: bool) -> Dict[bool, List[int]]:
    """The code points 🤗's BertNormalizer leaves as they are, by kind (True: punctuation, a
    word of its own; False: a word character), with lowercase and strip_accents as `lowercase`:
    not dropped, not whitespace, no CJK ideograph, no mark, unchanged by lowercasing and NFD
    (assigned in Python's Unicode, whose decompositions never change)."""
    from tfx_hf.components.tokenization.code_points import flag_table, lowercase_table
    from tfx_hf.components.tokenization.unicode_tables import (
        CJK, CLEAN_REMOVE, CLEAN_SPACE, FLAG_RANGES, NONSPACING_MARK, PUNCTUATION, WHITESPACE)
    flags, lower = flag_table(FLAG_RANGES), lowercase_table()
    kept = {True: [], False: []}
    for cp in range(0x80, 0x110000):
        c = chr(cp)
        if flags[cp] & (CLEAN_REMOVE | CLEAN_SPACE | WHITESPACE | CJK | NONSPACING_MARK) or \
                unicodedata.category(c)[0] in "MCZ":
            continue
        if lowercase and (cp < len(lower) and lower[cp] != cp
                          or unicodedata.normalize("NFD", c) != c):
            continue
        kept[bool(flags[cp] & PUNCTUATION)].append(cp)
    return kept


def reached(lowercase: bool, in_fast: Set[int]) -> Set[int]:
    """The code points that 🤗's normalization (NFD, strip_accents, lowercase, when
    `lowercase`) of some other fast-path character holds ("ẞ" -> "ß", "Ǆ" -> "ǆ"). FastBert meets
    them in texts that have none: they can neither be renamed nor be stand-ins."""
    from tfx_hf.components.tokenization.code_points import flag_table, lowercase_table
    from tfx_hf.components.tokenization.unicode_tables import FLAG_RANGES, NONSPACING_MARK
    if not lowercase:
        return set()
    stripped, lower = flag_table(FLAG_RANGES) & NONSPACING_MARK != 0, lowercase_table()
    found = set()
    for cp in in_fast:
        parts = [ord(c) for c in unicodedata.normalize("NFD", chr(cp)) if not stripped[ord(c)]]
        parts = [int(lower[p]) if p < len(lower) else p for p in parts]
        found.update(p for p in parts if p != cp)
    return found


def stand_in_tables(lowercase: bool, fast: List[Tuple[int, int]]):
    """(ranges of plain characters outside the fast path, by kind; stand-in candidates, by kind:
    plain fast-path characters, the rarest first: historic scripts (U+10000 to U+1BFFF: Linear
    B, Aegean, cuneiform, hieroglyphs, ...), then the Basic Multilingual Plane from its top).
    Neither holds a character another fast-path character normalizes into."""
    in_fast = set()
    for first, last in fast:
        in_fast.update(range(first, last + 1))
    in_fast -= set(range(0xD800, 0xE000))
    excluded = reached(lowercase, in_fast)
    outside, candidates = {}, {}
    for kind, cps in plain_code_points(lowercase).items():
        cps = [cp for cp in cps if cp not in excluded]
        outside[kind] = _ranges([cp for cp in cps if cp not in in_fast])
        candidates[kind] = sorted(
            (cp for cp in cps if cp in in_fast and cp < 0x1C000),
            key=lambda cp: (cp <= 0xFFFF, -cp if cp <= 0xFFFF else cp))[:_CANDIDATES]
    return outside, candidates


def _write_table(f, name: str, table: dict) -> None:
    f.write(f"{name} = {{\n")
    for key, values in table.items():
        f.write(f"    {key}: [\n")
        for value in values:
            f.write(f"        {_hex(value)},\n")
        f.write("    ],\n")
    f.write("}\n")


def _hex(value) -> str:
    return f"(0x{value[0]:X}, 0x{value[1]:X})" if isinstance(value, tuple) else f"0x{value:X}"


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fast_bert_tables.py")
    tables = {lowercase: probe(lowercase) for lowercase in (True, False)}
    stand_ins = {lowercase: stand_in_tables(lowercase, tables[lowercase])
                 for lowercase in (True, False)}
    with open(path, "w", encoding="utf-8") as f:
        f.write('"""Generated by make_fast_bert_tables.py (tensorflow-text\'s FastBertTokenizer '
                'probed against\nthe exact path), by lower_case_nfd_strip_accents: FAST_RANGES, '
                'code point ranges outside\nASCII that FastBert treats as 🤗 does; '
                'PLAIN_OUTSIDE, ranges of the others that 🤗\nleaves as they are, and '
                'STAND_IN_CANDIDATES, by kind (True: punctuation), for\n'
                'wordpiece_stand_ins.py. Do not edit."""\n')
        _write_table(f, "FAST_RANGES", tables)
        for name, index in (("PLAIN_OUTSIDE", 0), ("STAND_IN_CANDIDATES", 1)):
            f.write(f"{name} = {{\n")
            for lowercase, by_mode in stand_ins.items():
                f.write(f"    {lowercase}: {{\n")
                for kind, values in by_mode[index].items():
                    f.write(f"        {kind}: [\n")
                    f.write(textwrap.fill(", ".join(_hex(v) for v in values) + ",", width=99,
                                          initial_indent=" " * 12, subsequent_indent=" " * 12,
                                          break_long_words=False) + "\n")
                    f.write("        ],\n")
                f.write("    },\n")
            f.write("}\n")
    print(path, {k: sum(b - a + 1 for a, b in v) for k, v in tables.items()})


if __name__ == "__main__":
    main()
