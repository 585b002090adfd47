"""Packs encoded texts (one segment, or a pair) into model inputs as 🤗's tokenizer call does:
its truncation strategy, the post-processor's special-token template (token_type_ids
included) and padding, for any encoder.

tensorflow-text trims text pairs (`WaterfallTrimmer`) and pads (`pad_model_inputs`). Kept
here, each for a reason a test or a measurement shows:
  - how many tokens `longest_first` keeps of each text of a pair (tests/test_tokenization.py):
    `RoundRobinTrimmer` gives the odd token to the first text where 🤗 gives it to the longer
    one (the second on a tie), `ShrinkLongestTrimmer` to the second where 🤗 gives it to the
    longer first one; 🤗's allocation is computed here and each text cut to it;
  - a single text is cut by a ragged slice: WaterfallTrimmer gives the same ids but builds a
    mask over every token, where the slice gathers only the kept ones (measured on 256 texts
    of 200-1500 tokens: 11-17 ms against 1-2 ms, a few percent of the whole tokenizer);
  - the template (tests/test_tokenization_sentencepiece.py): `combine_segments` writes one
    start and one end token per segment, BERT's layout, not XLM-R's `<s> A </s></s> B </s>`
    or T5's `A </s>`.
With `return_overflowing_tokens=True` a text longer than max_length becomes all of 🤗's
overflowing windows (windows.py): one row per window, `overflow_to_sample_mapping` naming its
text; of a pair, the text the truncation strategy names (`only_second` or `only_first`) is cut
to windows and the other repeated in each.
"""
from typing import Dict, List, Optional, Sequence, Union

import tensorflow as tf
import tensorflow_text as tf_text

from tfx_hf.components.input_error import InputError
from tfx_hf.components.tokenization.tokenizer_files import Template
from tfx_hf.components.tokenization.windows import overflow_windows, take_windows

PADDING_STRATEGIES = ("max_length", "longest")
TRUNCATION_STRATEGIES = ("longest_first", "only_first", "only_second")


def special_token_count(template: Template) -> int:
    return sum(len(piece) for piece, _ in template if not isinstance(piece, str))


