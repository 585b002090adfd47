"""HFDatasetExampleGen executor: loads, validates and plans in the driver, encodes in Beam.

The driver opens each selected 🤗 split once (memory-mapped Arrow, or an IterableDataset when
streaming), checks columns, emptiness and labels, and plans shards. Beam then encodes the shards
in parallel: a worker re-opens the same split (cheap: the 🤗 cache is memory-mapped), takes its
shard, and turns Arrow batches into tf.Examples in C++ (or into Parquet batches). Rows read and
rows written are counted per split, and must agree: no row is lost.
"""
import bisect
import dataclasses
import hashlib
import json
import math
import os
import tempfile
from typing import Any, Dict, Iterator, List, Optional

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from absl import logging
from apache_beam.metrics.metric import MetricsFilter
from tfx.components.example_gen import utils as example_gen_utils
from tfx.components.example_gen import write_split
from tfx.components.util import examples_utils
from tfx.dsl.components.base import base_beam_executor
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import proto_utils

from tfx_hf.components import contracts, progress_events
from tfx_hf.components.hf_dataset_example_gen import arrow_to_examples
from tfx_hf.components.hf_dataset_example_gen import dataset_source, word_tags
from tfx_hf.components.hf_dataset_example_gen.dataset_source import DatasetInputError
from tfx_hf.components.input_error import InputError

MAX_STREAMING_SHARDS = 1024
ARROW_BATCH_ROWS = 1_000
PARQUET_FILE_PREFIX = "data_parquet"
# zlib's default level 6 costs ~10 µs per text row and dominated conversion time; level 1 is
# about 4x faster for somewhat larger files (benchmarks/example_gen.py prints both sizes).
GZIP_LEVEL = 1
_METRICS_NAMESPACE = "HFDatasetExampleGen"


@dataclasses.dataclass(frozen=True)
class SplitPlan:
    """What a Beam worker needs to encode its shard of one 🤗 split."""
    source_json: str
    split: str  # a 🤗 split expression, e.g. "train" or "train[:80%]"
    columns: Optional[List[str]]
    rename_columns: Optional[Dict[str, str]]
    labels_to_encode: Dict[str, List[str]]  # string label column → class names
    features: Any  # datasets.Features after selection and renaming
    num_rows: Optional[int]  # None when streaming
    num_shards: int
    streaming: bool
    # {words column: tags column}: streamed rows are checked as they are written.
    word_tag_columns: Dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class OutputPlan:
    """Where encoded rows go: one TFX split, or hash buckets over several."""
    split_names: List[str]
    split_uris: List[str]
    buckets: Optional[List[int]]  # cumulative hash buckets, as in standard ExampleGen
    partition_feature_name: Optional[str]
    parquet_schema: Optional[pa.Schema]  # set for the Parquet payload format


def _counter(kind: str, split: str):
    return beam.metrics.Metrics.counter(_METRICS_NAMESPACE, f"{kind}[{split}]")


def open_split(plan: SplitPlan):
    dataset = dataset_source.load_split(plan.source_json, plan.split)
    return dataset_source.select_columns(dataset, plan.columns, plan.rename_columns,
                                         plan.split)


def _tables(plan: SplitPlan, shard: int) -> Iterator[pa.Table]:
    dataset = open_split(plan)
    if plan.streaming:
        from datasets.distributed import split_dataset_by_node
        dataset = split_dataset_by_node(dataset, rank=shard, world_size=plan.num_shards)
    else:
        dataset = dataset.shard(plan.num_shards, shard, contiguous=True)
    return dataset.with_format("arrow").iter(batch_size=ARROW_BATCH_ROWS)


def encode_class_labels(table: pa.Table, labels_to_encode: Dict[str, List[str]]) -> pa.Table:
    for column, names in labels_to_encode.items():
        ids = pc.index_in(table.column(column), value_set=pa.array(names)).cast(pa.int64())
        table = table.set_column(table.schema.get_field_index(column), column, ids)
    return table


