"""HFDatasetExampleGen: any 🤗 dataset (Hub id, save_to_disk folder, data files) as TFX Examples."""
import json
from typing import Dict, List, Mapping, Optional, Union

from tfx.components.example_gen import utils as example_gen_utils
from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.proto import example_gen_pb2
from tfx.types import channel, component_spec, standard_artifacts

from tfx_hf.components.hf_dataset_example_gen import executor
from tfx_hf.components.input_error import InputError

# Exec property names (they are stored in MLMD in clear: never put a token in them).
DATASET_KEY = "dataset"
CONFIG_NAME_KEY = "config_name"
REVISION_KEY = "revision"
DATA_DIR_KEY = "data_dir"
DATA_FILES_KEY = "data_files"
COLUMNS_KEY = "columns"
RENAME_COLUMNS_KEY = "rename_columns"
CLASS_LABEL_COLUMNS_KEY = "class_label_columns"
TEXT_COLUMNS_KEY = "text_columns"
WORD_TAG_COLUMNS_KEY = "word_tag_columns"
TRUST_REMOTE_CODE_KEY = "trust_remote_code"
STREAMING_KEY = "streaming"
INVALID_UTF8_KEY = "invalid_utf8"


class HFDatasetExampleGenSpec(component_spec.ComponentSpec):
    PARAMETERS = {
        DATASET_KEY: component_spec.ExecutionParameter(type=str),
        CONFIG_NAME_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        REVISION_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        DATA_DIR_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        DATA_FILES_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        COLUMNS_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        RENAME_COLUMNS_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        CLASS_LABEL_COLUMNS_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        TEXT_COLUMNS_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        WORD_TAG_COLUMNS_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        TRUST_REMOTE_CODE_KEY: component_spec.ExecutionParameter(type=int, optional=True),
        STREAMING_KEY: component_spec.ExecutionParameter(type=int, optional=True),
        INVALID_UTF8_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        "input_config": component_spec.ExecutionParameter(type=example_gen_pb2.Input),
        "output_config": component_spec.ExecutionParameter(type=example_gen_pb2.Output),
        "output_data_format": component_spec.ExecutionParameter(type=int),
        "output_file_format": component_spec.ExecutionParameter(type=int),
    }
    INPUTS = {}
    OUTPUTS = {"examples": component_spec.ChannelParameter(type=standard_artifacts.Examples)}


def _json_or_none(value) -> Optional[str]:
    return None if value is None else json.dumps(value, sort_keys=True)


class HFDatasetExampleGen(base_beam_component.BaseBeamComponent):
    """Reads a 🤗 dataset with `datasets` and writes TFX Examples, one TFX split per 🤗 split.

    `splits` maps 🤗 split names (or slices such as "train[:90%]") to TFX split names, e.g.
    `{"train": "train", "validation": "eval"}`. Without it, the 🤗 "train" split is
    hash-partitioned by `output_config` (default train:eval = 2:1), as in standard ExampleGen.

    Every 🤗 feature type maps to tf.Example features as `arrow_to_examples` documents (lists
    flattened, dicts as `a.b`, nulls as missing), except that a null string is an empty string
    (`""`), as a CSV reader cannot tell them apart: every reader gives the same Examples, and a
    text feature is present in every row. `text_columns` (names after renaming) must hold
    strings. `output_data_format=FORMAT_PARQUET` writes the same columns as Parquet instead.

    `streaming=True` reads the dataset as an IterableDataset, shard by shard, with memory that
    does not grow with its size (label columns must then be ClassLabels already).
    `invalid_utf8` decides what happens to bytes in csv/json/txt files that are not UTF-8:
    "error" (default) stops naming the file and line; "replace" reads them as U+FFFD and records
    how many lines were affected in the `invalid_utf8_lines_replaced` property.

    The Examples artifact records `label_names` (JSON: column → class names, for `ClassLabel`
    columns and the columns listed in `class_label_columns`: strings are written as int64 ids
    of their sorted names, integers are kept and named "0".."max"; each of these needs 2
    classes at least) and `row_counts` (JSON: TFX
    split → rows written, equal to rows read).

    `word_tag_columns` ({words column: tags column}, names after renaming) names word-tagged
    columns for token classification: a list of strings per row and a
    `Sequence(ClassLabel)` of tags; a row with a different number of tags and words is an
    error naming it. Their tag names are in `label_names` and in `tag_names` (JSON: tags
    column → names in id order). A Hub token is read from HF_TOKEN by `datasets`;
    never pass one as a parameter (exec properties are stored in MLMD in clear).
    """

    SPEC_CLASS = HFDatasetExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(
        self,
        dataset: str,
        *,
        config_name: Optional[str] = None,
        revision: Optional[str] = None,
        data_dir: Optional[str] = None,
        data_files: Optional[Union[str, List[str], Mapping[str, Union[str, List[str]]]]] = None,
        splits: Optional[Mapping[str, str]] = None,
        input_config: Optional[example_gen_pb2.Input] = None,
        output_config: Optional[example_gen_pb2.Output] = None,
        columns: Optional[List[str]] = None,
        rename_columns: Optional[Dict[str, str]] = None,
        class_label_columns: Optional[List[str]] = None,
        text_columns: Optional[List[str]] = None,
        word_tag_columns: Optional[Dict[str, str]] = None,
        trust_remote_code: bool = False,
        streaming: bool = False,
        invalid_utf8: str = "error",
        output_data_format: int = example_gen_pb2.FORMAT_TF_EXAMPLE,
        output_file_format: int = example_gen_pb2.FORMAT_TFRECORDS_GZIP,
    ):
        if splits and input_config:
            raise InputError("Give either `splits` or `input_config`, not both.")
        if splits:
            input_config = example_gen_pb2.Input(splits=[
                example_gen_pb2.Input.Split(name=tfx_name, pattern=hf_split)
                for hf_split, tfx_name in splits.items()])
            output_config = output_config or example_gen_pb2.Output()
        input_config = input_config or example_gen_pb2.Input(
            splits=[example_gen_pb2.Input.Split(name="train", pattern="train")])
        output_config = example_gen_utils.make_default_output_config(input_config) \
            if output_config is None else output_config
        spec = HFDatasetExampleGenSpec(
            dataset=dataset,
            config_name=config_name,
            revision=revision,
            data_dir=data_dir,
            data_files=_json_or_none(data_files),
            columns=_json_or_none(columns),
            rename_columns=_json_or_none(rename_columns),
            class_label_columns=_json_or_none(class_label_columns),
            text_columns=_json_or_none(text_columns),
            word_tag_columns=_json_or_none(word_tag_columns),
            trust_remote_code=int(bool(trust_remote_code)),
            streaming=int(bool(streaming)),
            invalid_utf8=invalid_utf8,
            input_config=input_config,
            output_config=output_config,
            output_data_format=output_data_format,
            output_file_format=output_file_format,
            examples=channel.Channel(type=standard_artifacts.Examples),
        )
        super().__init__(spec=spec)
