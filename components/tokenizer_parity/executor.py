"""TokenizerParityCheck executor: samples each split, tokenizes it both ways, writes the
certificate, and fails on any difference unless the user allowed it.

Not a Beam executor: it reads only the text features, and at most until each split has
`sample_size` non-ASCII rows, then tokenizes a few thousand rows in this process.
"""
import json
from typing import List

from absl import logging
from tfx.components.util import examples_utils
from tfx.dsl.components.base import base_executor
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils
from tfx.types.standard_component_specs import EXAMPLES_KEY

from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import TaskConfig
from tfx_hf.components.tokenizer_parity import certificate, parity
from tfx_hf.components.tokenizer_parity.artifact import TokenizerParity  # noqa: F401 (registers
# the output's type where only this class path is imported: KFP v2 / Vertex containers)
from tfx_hf.components.transform import preprocessing

# Exec property names and the output key.
CUSTOM_CONFIG_KEY = "custom_config"  # TaskConfig JSON, as Transform and the Trainer get it
SAMPLE_SIZE_KEY = "sample_size"
ALLOW_MISMATCH_KEY = "allow_tokenizer_mismatch"
TOKENIZER_PARITY_KEY = "tokenizer_parity"


def _versions() -> dict:
    import tensorflow_text
    import tokenizers
    import transformers

    return {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "tensorflow-text": tensorflow_text.__version__}


def check_examples(examples, config: TaskConfig, sample_size: int,
                   allow_tokenizer_mismatch: bool) -> certificate.ParityCertificate:
    """The certificate of `examples` (an Examples artifact of tf.Examples), every split."""
    payload = examples_utils.get_payload_format(examples)
    if payload != example_gen_pb2.FORMAT_TF_EXAMPLE:
        raise InputError(
            f"Examples {examples.uri} hold {example_gen_pb2.PayloadFormat.Name(payload)}; "
            "TokenizerParityCheck reads tf.Examples (FORMAT_TF_EXAMPLE), as the pipeline's "
            "Transform does.")
    in_graph = preprocessing.in_graph_tokenizer(config)
    hf_tokenizer = parity.hf_fast_tokenizer(config.checkpoint)
    splits: List[certificate.SplitParity] = []
    differing: List[certificate.DifferingRow] = []
    for split in artifact_utils.decode_split_names(examples.split_names):
        rows = parity.read_text_rows(artifact_utils.get_split_uri([examples], split),
                                     config.text_features)
        sample, read, non_ascii = parity.choose_sample(rows, sample_size)
        split_parity, shown = parity.compare_split(
            split, sample, read, non_ascii, config, in_graph, hf_tokenizer,
            max_differing_rows=parity.MAX_DIFFERING_ROWS - len(differing))
        logging.info("Tokenizer parity on split %s: %d of %d rows exact (%d non-ASCII "
                     "compared, %d rows read).", split, split_parity.exact_rows,
                     split_parity.rows_compared, non_ascii, read)
        splits.append(split_parity)
        differing.extend(shown)
    return certificate.ParityCertificate(
        checkpoint=config.checkpoint, max_length=config.max_length,
        text_features=config.text_features, sample_size=sample_size, splits=splits,
        differing_rows=differing, allow_tokenizer_mismatch=allow_tokenizer_mismatch,
        versions=_versions())


def record_on_artifact(artifact, found: certificate.ParityCertificate) -> None:
    artifact.set_int_custom_property(certificate.EXACT_ROWS_PROPERTY, found.exact_rows)
    artifact.set_int_custom_property(certificate.ROWS_COMPARED_PROPERTY, found.rows_compared)
    if found.exact_row_rate is not None:
        artifact.set_float_custom_property(certificate.EXACT_ROW_RATE_PROPERTY,
                                           found.exact_row_rate)
    artifact.set_int_custom_property(
        certificate.ALLOWED_MISMATCH_PROPERTY,
        int(found.allow_tokenizer_mismatch and not found.identical))


class Executor(base_executor.BaseExecutor):
    """Writes `tokenizer_parity.json` into the artifact and its rates into MLMD; raises
    InputError naming the differing rows unless `allow_tokenizer_mismatch`."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        config = TaskConfig.from_custom_config(json.loads(exec_properties[CUSTOM_CONFIG_KEY]))
        sample_size = int(exec_properties.get(SAMPLE_SIZE_KEY) or parity.DEFAULT_SAMPLE_SIZE)
        allow = bool(exec_properties.get(ALLOW_MISMATCH_KEY) or 0)
        examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY])
        output = artifact_utils.get_single_instance(output_dict[TOKENIZER_PARITY_KEY])

        found = check_examples(examples, config, sample_size, allow)
        # Written before a difference stops the run, though orchestrators may remove a failed
        # execution's outputs (LocalDagRunner does): the error itself shows the rows.
        found.write(output.uri)
        record_on_artifact(output, found)
        if found.rows_compared == 0:
            raise InputError(f"Examples {examples.uri} have no rows to check the tokenizer on.")
        if found.identical:
            logging.info("Tokenizer parity: all %d rows compared are identical.",
                         found.rows_compared)
            return
        message = parity.mismatch_message(config.checkpoint, found.splits, found.differing_rows)
        if not allow:
            raise InputError(message)
        logging.warning("%s (allowed: allow_tokenizer_mismatch=True)", message)