def empty_null_strings(table: pa.Table) -> pa.Table:
    """Null strings as "": a CSV reader reads an empty cell as null, a JSON or Parquet one keeps
    "" as "", and the same rows must give the same Examples. A missing text would leave the
    feature absent from some rows, and SchemaGen would give it no fixed shape, which the
    transform graph and the serving signature need."""
    for index, field in enumerate(table.schema):
        if (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)) and \
                table.column(index).null_count:
            filled = pc.fill_null(table.column(index), pa.scalar("", field.type))
            table = table.set_column(index, field.name, filled)
    return table


def _bucket_of(serialized: bytes, output: OutputPlan) -> int:
    """The output split of one row, keyed as standard ExampleGen keys it: the deterministic
    serialization of the tf.Example (tfx_bsl's byte order is not stable across processes) or
    of its `partition_feature_name` feature."""
    import tensorflow as tf

    example = tf.train.Example.FromString(serialized)
    if output.partition_feature_name:
        feature = example.features.feature.get(output.partition_feature_name)
        if feature is None or feature.WhichOneof("kind") is None:
            raise DatasetInputError(f"Partition feature {output.partition_feature_name!r} is "
                                    "missing in a row; every row needs it to be split.")
        key = feature.SerializeToString(deterministic=True)
    else:
        key = example.SerializeToString(deterministic=True)
    bucket = int(hashlib.sha256(key).hexdigest(), 16) % output.buckets[-1]
    return bisect.bisect(output.buckets, bucket)


class _ShardWriter:
    """The files one shard writes, one per output split, opened when a first row comes. Rows
    go to a temporary name renamed at the end, so a retried shard leaves no partial file."""

    def __init__(self, output: OutputPlan, shard: int, num_shards: int):
        self._output, self._writers, self._paths, self._files = output, {}, {}, {}
        self._name = f"{shard:05d}-of-{num_shards:05d}"

    def write(self, split: int, records: List[bytes], table: Optional[pa.Table]) -> None:
        import tensorflow as tf

        name = self._output.split_names[split]
        if name not in self._writers:
            uri = self._output.split_uris[split]
            tf.io.gfile.makedirs(uri)
            if self._output.parquet_schema is None:
                path = f"{uri}/{write_split.DEFAULT_FILE_NAME}-{self._name}.gz"
                self._writers[name] = tf.io.TFRecordWriter(
                    path + ".tmp", options=tf.io.TFRecordOptions(
                        compression_type="GZIP", compression_level=GZIP_LEVEL))
            else:
                import pyarrow.parquet as pq
                path = f"{uri}/{PARQUET_FILE_PREFIX}-{self._name}.parquet"
                # Written locally and copied at the end, so that gs:// and other TF
                # filesystems work as they do for TFRecords.
                self._files[name] = local = tempfile.mkstemp(suffix=".parquet")[1]
                self._writers[name] = pq.ParquetWriter(local, self._output.parquet_schema)
            self._paths[name] = path
        if table is None:
            for record in records:
                self._writers[name].write(record)
        else:
            self._writers[name].write_table(table)
        _counter("rows_written", name).inc(len(records))

    def close(self) -> None:
        import tensorflow as tf

        for name, writer in self._writers.items():
            writer.close()
            if name in self._files:
                tf.io.gfile.copy(self._files[name], self._paths[name] + ".tmp", overwrite=True)
                os.remove(self._files[name])
            tf.io.gfile.rename(self._paths[name] + ".tmp", self._paths[name], overwrite=True)


