"""Finding and loading one split of a 🤗 dataset: a Hub id, a save_to_disk folder or data files.

The executor's driver and its Beam workers both load through here, so a worker sees exactly the
rows the driver counted (the 🤗 cache makes the second load cheap: Arrow files are memory-mapped).
"""
import dataclasses
import functools
import json
import math
import os
import re
from typing import Dict, Iterator, List, Optional, Tuple

from tfx_hf.components.hub_paths import is_local_path
from tfx_hf.components.input_error import InputError

# Data files that `datasets` reads with a packaged builder, by extension.
FILE_BUILDERS = {
    ".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet",
    ".txt": "text", ".arrow": "arrow",
}
# Rows per shard, the unit of parallel work: a Beam worker encodes one shard of a split, and a
# streamed save_to_disk folder is read as shards of this size.
ROWS_PER_SHARD = 20_000
# Rows a streamed csv/json is typed from when `datasets` cannot tell its features up front (as
# many as `datasets` itself looks at).
ROWS_TO_INFER_FEATURES = 5
TEXT_BUILDERS = ("csv", "json", "text")  # the builders that decode bytes (encoding_errors)
INVALID_UTF8_MODES = ("error", "replace")


class DatasetInputError(InputError):
    """The dataset, a split or a column is not what the component was told to expect."""


@dataclasses.dataclass(frozen=True)
class DatasetSource:
    """Where the rows come from, as `datasets.load_dataset` takes it."""
    path: str
    config_name: Optional[str] = None
    revision: Optional[str] = None
    data_dir: Optional[str] = None
    data_files: Optional[str] = None  # JSON: a path, a list, or {split: paths}
    trust_remote_code: bool = False
    streaming: bool = False
    invalid_utf8: str = "error"  # or "replace": bad bytes in csv/json/txt files become U+FFFD

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "DatasetSource":
        return cls(**json.loads(text))


def is_save_to_disk_folder(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "dataset_dict.json")) or (
        os.path.isfile(os.path.join(path, "state.json"))
        and os.path.isfile(os.path.join(path, "dataset_info.json")))


def check_exists(source: DatasetSource) -> None:
    """Fails early for a local path that is not there (a Hub id is checked when loaded)."""
    if is_local_path(source.path) and not os.path.exists(os.path.expanduser(source.path)):
        raise DatasetInputError(
            f"Dataset path {source.path!r} does not exist. Give a save_to_disk folder, a data "
            "file or folder (csv, json, jsonl, parquet, txt), or a 🤗 Hub dataset id.")


def _file_builder(path: str) -> Optional[str]:
    """The builder of a single data file given as the dataset (unknown extensions fail)."""
    if os.path.isfile(path):
        ext = os.path.splitext(path)[1].lower()
        if ext not in FILE_BUILDERS:
            raise DatasetInputError(
                f"Cannot read data file {path!r}: unknown extension {ext!r}. Supported: "
                f"{', '.join(sorted(FILE_BUILDERS))}.")
        return FILE_BUILDERS[ext]
    return None


