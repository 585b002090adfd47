"""The exceptions that mean "your input is wrong" (printed as one line by the CLI)."""
from tfx_hf.components.hf_dataset_example_gen.arrow_to_examples import FeatureConversionError
from tfx_hf.components.hf_dataset_example_gen.dataset_source import DatasetInputError
from tfx_hf.components.tokenization.tokenizer_files import TokenizerFilesError
from tfx_hf.components.trainer.checkpoint import CheckpointError

INPUT_ERRORS = (DatasetInputError, FeatureConversionError, TokenizerFilesError, CheckpointError)