class _EncodeAndWriteShard(beam.DoFn):
    """One shard of a 🤗 split → tf.Examples (or Parquet rows) in files of each output split.

    Writing in the DoFn, shard by shard, keeps memory flat and avoids Beam's per-row overhead:
    rows never travel as Beam elements."""

    def __init__(self, plan: SplitPlan, output: OutputPlan, total_rows: Optional[int]):
        super().__init__()
        self._plan, self._output, self._total_rows = plan, output, total_rows

    def process(self, shard: int):
        from tfx_bsl.coders import example_coder

        plan, output = self._plan, self._output
        rows_read = _counter("rows_read", plan.split)
        writer = _ShardWriter(output, shard, plan.num_shards)
        try:
            rows_in_shard = 0
            for table in _tables(plan, shard):
                if plan.streaming and plan.word_tag_columns:
                    word_tags.check_row_lengths(table, plan.word_tag_columns,
                                                f"{plan.split} (shard {shard})", rows_in_shard)
                rows_in_shard += table.num_rows
                rows_read.inc(table.num_rows)
                # Seen only where the DoFn runs in the process that listens (DirectRunner
                # in_memory, the default here): the console's progress bar.
                progress_events.report(progress_events.ROWS, rows=table.num_rows,
                                       total=self._total_rows)
                table = empty_null_strings(encode_class_labels(table, plan.labels_to_encode))
                for batch in table.to_batches():
                    examples = arrow_to_examples.to_example_batch(batch, plan.features)
                    serialized = example_coder.RecordBatchToExamples(examples)
                    if not output.buckets:
                        writer.write(0, serialized, self._as_table(examples))
                        continue
                    splits = np.array([_bucket_of(s, output) for s in serialized])
                    for index in range(len(output.split_names)):
                        rows = np.flatnonzero(splits == index)
                        if len(rows):
                            writer.write(index, [serialized[i] for i in rows],
                                         self._as_table(examples, rows))
        finally:
            writer.close()
        yield shard

    def _as_table(self, examples: pa.RecordBatch, rows=None) -> Optional[pa.Table]:
        if self._output.parquet_schema is None:
            return None
        table = pa.Table.from_batches([examples]).cast(self._output.parquet_schema)
        return table if rows is None else table.take(pa.array(rows))


def _json_property(exec_properties: Dict[str, Any], key: str):
    value = exec_properties.get(key)
    return json.loads(value) if value else None


def _class_label_names(datasets_by_split: Dict[str, Any], label_columns: List[str],
                       where: str, streaming: bool):
    """(label names per column, string columns to encode as ids with their names).

    ClassLabel columns keep their names. `label_columns` that are strings get the sorted set of
    their values over all splits (so a name has the same id in every split); integer ones are
    ids already and are named "0".."max". A missing label is an error, not a dropped row.
    """
    import datasets

    first = next(iter(datasets_by_split.values()))
    names = _class_label_feature_names(first.features)
    to_encode = {}
    for column in label_columns:
        feature = first.features.get(column)
        if feature is None:
            raise DatasetInputError(
                f"Class label column {column!r} is not in dataset {where!r}; its columns are: "
                f"{', '.join(first.column_names)}.")
        if isinstance(feature, datasets.ClassLabel) and streaming:
            continue  # names known; missing values cannot be checked without a pass
        dtype = getattr(feature, "dtype", None)
        is_string = dtype in ("string", "large_string")
        is_integer = isinstance(feature, datasets.ClassLabel) or \
            str(dtype).startswith(("int", "uint"))
        if not (is_string or is_integer):
            raise DatasetInputError(
                f"Class label column {column!r} has type {feature}; it must hold strings, "
                "integer ids or be a ClassLabel.")
        if streaming:
            raise DatasetInputError(
                f"Class label column {column!r} is not a ClassLabel: finding its classes needs "
                "a pass over the data, which streaming does not make. Cast it first "
                "(`dataset.cast_column(column, ClassLabel(names=[...]))`) or stream=False.")
        values = _label_values(datasets_by_split, column, where)
        if isinstance(feature, datasets.ClassLabel):
            pass
        elif is_string:
            to_encode[column] = names[column] = sorted(values)
        elif min(values) < 0:
            raise DatasetInputError(
                f"Class label column {column!r} has negative ids ({min(values)}); class ids "
                "must be 0..N-1.")
        else:
            names[column] = [str(i) for i in range(max(values) + 1)]
    for column in label_columns:
        check_several_classes(column, names.get(column, []), where)
    return names, to_encode


def check_several_classes(column: str, names: List[str], where: str) -> None:
    """A classifier needs two classes at least; with one, every metric is trivial and TFMA
    fails after training."""
    if len(names) < 2:
        raise DatasetInputError(
            f"Class label column {column!r} of dataset {where!r} has {len(names)} class "
            f"({names}); a classifier needs at least 2: check the label column and the "
            "splits, or use task=regression for a numeric target.")