def longest_first_lengths(n1, n2, budget):
    """How many tokens 🤗 tokenizers' `longest_first` keeps of each text of a pair (its
    truncate_encodings): the shorter keeps its length if the longer can take the whole cut;
    otherwise each keeps budget // 2, and the odd token goes to the longer (the second on a
    tie)."""
    budget = tf.constant(budget, n1.dtype)
    swap = n1 > n2
    short, long = tf.minimum(n1, n2), tf.maximum(n1, n2)
    long = tf.where(short > budget, short, tf.maximum(short, budget - short))
    halve = short + long > budget
    short = tf.where(halve, budget // 2, short)
    long = tf.where(halve, budget // 2 + budget % 2, long)
    fits = n1 + n2 <= budget
    return (tf.where(fits, n1, tf.where(swap, long, short)),
            tf.where(fits, n2, tf.where(swap, short, long)))


class SegmentPacker:
    """One or two `[batch, (tokens)]` int64 ragged segments to `input_ids`, `attention_mask`
    and `token_type_ids` (`[batch, width]` int64), with 🤗's option names."""

    def __init__(self, single_template: Template, pair_template: Optional[Template],
                 max_length: int, pad_id: int, padding: str = "max_length",
                 truncation: Union[bool, str] = True, pad_to_multiple_of: Optional[int] = None,
                 return_overflowing_tokens: bool = False, stride: int = 0,
                 max_windows: Optional[int] = None):
        if padding not in PADDING_STRATEGIES:
            raise InputError(f"padding={padding!r}: use one of {PADDING_STRATEGIES}.")
        if truncation is True:
            truncation = "longest_first"
        if truncation not in TRUNCATION_STRATEGIES:
            raise InputError(f"truncation={truncation!r}: use True or one of "
                             f"{TRUNCATION_STRATEGIES}; an exported model needs a bounded "
                             "sequence length.")
        if max_length is None or max_length <= special_token_count(single_template):
            raise InputError(f"max_length={max_length!r}: it must leave room for a token "
                             "besides the special tokens.")
        if pad_to_multiple_of and max_length % pad_to_multiple_of:
            raise InputError(f"max_length={max_length} is not a multiple of pad_to_multiple_of="
                             f"{pad_to_multiple_of} (🤗 refuses this too with truncation).")
        self.single_template, self.pair_template = single_template, pair_template
        self.max_length = max_length
        self.pad_id = pad_id
        self.padding = padding
        self.truncation = truncation
        self.pad_to_multiple_of = pad_to_multiple_of
        self.return_overflowing_tokens = return_overflowing_tokens
        self.stride, self.max_windows = stride, max_windows
        if return_overflowing_tokens:
            self._check_window_options(max_length - special_token_count(single_template))

    def _check_window_options(self, budget: int) -> None:
        if isinstance(self.stride, bool) or not isinstance(self.stride, int) or \
                not 0 <= self.stride < budget:
            raise InputError(
                f"stride={self.stride!r}: windows of max_length={self.max_length} hold {budget} "
                "tokens of text besides the special tokens; the stride (tokens shared by "
                f"consecutive windows) must be an integer from 0 to {budget - 1}.")
        if self.max_windows is not None and (isinstance(self.max_windows, bool) or not isinstance(
                self.max_windows, int) or self.max_windows < 1):
            raise InputError(f"max_windows={self.max_windows!r}: must be an integer from 1 up "
                             "(or None: every window).")

    def __call__(self, segments: Sequence[tf.RaggedTensor],
                 offsets: Optional[Sequence[Sequence[tf.RaggedTensor]]] = None
                 ) -> Dict[str, tf.Tensor]:
        """`offsets`: (starts, ends) of each segment's tokens, for `offset_mapping`
        ([batch, width, 2]: special and padding tokens (0, 0), as 🤗's)."""
        template = self.single_template if len(segments) == 1 else self.pair_template
        budget = self.max_length - special_token_count(template)
        if self.return_overflowing_tokens:
            return self._windows(template, budget, segments, offsets)
        segments = self.truncate(segments, budget)
        ids, type_ids = self._apply_template(template, segments)
        width = self._padded_width(ids)
        input_ids, attention_mask = tf_text.pad_model_inputs(ids, width, self.pad_id)
        if any(type_id for _, type_id in template):
            token_type_ids, _ = tf_text.pad_model_inputs(type_ids, width, 0)
        else:  # a single text's: all 0, padding too
            token_type_ids = tf.zeros_like(input_ids)
        outputs = {"input_ids": input_ids, "attention_mask": attention_mask,
                   "token_type_ids": token_type_ids}
        if offsets is not None:
            # Cut as the ids were (the cuts depend on the segments' lengths only).
            mapping = []
            for side in zip(*offsets):  # starts of each segment, then ends
                cut = self.truncate(list(side), budget)
                mapping.append(tf_text.pad_model_inputs(
                    self._apply_template(template, cut, special_value=0)[0], width, 0)[0])
            outputs["offset_mapping"] = tf.stack(mapping, axis=-1)
        return outputs

    def _windows(self, template: Template, budget: int, segments: Sequence[tf.RaggedTensor],
                 offsets: Optional[Sequence[Sequence[tf.RaggedTensor]]]) -> Dict[str, tf.Tensor]:
        """One row per overflowing window (its text's other segment repeated), with
        `overflow_to_sample_mapping` ([windows] int64) and `num_windows` ([batch] int64: each
        text's windows before the `max_windows` cap)."""
        lengths = [segment.row_lengths() for segment in segments]
        if len(segments) == 1:
            if self.truncation == "only_second":
                raise InputError("truncation='only_second' needs text pairs (🤗 raises too).")
            cut, size = 0, budget
        else:
            if self.truncation not in ("only_first", "only_second"):
                raise InputError(
                    f"truncation={self.truncation!r} with return_overflowing_tokens: windows of "
                    "a text pair run over one of its texts; use truncation='only_second' (or "
                    "'only_first').")
            cut = 0 if self.truncation == "only_first" else 1
            size = budget - lengths[1 - cut]
            self._assert_fits(lengths[0] + lengths[1] - budget, lengths[cut])
            needs_windows = lengths[cut] > size
            tf.debugging.assert_less(
                tf.where(needs_windows, tf.constant(self.stride, tf.int64), 0),
                tf.where(needs_windows, size, 1),
                message=f"stride={self.stride}: a pair leaves fewer tokens than that for the "
                        f"windows of its {('first', 'second')[cut]} text at max_length="
                        f"{self.max_length} (🤗 fails too); use a smaller stride.")
        windows = overflow_windows(lengths[cut], size, self.stride, self.max_windows)

        def in_windows(parts):
            return [take_windows(part, windows) if i == cut else tf.gather(part, windows.mapping)
                    for i, part in enumerate(parts)]

        ids, type_ids = self._apply_template(template, in_windows(segments))
        width = self._padded_width(ids)
        input_ids, attention_mask = tf_text.pad_model_inputs(ids, width, self.pad_id)
        token_type_ids, _ = tf_text.pad_model_inputs(type_ids, width, 0)
        outputs = {"input_ids": input_ids, "attention_mask": attention_mask,
                   "token_type_ids": token_type_ids,
                   "overflow_to_sample_mapping": windows.mapping,
                   "num_windows": windows.num_windows}
        if offsets is not None:
            outputs["offset_mapping"] = tf.stack([
                tf_text.pad_model_inputs(self._apply_template(
                    template, in_windows(list(side)), special_value=0)[0], width, 0)[0]
                for side in zip(*offsets)], axis=-1)
        return outputs

    def truncate(self, segments: Sequence[tf.RaggedTensor],
                 budget: int) -> List[tf.RaggedTensor]:
        """The segments cut by the truncation strategy to `budget` tokens in all."""
        if len(segments) == 1:
            if self.truncation == "only_second":
                raise InputError("truncation='only_second' needs text pairs (🤗 raises too).")
            return [segments[0][:, :budget]]
        first, second = segments
        n1, n2 = first.row_lengths(), second.row_lengths()
        if self.truncation == "longest_first":
            keep1, keep2 = longest_first_lengths(n1, n2, budget)
            return [tf_text.WaterfallTrimmer(keep1).trim([first])[0],
                    tf_text.WaterfallTrimmer(keep2).trim([second])[0]]
        # only_first / only_second: the other text is kept whole and the named one takes the
        # cut; the waterfall fills the text named first's budget first.
        to_remove = n1 + n2 - budget
        if self.truncation == "only_first":
            self._assert_fits(to_remove, n1)
            return tf_text.WaterfallTrimmer(budget).trim([second, first])[::-1]
        self._assert_fits(to_remove, n2)
        return tf_text.WaterfallTrimmer(budget).trim([first, second])

    def _assert_fits(self, to_remove, target_lengths):
        """🤗 fails the batch when the sequence to truncate is too short to reach max_length."""
        tf.debugging.assert_less(
            tf.maximum(to_remove, 0), tf.maximum(target_lengths, 1),
            message=f"truncation={self.truncation!r}: the sequence to truncate is too short "
                    f"to respect max_length={self.max_length} (🤗 raises the same error); use "
                    "truncation='longest_first'.")

    @staticmethod
    def _apply_template(template: Template, segments: Sequence[tf.RaggedTensor],
                        special_value: Optional[int] = None):
        """(ids, type ids) of the template with "A" and "B" replaced by the segments (and its
        special tokens by `special_value` if given)."""
        sequences = dict(zip("AB", segments))
        batch = segments[0].nrows()
        ids, type_ids = [], []
        for piece, type_id in template:
            if isinstance(piece, str):
                part = sequences[piece]
            else:
                if special_value is not None:
                    piece = [special_value] * len(piece)
                part = tf.RaggedTensor.from_tensor(
                    tf.tile(tf.constant([piece], tf.int64), [batch, 1]))
            ids.append(part)
            type_ids.append(tf.ones_like(part) * type_id)
        return tf.concat(ids, axis=1), tf.concat(type_ids, axis=1)

    def _padded_width(self, ids: tf.RaggedTensor):
        if self.padding == "max_length":
            return self.max_length
        width = tf.maximum(tf.reduce_max(ids.row_lengths()), 0)  # 0 for an empty batch
        if self.pad_to_multiple_of:
            multiple = tf.constant(self.pad_to_multiple_of, tf.int64)
            width = (width + multiple - 1) // multiple * multiple
        return width
