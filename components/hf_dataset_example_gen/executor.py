"""HFDatasetExampleGen executor: loads, validates and counts in the driver, encodes in Beam.

The driver loads each selected 🤗 split once (memory-mapped Arrow), checks columns and emptiness,
and fixes the label names. Beam then encodes contiguous shards of every split in parallel: a
worker re-opens the same split (cheap, from the 🤗 cache), takes its shard and turns Arrow
batches into tf.Examples in C++. Rows written per split are counted and must equal rows read.
"""
import dataclasses
import json
import math
from typing import Any, Dict, Iterator, List, Optional, Tuple

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import tensorflow as tf
from absl import logging
from apache_beam.metrics.metric import MetricsFilter
from tfx.components.example_gen import base_example_gen_executor
from tfx.components.example_gen import utils as example_gen_utils
from tfx.components.example_gen import write_split
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils
from tfx.utils import proto_utils

from tfx_hf.components.hf_dataset_example_gen import arrow_to_examples
from tfx_hf.components.hf_dataset_example_gen import dataset_source

# Custom properties on the Examples artifact.
LABEL_NAMES_PROPERTY = "label_names"
ROW_COUNTS_PROPERTY = "row_counts"

ROWS_PER_SHARD = 20_000
ARROW_BATCH_ROWS = 1_000
_PLANS_KEY = "_hf_split_plans"  # driver → PTransform hand-over inside exec_properties
_AS_PROTOS_KEY = "_hf_records_as_protos"
_METRICS_NAMESPACE = "HFDatasetExampleGen"


@dataclasses.dataclass(frozen=True)
class SplitPlan:
    """What a Beam worker needs to encode its shard of one 🤗 split."""
    source_json: str
    split: str
    columns: Optional[List[str]]
    rename_columns: Optional[Dict[str, str]]
    label_names: Dict[str, List[str]]  # string columns to encode as class ids
    features: Any  # datasets.Features after selection and renaming
    num_rows: int

    @property
    def num_shards(self) -> int:
        return max(1, math.ceil(self.num_rows / ROWS_PER_SHARD))


def _open_split(plan: SplitPlan):
    dataset = dataset_source.load_split(plan.source_json, plan.split)
    return dataset_source.select_columns(dataset, plan.columns, plan.rename_columns,
                                         plan.split)


def _encode_class_labels(table: pa.Table, label_names: Dict[str, List[str]]) -> pa.Table:
    for column, names in label_names.items():
        ids = pc.index_in(table.column(column), value_set=pa.array(names)).cast(pa.int64())
        table = table.set_column(table.schema.get_field_index(column), column, ids)
    return table


def _encode_shard(shard: Tuple[int, int], plan: SplitPlan) -> Iterator[bytes]:
    index, num_shards = shard
    dataset = _open_split(plan).shard(num_shards, index, contiguous=True)
    for table in dataset.with_format("arrow").iter(batch_size=ARROW_BATCH_ROWS):
        table = _encode_class_labels(table, plan.label_names)
        for batch in table.to_batches():
            yield from arrow_to_examples.encode_examples(batch, plan.features)


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(bytes)
def _SplitToExamples(pipeline: beam.Pipeline, exec_properties: Dict[str, Any],
                     split_pattern: str) -> beam.pvalue.PCollection:
    plan = exec_properties[_PLANS_KEY][split_pattern]
    records = (pipeline
               | "Shards" >> beam.Create([(i, plan.num_shards) for i in range(plan.num_shards)])
               | "Reshuffle" >> beam.Reshuffle()
               | "Encode" >> beam.FlatMap(_encode_shard, plan))
    if exec_properties.get(_AS_PROTOS_KEY):
        # Hash-partitioning keys on the record: the C++ encoder's feature order is not stable
        # across processes, a parsed tf.Example serializes deterministically (and allows
        # `partition_feature_name`).
        records = records | "Parse" >> beam.Map(tf.train.Example.FromString)
    return records


def _counter_name(split_name: str) -> str:
    return f"rows_written[{split_name}]"


def _count(record, split_name: str):
    beam.metrics.Metrics.counter(_METRICS_NAMESPACE, _counter_name(split_name)).inc()
    return record


def _json_property(exec_properties: Dict[str, Any], key: str):
    value = exec_properties.get(key)
    return json.loads(value) if value else None


def _class_label_names(datasets_by_split: Dict[str, Any], label_columns: List[str],
                       where: str) -> Tuple[Dict[str, List[str]], Dict[str, List[str]]]:
    """(label names per column, string columns to encode as ids with their names).

    ClassLabel columns keep their names. `label_columns` that are strings get the sorted set of
    their values over all splits (so a name has the same id in every split); integer ones are
    ids already and are named "0".."max". A missing label is an error, not a dropped row.
    """
    import datasets  # pylint: disable=g-import-not-at-top

    first = next(iter(datasets_by_split.values()))
    names = {c: list(f.names) for c, f in first.features.items()
             if isinstance(f, datasets.ClassLabel)}
    to_encode = {}
    for column in label_columns:
        feature = first.features.get(column)
        if feature is None:
            raise dataset_source.DatasetInputError(
                f"Class label column {column!r} is not in dataset {where!r}; its columns are: "
                f"{', '.join(first.column_names)}.")
        dtype = getattr(feature, "dtype", None)
        is_string = dtype in ("string", "large_string")
        is_integer = isinstance(feature, datasets.ClassLabel) or \
            str(dtype).startswith(("int", "uint"))
        if not (is_string or is_integer):
            raise dataset_source.DatasetInputError(
                f"Class label column {column!r} has type {feature}; it must hold strings, "
                "integer ids or be a ClassLabel.")
        values = set()
        for split, dataset in datasets_by_split.items():
            split_values = dataset.unique(column)
            if None in split_values:
                missing = dataset.with_format("arrow")[column].null_count
                raise dataset_source.DatasetInputError(
                    f"Class label column {column!r} has {missing} missing values in split "
                    f"{split!r} of {where!r}: fill or filter them before training.")
            values.update(split_values)
        if isinstance(feature, datasets.ClassLabel):
            continue
        if is_string:
            to_encode[column] = names[column] = sorted(values)
        elif min(values) < 0:
            raise dataset_source.DatasetInputError(
                f"Class label column {column!r} has negative ids ({min(values)}); class ids "
                "must be 0..N-1.")
        else:
            names[column] = [str(i) for i in range(max(values) + 1)]
    return names, to_encode