def check_text_columns(datasets_by_split: Dict[str, Any], text_columns: List[str],
                       where: str) -> None:
    """Each text column must hold strings (a column of numbers cannot be tokenized)."""
    for split, dataset in datasets_by_split.items():
        for column in text_columns:
            feature = dataset.features.get(column)
            if feature is None:
                raise DatasetInputError(
                    f"Text column {column!r} is not in split {split!r} of dataset {where!r}; "
                    f"its columns are: {', '.join(dataset.column_names)}.")
            if getattr(feature, "dtype", None) not in ("string", "large_string"):
                raise DatasetInputError(
                    f"Text column {column!r} of dataset {where!r} holds {feature}, not text: "
                    "name the column that holds the texts (text_feature, --text-column).")


def _class_label_feature_names(features) -> Dict[str, List[str]]:
    """{column: class names} of the ClassLabel columns, alone or in a list (multi-label)."""
    import datasets

    names = {}
    for column, feature in features.items():
        if isinstance(feature, datasets.Sequence):  # e.g. multi-label: a list of class ids
            feature = feature.feature
        elif isinstance(feature, list) and len(feature) == 1:
            feature = feature[0]
        if isinstance(feature, datasets.ClassLabel):
            names[column] = list(feature.names)
    return names


def _label_values(datasets_by_split: Dict[str, Any], column: str, where: str) -> set:
    """The values of a label column over all splits; a missing one fails, naming its split."""
    values = set()
    for split, dataset in datasets_by_split.items():
        split_values = dataset.unique(column)
        if None in split_values:
            missing = dataset.with_format("arrow")[column].null_count
            raise DatasetInputError(
                f"Class label column {column!r} has {missing} missing values in split "
                f"{split!r} of {where!r}: fill or filter them before training.")
        values.update(split_values)
    return values


def _first_rows(dataset, streaming: bool, where: str) -> pa.Table:
    if streaming:
        first = next(iter(dataset.with_format("arrow").iter(batch_size=2)), None)
        if first is None:
            raise DatasetInputError(f"Split {where!r} has no rows.")
        return first
    return dataset.with_format("arrow")[:2]


@dataclasses.dataclass(frozen=True)
class _Request:
    """The exec properties, parsed and checked once."""
    input_config: example_gen_pb2.Input
    output_config: example_gen_pb2.Output
    payload_format: int
    source: dataset_source.DatasetSource
    columns: Optional[List[str]]
    rename_columns: Optional[Dict[str, str]]
    class_label_columns: List[str]
    text_columns: List[str]
    word_tag_columns: Dict[str, str]

    @property
    def parquet(self) -> bool:
        return self.payload_format == example_gen_pb2.FORMAT_PARQUET

    @property
    def hashed(self) -> bool:
        """Whether one input split is hash-partitioned into the output splits."""
        return bool(self.output_config.split_config.splits)


def _parse_request(exec_properties: Dict[str, Any]) -> _Request:
    input_config = example_gen_pb2.Input()
    proto_utils.json_to_proto(exec_properties[standard_component_specs.INPUT_CONFIG_KEY],
                              input_config)
    output_config = example_gen_pb2.Output()
    proto_utils.json_to_proto(exec_properties[standard_component_specs.OUTPUT_CONFIG_KEY],
                              output_config)
    payload_format = exec_properties.get(standard_component_specs.OUTPUT_DATA_FORMAT_KEY,
                                         example_gen_pb2.FORMAT_TF_EXAMPLE)
    if payload_format not in (example_gen_pb2.FORMAT_TF_EXAMPLE, example_gen_pb2.FORMAT_PARQUET):
        raise InputError(f"output_data_format={payload_format}: HFDatasetExampleGen writes "
                         "FORMAT_TF_EXAMPLE or FORMAT_PARQUET.")
    if output_config.split_config.splits and len(input_config.splits) != 1:
        raise InputError("Hash-partitioning (output_config) needs exactly one input split.")
    source = dataset_source.DatasetSource(
        path=exec_properties["dataset"],
        config_name=exec_properties.get("config_name") or None,
        revision=exec_properties.get("revision") or None,
        data_dir=exec_properties.get("data_dir") or None,
        data_files=exec_properties.get("data_files") or None,
        trust_remote_code=bool(exec_properties.get("trust_remote_code")),
        streaming=bool(exec_properties.get("streaming")),
        invalid_utf8=exec_properties.get("invalid_utf8") or "error")
    return _Request(
        input_config, output_config, payload_format, source,
        columns=_json_property(exec_properties, "columns"),
        rename_columns=_json_property(exec_properties, "rename_columns"),
        class_label_columns=_json_property(exec_properties, "class_label_columns") or [],
        text_columns=_json_property(exec_properties, "text_columns") or [],
        word_tag_columns=_json_property(exec_properties, "word_tag_columns") or {})


