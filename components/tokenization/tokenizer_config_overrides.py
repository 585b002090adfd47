"""What 🤗 `AutoTokenizer.from_pretrained` changes in tokenizer.json from tokenizer_config.json.

A fast tokenizer class does not take tokenizer.json as it is: its `__init__` rewrites parts of
the backend tokenizer from its own options (tokenizer_config.json's values, else the class's
defaults). Where the two files disagree, the tokenizer users get is the rewritten one, so the
in-graph tokenizer reads tokenizer.json through the same rewrites (transformers 4.54):

- every `PreTrainedTokenizerFast`: a ByteLevel pre-tokenizer (alone, not in a Sequence) gets
  the tokenizer's `add_prefix_space` (default False);
- BERT-style classes (`BertTokenizerFast`, DistilBERT, ELECTRA, …): a BertNormalizer gets
  `do_lower_case` (default True), `strip_accents` (default None) and
  `tokenize_chinese_chars` (default True);
- RoBERTa-style classes (`RobertaTokenizerFast`, BART, Longformer, …): a RobertaProcessing or
  ByteLevel post-processor (alone) gets the tokenizer's `add_prefix_space`/`trim_offsets`
  (defaults False and True).

The class is tokenizer_config.json's `tokenizer_class`, else the one transformers maps the
model's `model_type` (config.json) to, as AutoTokenizer chooses it. No TensorFlow here.
"""
import copy
import json
import os
from typing import Optional

# Fast tokenizer classes (without "Fast") whose __init__ rebuilds a BertNormalizer.
BERT_NORMALIZER_CLASSES = frozenset({
    "BertTokenizer", "ConvBertTokenizer", "DistilBertTokenizer", "ElectraTokenizer",
    "FunnelTokenizer", "LayoutLMTokenizer", "LxmertTokenizer", "MobileBertTokenizer",
    "RoFormerTokenizer", "SqueezeBertTokenizer"})
# ... whose __init__ re-applies add_prefix_space/trim_offsets to the post-processor.
ROBERTA_POST_PROCESSOR_CLASSES = frozenset({
    "BartTokenizer", "BlenderbotTokenizer", "LayoutLMv3Tokenizer", "LEDTokenizer",
    "LongformerTokenizer", "MarkupLMTokenizer", "MvpTokenizer", "RobertaTokenizer"})
# model_type (config.json) -> tokenizer class, for checkpoints whose tokenizer_config.json
# names none (transformers' TOKENIZER_MAPPING_NAMES, for the classes above).
MODEL_TYPE_TOKENIZERS = {
    "bert": "BertTokenizer", "convbert": "ConvBertTokenizer",
    "distilbert": "DistilBertTokenizer", "electra": "ElectraTokenizer",
    "funnel": "FunnelTokenizer", "layoutlm": "LayoutLMTokenizer", "lxmert": "LxmertTokenizer",
    "mobilebert": "MobileBertTokenizer", "roformer": "RoFormerTokenizer",
    "squeezebert": "SqueezeBertTokenizer", "bart": "BartTokenizer",
    "blenderbot": "BlenderbotTokenizer", "layoutlmv3": "LayoutLMv3Tokenizer",
    "led": "LEDTokenizer", "longformer": "LongformerTokenizer", "markuplm": "MarkupLMTokenizer",
    "mvp": "MvpTokenizer", "roberta": "RobertaTokenizer", "gpt2": "GPT2Tokenizer",
    "deberta": "DebertaTokenizer"}


def tokenizer_class(folder: str, tokenizer_config: dict) -> Optional[str]:
    """The tokenizer class AutoTokenizer would build, without "Fast"; None if unknown."""
    name = tokenizer_config.get("tokenizer_class")
    if not name:
        config_json = os.path.join(folder, "config.json")
        if os.path.isfile(config_json):
            with open(config_json, encoding="utf-8") as f:
                name = MODEL_TYPE_TOKENIZERS.get(json.load(f).get("model_type"))
    return name[:-len("Fast")] if name and name.endswith("Fast") else name


def apply_overrides(spec: dict, tokenizer_config: dict, class_name: Optional[str]) -> dict:
    """tokenizer.json's `spec` as the tokenizer class's __init__ leaves it (a new dict)."""
    spec = copy.deepcopy(spec)
    pre_tokenizer = spec.get("pre_tokenizer")
    if pre_tokenizer and pre_tokenizer.get("type") == "ByteLevel":
        pre_tokenizer["add_prefix_space"] = bool(tokenizer_config.get("add_prefix_space", False))
    normalizer = spec.get("normalizer")
    if class_name in BERT_NORMALIZER_CLASSES and normalizer and \
            normalizer.get("type") == "BertNormalizer":
        normalizer["lowercase"] = tokenizer_config.get("do_lower_case", True)
        normalizer["strip_accents"] = tokenizer_config.get("strip_accents")
        normalizer["handle_chinese_chars"] = tokenizer_config.get("tokenize_chinese_chars", True)
    post_processor = spec.get("post_processor")
    if class_name in ROBERTA_POST_PROCESSOR_CLASSES and post_processor and \
            post_processor.get("type") in ("RobertaProcessing", "ByteLevel"):
        post_processor["add_prefix_space"] = tokenizer_config.get("add_prefix_space", False)
        post_processor["trim_offsets"] = tokenizer_config.get("trim_offsets", True)
    return spec