class Executor(base_example_gen_executor.BaseExampleGenExecutor):
    """Writes the selected splits of a 🤗 dataset as gzipped TFRecords of tf.Examples."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return _SplitToExamples

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        import datasets  # pylint: disable=g-import-not-at-top

        self._log_startup(input_dict, output_dict, exec_properties)
        input_config = example_gen_pb2.Input()
        proto_utils.json_to_proto(exec_properties["input_config"], input_config)
        output_config = example_gen_pb2.Output()
        proto_utils.json_to_proto(exec_properties["output_config"], output_config)
        payload_format = exec_properties.get("output_data_format",
                                             example_gen_pb2.FORMAT_TF_EXAMPLE)
        if payload_format != example_gen_pb2.FORMAT_TF_EXAMPLE:
            raise ValueError("HFDatasetExampleGen writes tf.Examples only (output_data_format="
                             "FORMAT_TF_EXAMPLE); other payload formats are not supported yet.")

        source = dataset_source.DatasetSource(
            path=exec_properties["dataset"],
            config_name=exec_properties.get("config_name") or None,
            revision=exec_properties.get("revision") or None,
            data_dir=exec_properties.get("data_dir") or None,
            data_files=exec_properties.get("data_files") or None,
            trust_remote_code=bool(exec_properties.get("trust_remote_code")))
        dataset_source.check_exists(source)
        columns = _json_property(exec_properties, "columns")
        rename_columns = _json_property(exec_properties, "rename_columns")

        datasets_by_split = {}
        for split in input_config.splits:
            dataset = dataset_source.load_split(source.to_json(), split.pattern)
            dataset = dataset_source.select_columns(dataset, columns, rename_columns,
                                                    source.path)
            if len(dataset) == 0:
                raise dataset_source.DatasetInputError(
                    f"Split {split.pattern!r} of dataset {source.path!r} has no rows.")
            datasets_by_split[split.pattern] = dataset
            logging.info("Split %r of %s: %d rows, features %s", split.pattern, source.path,
                         len(dataset), dataset.features)
        label_names, to_encode = _class_label_names(
            datasets_by_split, _json_property(exec_properties, "class_label_columns") or [],
            source.path)

        plans = {}
        for pattern, dataset in datasets_by_split.items():
            features = datasets.Features(dataset.features)
            for column, names in to_encode.items():
                features[column] = datasets.ClassLabel(names=names)
            plans[pattern] = SplitPlan(source.to_json(), pattern, columns, rename_columns,
                                       to_encode, features, len(dataset))
            # Fail here, in the driver, on a type with no tf.Example form.
            arrow_to_examples.to_example_batch(
                _encode_class_labels(dataset.with_format("arrow")[:1], to_encode).to_batches()[0],
                features)

        split_names = example_gen_utils.generate_output_split_names(input_config, output_config)
        examples = output_dict["examples"]
        for artifact in examples:
            artifact.split_names = artifact_utils.encode_split_names(split_names)
        file_format = exec_properties.get("output_file_format",
                                          example_gen_pb2.FORMAT_TFRECORDS_GZIP)
        beam_properties = dict(exec_properties, **{
            _PLANS_KEY: plans, _AS_PROTOS_KEY: bool(output_config.split_config.splits)})
        with self._make_beam_pipeline() as pipeline:
            example_splits = self.GenerateExamplesByBeam(pipeline, beam_properties)
            for split_name, records in example_splits.items():
                _ = (records
                     | f"Count[{split_name}]" >> beam.Map(_count, split_name)
                     | f"WriteSplit[{split_name}]" >> write_split.WriteSplit(
                         artifact_utils.get_split_uri(examples, split_name), file_format))
        row_counts = self._rows_written(pipeline.result, split_names)

        rows_in = sum(len(d) for d in datasets_by_split.values())
        rows_out = sum(row_counts.values())
        if rows_in != rows_out:
            raise RuntimeError(f"Read {rows_in} rows from {source.path!r} but wrote {rows_out} "
                               f"examples ({row_counts}); no row may be lost.")
        logging.info("HFDatasetExampleGen wrote %s examples from %d rows.", row_counts, rows_in)
        for artifact in examples:
            examples_utils.set_payload_format(artifact, payload_format)
            examples_utils.set_file_format(artifact, write_split.to_file_format_str(file_format))
            artifact.set_json_value_custom_property(LABEL_NAMES_PROPERTY, label_names)
            artifact.set_json_value_custom_property(ROW_COUNTS_PROPERTY, row_counts)

    @staticmethod
    def _rows_written(result, split_names: List[str]) -> Dict[str, int]:
        counts = {}
        for name in split_names:
            query = result.metrics().query(
                MetricsFilter().with_namespace(_METRICS_NAMESPACE).with_name(_counter_name(name)))
            counts[name] = sum(c.committed for c in query["counters"])
        return counts