def _open_splits(request: _Request) -> Dict[str, Any]:
    """Each selected 🤗 split, its columns selected and renamed; an empty split fails."""
    source = request.source
    dataset_source.check_exists(source)
    datasets_by_split = {}
    for split in request.input_config.splits:
        dataset = dataset_source.load_split(source.to_json(), split.pattern)
        dataset = dataset_source.select_columns(dataset, request.columns,
                                                request.rename_columns, source.path)
        if not source.streaming and len(dataset) == 0:
            raise DatasetInputError(
                f"Split {split.pattern!r} of dataset {source.path!r} has no rows.")
        datasets_by_split[split.pattern] = dataset
        logging.info("Split %r of %s: %s rows, features %s", split.pattern, source.path,
                     "streamed" if source.streaming else len(dataset), dataset.features)
    return datasets_by_split


def _plan_split(request: _Request, pattern: str, dataset,
                to_encode: Dict[str, List[str]]) -> SplitPlan:
    import datasets

    features = datasets.Features(dataset.features)
    for column, names in to_encode.items():
        features[column] = datasets.ClassLabel(names=names)
    streaming = request.source.streaming
    num_rows = None if streaming else len(dataset)
    num_shards = min(dataset.n_shards, MAX_STREAMING_SHARDS) if streaming \
        else max(1, math.ceil(num_rows / dataset_source.ROWS_PER_SHARD))
    return SplitPlan(request.source.to_json(), pattern, request.columns,
                     request.rename_columns, to_encode, features, num_rows, num_shards,
                     streaming, request.word_tag_columns)


def _plan_output(request: _Request, plan: SplitPlan, dataset, split_names: List[str],
                 examples) -> OutputPlan:
    """Where the rows of one input split go. Converting its first rows here fails in the
    driver, before any Beam work, on a type with no tf.Example form."""
    sample = arrow_to_examples.to_example_batch(empty_null_strings(encode_class_labels(
        _first_rows(dataset, plan.streaming, plan.split), plan.labels_to_encode))
        .combine_chunks().to_batches()[0], plan.features)
    splits = request.output_config.split_config
    return OutputPlan(
        split_names=split_names,
        split_uris=[artifact_utils.get_split_uri(examples, name) for name in split_names],
        buckets=list(_cumulative(s.hash_buckets for s in splits.splits))
        if request.hashed else None,
        partition_feature_name=splits.partition_feature_name or None,
        parquet_schema=sample.schema if request.parquet else None)


def _record_on_artifacts(examples, request: _Request, label_names: Dict[str, List[str]],
                         row_counts: Dict[str, int], replaced_lines: Optional[int],
                         tag_names: Dict[str, List[str]]) -> None:
    for artifact in examples:
        examples_utils.set_payload_format(artifact, request.payload_format)
        # TFX has no file format string for Parquet, and ExampleGen's own Parquet file format
        # fails at the end of Do: for Parquet only the payload format is set.
        if not request.parquet:
            examples_utils.set_file_format(
                artifact, write_split.to_file_format_str(example_gen_pb2.FORMAT_TFRECORDS_GZIP))
        artifact.set_json_value_custom_property(contracts.LABEL_NAMES_PROPERTY, label_names)
        artifact.set_json_value_custom_property(contracts.ROW_COUNTS_PROPERTY, row_counts)
        if tag_names:
            artifact.set_json_value_custom_property(contracts.TAG_NAMES_PROPERTY, tag_names)
        if replaced_lines is not None:
            artifact.set_int_custom_property(contracts.INVALID_UTF8_PROPERTY, replaced_lines)