def invalid_utf8_lines(source: DatasetSource) -> Iterator[Tuple[str, int, str]]:
    """(file, line number, description) of every line of the local csv/json/txt files that
    is not valid UTF-8."""
    for path in _local_files(source):
        if _builder_of_file(path) not in TEXT_BUILDERS:
            continue
        with open(path, "rb") as f:
            for line_number, line in enumerate(f, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as e:
                    yield path, line_number, (f"invalid UTF-8 byte {line[e.start:e.start + 1]!r}"
                                              f" at column {e.start + 1}")


def _local_files(source: DatasetSource) -> List[str]:
    paths = []
    if source.data_files:
        files = json.loads(source.data_files)
        files = list(files.values()) if isinstance(files, dict) else files
        files = files if isinstance(files, list) else [files]
        paths = [p for f in files for p in (f if isinstance(f, list) else [f])]
    path = os.path.expanduser(source.path)
    if os.path.isfile(path):
        paths.append(path)
    elif os.path.isdir(path):
        paths += [os.path.join(root, name) for root, _, names in os.walk(path) for name in names]
    return [p for p in paths if os.path.isfile(p)]


def _builder_of_file(path: str) -> Optional[str]:
    return FILE_BUILDERS.get(os.path.splitext(path)[1].lower())


def _decodes_text(source: DatasetSource, builder: Optional[str]) -> bool:
    """Whether `datasets` will decode bytes for this source (so `encoding_errors` applies)."""
    if builder:
        return builder in TEXT_BUILDERS
    builders = {_builder_of_file(p) for p in _local_files(source)} - {None}
    return bool(builders) and builders <= set(TEXT_BUILDERS)


@functools.lru_cache(maxsize=16)
def load_split(source_json: str, split: str):
    """Loads one split (a name or a slice such as `train[:80%]`): a memory-mapped Dataset, or
    an IterableDataset when `source.streaming`."""
    import datasets

    source = DatasetSource.from_json(source_json)
    check_exists(source)
    if source.invalid_utf8 not in INVALID_UTF8_MODES:
        raise DatasetInputError(f"invalid_utf8={source.invalid_utf8!r}: use one of "
                                f"{INVALID_UTF8_MODES}.")
    path = os.path.expanduser(source.path)
    if os.path.isdir(path) and is_save_to_disk_folder(path):
        dataset = _split_of_saved(_load_from_disk(path, source.path), split, source.path)
        # Streaming a saved dataset reads its memory-mapped Arrow files shard by shard. A slice
        # is contiguous (see _split_of_saved), so its shards are contiguous reads too.
        if not source.streaming:
            return dataset
        return dataset.to_iterable_dataset(
            num_shards=max(1, min(len(dataset), math.ceil(len(dataset) / ROWS_PER_SHARD))))

    builder = _file_builder(path)
    data_files = json.loads(source.data_files) if source.data_files else None
    kwargs = dict(name=source.config_name, revision=source.revision, data_dir=source.data_dir,
                  data_files=data_files, split=split, streaming=source.streaming,
                  # Always explicit: `datasets` 2.x runs dataset scripts when left unset.
                  trust_remote_code=source.trust_remote_code)
    if builder:  # a single data file: it is the train split
        kwargs.update(data_files={"train": path})
        path = builder
    if source.invalid_utf8 == "replace" and _decodes_text(source, builder):
        kwargs["encoding_errors"] = "replace"
    try:
        return datasets.load_dataset(path, **kwargs)
    except ValueError as e:
        if "Unknown split" in str(e) or "Bad split" in str(e):
            raise DatasetInputError(f"Dataset {source.path!r} has no split {split!r}: {e}") from e
        if "trust_remote_code" in str(e) and not source.trust_remote_code:
            raise DatasetInputError(
                f"Dataset {source.path!r} is loaded by its own Python script, and "
                "trust_remote_code is off, so it was not run. Read the script; if you trust "
                "it, opt in with HFDatasetExampleGen(trust_remote_code=True).") from e
        raise
    except Exception as e:  # `datasets` hides decode and type errors behind a generic message
        bad = next(invalid_utf8_lines(source), None)
        if bad:
            raise DatasetInputError(
                f"Dataset {source.path!r} is not valid UTF-8 at {bad[0]}, line {bad[1]}: "
                f"{bad[2]}. Re-encode the file as UTF-8, or set invalid_utf8='replace' to "
                "read bad bytes as U+FFFD.") from e
        type_change = _type_change(e)
        if type_change:
            raise DatasetInputError(
                f"Dataset {source.path!r}: {_where_type_changes(source, *type_change)}. Give "
                "every row of a column the same type (e.g. always a list, or always a "
                "string).") from e
        raise


# pyarrow's JSON reader: "JSON parse error: Column(/text) changed from array to string in row 1"
_TYPE_CHANGE = re.compile(r"Column\((/[^)]*)\) changed from (\w+) to (\w+) in row (\d+)")


def _type_change(error: BaseException) -> Optional[Tuple[str, str, str, int]]:
    """(column, old type, new type, row in the block read) of the pyarrow error behind a
    `DatasetGenerationError`, when a column changes type from one row to another."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        match = _TYPE_CHANGE.search(str(error))
        if match:
            column = match.group(1).lstrip("/").replace("/", ".")
            return column, match.group(2), match.group(3), int(match.group(4))
        error = error.__cause__ or error.__context__
    return None


_JSON_TYPES = ((bool, "boolean"), (int, "number"), (float, "number"), (str, "string"),
               (list, "array"), (dict, "object"))


def _json_type(value) -> Optional[str]:
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), None)


def _where_type_changes(source: DatasetSource, column: str, old: str, new: str,
                        row: int) -> str:
    """The type change, with the file and line where it happens when a local JSON Lines file
    shows it (pyarrow counts rows within the block it read, not in the file)."""
    message = f"column {column!r} changed from {old} to {new} in row {row}"
    for path in _local_files(source):
        if _builder_of_file(path) != "json":
            continue
        line = _first_line_of_type(path, column.split("."), new, old)
        if line:
            return f"{message} (file {path}, line {line})"
    return message


def _first_line_of_type(path: str, keys: List[str], new: str, old: str) -> Optional[int]:
    """The first line of a JSON Lines file where `keys` holds a `new` value after lines that
    held `old` ones."""
    seen_old = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            try:
                value = json.loads(line)
                for key in keys:
                    value = value[key]
            except (ValueError, KeyError, TypeError):
                continue
            kind = _json_type(value)
            seen_old = seen_old or kind == old
            if seen_old and kind == new:
                return number
    return None


def _load_from_disk(path: str, where: str):
    """`datasets.load_from_disk`, with a file missing from the folder named."""
    import datasets

    try:
        return datasets.load_from_disk(path)
    except FileNotFoundError as e:
        missing = e.filename or str(e)
        raise DatasetInputError(
            f"Dataset folder {where!r} is incomplete: {missing} is missing. Copy the whole "
            "folder that save_to_disk wrote, or save the dataset again.") from e


def _split_of_saved(loaded, split: str, where: str):
    import datasets

    if isinstance(loaded, datasets.Dataset):
        if split not in ("train", "all"):
            raise DatasetInputError(
                f"{where!r} holds a single Dataset, not a DatasetDict: select it as split "
                f"'train', not {split!r}.")
        return loaded
    name = split.split("[")[0]
    if name not in loaded:
        raise DatasetInputError(
            f"Dataset {where!r} has no split {name!r}; it has: {', '.join(loaded)}.")
    dataset = loaded[name]
    if "[" in split:  # slices such as train[:80%], resolved as load_dataset would
        instruction = datasets.ReadInstruction.from_spec(split)
        (absolute,) = instruction.to_absolute({name: len(dataset)})
        start = absolute.from_ or 0
        stop = len(dataset) if absolute.to is None else absolute.to
        # A range selects by slicing the Arrow table: no indices mapping, which would make every
        # later read (and to_iterable_dataset) go row by row through it.
        dataset = dataset.select(range(start, stop))
    return dataset


def select_columns(dataset, columns: Optional[List[str]], rename: Optional[Dict[str, str]],
                   where: str):
    """Keeps `columns` (names before renaming) and renames; unknown names fail with the list."""
    if dataset.features is None:  # a streamed csv/json: types are known after a first look
        dataset = _with_features_of_first_rows(dataset)
    available = list(dataset.column_names)
    for column in list(columns or []) + list(rename or {}):
        if column not in available:
            raise DatasetInputError(
                f"Column {column!r} is not in dataset {where!r}; its columns are: "
                f"{', '.join(available)}.")
    if columns:
        dataset = dataset.select_columns(list(columns))
    if rename:
        dataset = dataset.rename_columns(dict(rename))
    return dataset


def _with_features_of_first_rows(dataset):
    """A streamed dataset typed from its first rows, as `datasets` types them when it must
    (its own IterableDataset._resolve_features is private: this is the same through the public
    `take` and `cast`)."""
    import datasets
    import pyarrow as pa

    head = pa.Table.from_pylist(list(dataset.take(ROWS_TO_INFER_FEATURES)))
    return dataset.cast(datasets.Features.from_arrow_schema(head.schema))
