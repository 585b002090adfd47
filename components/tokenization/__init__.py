"""In-graph tokenization built from a 🤗 checkpoint's own tokenizer files."""
from tfx_hf.components.tokenization.in_graph_tokenizer import InGraphTokenizer  # noqa: F401
from tfx_hf.components.tokenization.tokenizer_files import (  # noqa: F401
    ByteLevelBPEConfig, SentencePieceConfig, TokenizerFilesError, WordPieceConfig,
    read_tokenizer_config)
