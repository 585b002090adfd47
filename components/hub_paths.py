"""Telling a 🤗 Hub id ("owner/name") from a local path, for every input that takes either
(a dataset, a checkpoint, a tokenizer).

A name is local when it exists on disk or is spelled as a path (absolute, `./`, `../`, `~`):
"org/model" could be both, and a folder of that name in the working directory wins, as it does
for `from_pretrained` and `load_dataset`.
"""
import os


def is_local_path(name_or_path: str) -> bool:
    return os.path.exists(name_or_path) or os.path.isabs(name_or_path) or \
        name_or_path.startswith((".", "~"))
