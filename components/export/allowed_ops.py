"""The op types a tfx-hf serving model may contain: serve-check and predict refuse every other
op by name before loading a model (serve_check.refused_ops), so an op nobody reviewed — one that
reads or writes files, reaches the network, runs Python — is refused by default.

The list is what real tfx-hf exports use, collected from their saved_model.pb (graph and
function library): the Trainer's export of a BERT classifier (tests' `topic_model`), the in-graph
tokenizers of each family (WordPiece, SentencePiece Unigram for ALBERT/XLM-R/T5, byte-level BPE
for RoBERTa/GPT-2/DeBERTa) and the 🤗 TF sequence-classification models with each task's head
(BERT, RoBERTa, DistilBERT, ALBERT, ELECTRA, XLM-R, DeBERTa v1/v2, MPNet, CamemBERT), plus the
few marked "counterpart" (the other form of an op listed, which tracing picks by context).
tests/test_serve_check_ops.py fails when an export uses an op that is not here: review it, then
add it to the group that says why it is safe. A user's own model can admit more with
`--allow-op NAME`.
"""
from typing import Dict, Iterable, List, Tuple

# Why each group is safe to run: it computes on tensors in memory, and touches no file,
# network or process.
MODEL_OP_GROUPS: Dict[str, Tuple[str, ...]] = {
    "graph inputs, constants and plumbing": (
        "Placeholder",
        "PlaceholderWithDefault",
        "Const",
        "Identity",
        "IdentityN",  # counterpart of Identity (several tensors)
        "NoOp",
        "StopGradient",
        "Assert",  # fails the call with a message; writes nothing
    ),
    "function calls and control flow (the called functions are checked too)": (
        "PartitionedCall",
        "StatefulPartitionedCall",
        "If",
        "StatelessIf",
        "While",
        "StatelessWhile",  # counterpart of While
    ),
    "the model's variables (read from the SavedModel's own checkpoint)": (
        "VarHandleOp",
        "ReadVariableOp",
        "AssignVariableOp",
        "ResourceGather",
        "DisableCopyOnRead",
    ),
    "shapes, indexing and gathering": (
        "Shape",
        "Size",
        "Reshape",
        "ExpandDims",
        "Squeeze",
        "Transpose",
        "Tile",
        "BroadcastTo",
        "ConcatV2",
        "Pack",
        "Unpack",
        "Split",
        "StridedSlice",
        "GatherV2",
        "GatherNd",  # token classification's entity aggregation (token_entities.py)
        "ScatterNd",
        "TensorScatterUpdate",
        "DynamicStitch",
        "Fill",
        "ZerosLike",
        "OnesLike",
        "Range",
        "Where",
        "Select",
        "SelectV2",
        "Cast",
        "TopKV2",
        "Cumsum",
        "LowerBound",
        "DenseBincount",
        "UnsortedSegmentSum",
        "UnsortedSegmentMax",
        "UnsortedSegmentMin",
        "SparseToDense",  # the Unigram lattice's edges into a dense block
        "InvertPermutation",
        "Unique",  # the Unigram lattice segments each distinct word once
    ),
    "arithmetic, comparison and reduction": (
        "Abs",
        "AddV2",
        "Sub",
        "Mul",
        "RealDiv",
        "FloorDiv",
        "FloorMod",
        "Neg",
        "Pow",
        "Sqrt",
        "Rsqrt",
        "Log",
        "Maximum",
        "Minimum",
        "SquaredDifference",
        "BitwiseAnd",
        "BitwiseOr",
        "LeftShift",
        "RightShift",
        "Equal",
        "NotEqual",
        "Greater",
        "GreaterEqual",
        "Less",
        "LessEqual",
        "LogicalAnd",
        "LogicalOr",
        "LogicalNot",
        "All",
        "Any",
        "Sum",
        "Prod",
        "Max",
        "Min",
        "Mean",
        "ArgMax",
    ),
    "neural network layers and heads (softmax, sigmoid, regression)": (
        "MatMul",
        "BatchMatMulV2",
        "BiasAdd",
        "Softmax",
        "Exp",  # token classification's entity scores (token_entities.py)
        "Sigmoid",
        "Tanh",
        "Erf",
        "Relu",
        "RandomUniform",  # dropout, traced but off at serving
    ),
    "strings: the raw texts of a request": (
        "StringLength",
        "StringJoin",
        "StringLower",
        "StringSplitV2",
        "Substr",  # a long text cut to what truncation keeps (truncation_prefix.py)
        "StaticRegexReplace",
        "StaticRegexFullMatch",
        "UnicodeDecode",
        "UnicodeEncode",
        "UnicodeTranscode",
    ),
    "tf.Example parsing (serving_tf_example, transform_features, transform_labels)": (
        "ParseExampleV2",
    ),
    "ragged tensors (the tokenizers' pieces per text)": (
        "RaggedGather",
        "RaggedRange",
        "RaggedTensorToTensor",
    ),
    "tables and lists held in memory, filled from tensors (byte-level BPE)": (
        "HashTableV2",
        "LookupTableImportV2",
        "LookupTableFindV2",
        "TensorListReserve",
        "TensorListSetItem",
        "TensorListConcatV2",
    ),
    "TensorFlow Text tokenizer ops (their vocabularies and models are op attributes)": (
        "FastBertNormalize",
        "FastWordpieceTokenizeWithOffsets",
        "NormalizeUTF8",
        "SentencepieceOp",
        "SentencepieceTokenizeOp",
    ),
}
MODEL_OPS = frozenset(op for ops in MODEL_OP_GROUPS.values() for op in ops)

# Allowed only in the functions that the SavedModel's saver alone calls (its restore_op_name,
# its save_tensor_name): reading the variables/ checkpoint as the model loads, and the save
# function a SavedModel carries (never called to serve). Anywhere else they are refused.
RESTORE_OPS = frozenset((
    "RestoreV2",
))
SAVE_OPS = frozenset((
    "SaveV2",
    "MergeV2Checkpoints",
    "ShardedFilename",
))

# What a refused op does, for the message (the first pattern its name matches); the rule is the
# list above, not these.
WHY_REFUSED: List[Tuple[str, str]] = [
    (r"PyFunc", "runs Python (tf.py_function / tf.numpy_function): a model server cannot "
                "run it"),
    (r"Print", "prints to a log or a file (tf.print)"),
    (r"Rpc|Http|Socket|Gcs|BigQuery|Bigtable|Cloud", "reaches the network"),
    (r"Dataset|Iterator", "runs a tf.data pipeline, which can read files"),
    (r"File|Director|Summary|Writer|Reader|Record|Save|Restore|Checkpoint|Event",
     "reads or writes files"),
]


def by_context(allow_ops: Iterable[str] = ()) -> Dict[str, List[str]]:
    """The allowed ops by where they may be, as serve_check.refused_ops takes them; `allow_ops`
    are admitted everywhere."""
    return {"model": sorted(MODEL_OPS | set(allow_ops)), "restore": sorted(RESTORE_OPS),
            "save": sorted(SAVE_OPS)}
