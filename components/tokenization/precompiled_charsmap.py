"""Reads a SentencePiece `precompiled_charsmap` (the `Precompiled` normalizer of a 🤗
tokenizer.json) into the replacements in-graph normalization needs. No TensorFlow here.

The charsmap is a Darts double-array trie over UTF-8 keys followed by the NUL-terminated
replacement strings. 🤗 replaces a grapheme shorter than 6 bytes by the replacement of its
SHORTEST key prefix, and otherwise each character by its own replacement, so only keys shorter
than 6 bytes can ever match: the trie walk stops there (the other ~98% of keys are longer).
"""
import base64
import functools
import struct
from typing import Dict, Tuple

MAX_GRAPHEME_BYTES = 5  # 🤗 looks up whole graphemes only when they are shorter than 6 bytes


def _offset(unit: int) -> int:
    return (unit >> 10) << ((unit & (1 << 9)) >> 6)


@functools.lru_cache(maxsize=8)
def read_charsmap(charsmap_base64: str) -> Tuple[Dict[int, str], Dict[str, str]]:
    """({code point: replacement}, {key of 2+ characters: replacement}) for every key shorter
    than 6 bytes."""
    blob = base64.b64decode(charsmap_base64)
    (trie_bytes,) = struct.unpack("<I", blob[:4])
    units = struct.unpack(f"<{trie_bytes // 4}I", blob[4:4 + trie_bytes])
    replacements = blob[4 + trie_bytes:]
    keys = {}
    pending = [(_offset(units[0]), b"")]
    while pending:
        position, key = pending.pop()
        for byte in range(1, 256):
            child = position ^ byte
            if child >= len(units) or units[child] & ((1 << 31) | 0xFF) != byte:
                continue
            unit, child_key = units[child], key + bytes([byte])
            below = child ^ _offset(unit)
            if (unit >> 8) & 1:  # a key ends here; its value is the replacement's offset
                start = units[below] & ((1 << 31) - 1)
                keys[child_key] = replacements[start:replacements.index(b"\0", start)]
            if len(child_key) < MAX_GRAPHEME_BYTES:
                pending.append((below, child_key))
    single, multi = {}, {}
    for key, value in keys.items():
        text = key.decode("utf-8")
        if len(text) == 1:
            single[ord(text)] = value.decode("utf-8")
        else:
            multi[text] = value.decode("utf-8")
    return single, multi