class Executor(base_beam_executor.BaseBeamExecutor):
    """Writes the selected splits of a 🤗 dataset as TFX Examples (gzipped TFRecords of
    tf.Examples, or Parquet)."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        request = _parse_request(exec_properties)
        datasets_by_split = _open_splits(request)
        check_text_columns(datasets_by_split, request.text_columns, request.source.path)
        tag_names = word_tags.check_splits(datasets_by_split, request.word_tag_columns,
                                           request.source.path, request.source.streaming)
        label_names, to_encode = _class_label_names(
            datasets_by_split, request.class_label_columns, request.source.path,
            request.source.streaming)
        replaced_lines = self._report_invalid_utf8(request.source)

        split_names = example_gen_utils.generate_output_split_names(
            request.input_config, request.output_config)
        examples = output_dict[standard_component_specs.EXAMPLES_KEY]
        for artifact in examples:
            artifact.split_names = artifact_utils.encode_split_names(split_names)
        plans, outputs = {}, {}
        for index, split in enumerate(request.input_config.splits):
            dataset = datasets_by_split[split.pattern]
            plans[split.pattern] = _plan_split(request, split.pattern, dataset, to_encode)
            outputs[split.pattern] = _plan_output(
                request, plans[split.pattern], dataset,
                split_names if request.hashed else [split_names[index]], examples)

        rows_read, row_counts = self._encode_and_write(plans, outputs, split_names)
        self._check_no_row_lost(plans, rows_read, row_counts, request.source.path)
        _record_on_artifacts(examples, request, label_names, row_counts, replaced_lines,
                             tag_names)
        logging.info("HFDatasetExampleGen read %s rows and wrote %s.", rows_read, row_counts)

    def _encode_and_write(self, plans: Dict[str, SplitPlan], outputs: Dict[str, OutputPlan],
                          split_names: List[str]):
        """Runs the Beam pipeline; (rows read per input split, rows written per output
        split)."""
        sizes = [plan.num_rows for plan in plans.values()]
        total_rows = None if None in sizes else sum(sizes)  # unknown when streaming
        with self._make_beam_pipeline() as pipeline:
            for pattern, plan in plans.items():
                _ = (pipeline
                     | f"Shards[{pattern}]" >> beam.Create(range(plan.num_shards))
                     | f"Reshuffle[{pattern}]" >> beam.Reshuffle()
                     | f"EncodeAndWrite[{pattern}]" >> beam.ParDo(
                         _EncodeAndWriteShard(plan, outputs[pattern], total_rows)))
        return (self._counts(pipeline.result, "rows_read", list(plans)),
                self._counts(pipeline.result, "rows_written", split_names))

    @staticmethod
    def _report_invalid_utf8(source: dataset_source.DatasetSource) -> Optional[int]:
        """In replace mode, the number of source lines whose bad bytes became U+FFFD."""
        if source.invalid_utf8 != "replace":
            return None
        lines = list(dataset_source.invalid_utf8_lines(source))
        for path, line, what in lines[:10]:
            logging.warning("Replaced invalid UTF-8 with U+FFFD: %s, line %d (%s)", path, line,
                            what)
        if lines:
            logging.warning("%d lines of %s had invalid UTF-8 (replaced).", len(lines),
                            source.path)
        return len(lines)

    @staticmethod
    def _counts(result, kind: str, names: List[str]) -> Dict[str, int]:
        counts = {}
        for name in names:
            query = result.metrics().query(MetricsFilter().with_namespace(
                _METRICS_NAMESPACE).with_name(f"{kind}[{name}]"))
            counts[name] = int(sum(c.committed for c in query["counters"]))
        return counts

    @staticmethod
    def _check_no_row_lost(plans: Dict[str, SplitPlan], rows_read: Dict[str, int],
                           row_counts: Dict[str, int], where: str) -> None:
        for pattern, plan in plans.items():
            if plan.num_rows is not None and rows_read[pattern] != plan.num_rows:
                raise RuntimeError(f"Split {pattern!r} of {where!r} has {plan.num_rows} rows "
                                   f"but {rows_read[pattern]} were read.")
        if sum(rows_read.values()) != sum(row_counts.values()):
            raise RuntimeError(f"Read {rows_read} rows from {where!r} but wrote {row_counts}; "
                               "no row may be lost.")
        empty = [name for name, count in row_counts.items() if count == 0]
        if empty:
            raise DatasetInputError(
                f"Output split(s) {empty} of {where!r} got no rows ({row_counts}): give the "
                "dataset more rows or change the split configuration.")


def _cumulative(values) -> Iterator[int]:
    total = 0
    for value in values:
        total += value
        yield total
