"""Token-length statistics: windows per text as 🤗's overflowing truncation makes them, lengths
and unknown tokens as the checkpoint's 🤗 tokenizer counts them, and the max_length
`--max-length auto` picks."""
import json

import numpy as np
import pytest

from tfx_hf.components.token_lengths import counting, statistics

WORDS = "the match goal team coach league striker season cup player score".split()
TEXTS = ["", "goal", "The striker scored a late goal!", "Café ½ 中文 zzz qqq"] + [
    " ".join(WORDS[i % len(WORDS)] for i in range(n)) for n in (5, 20, 21, 22, 40, 61, 150)]


@pytest.mark.parametrize("max_length,stride", [(16, 0), (16, 4), (12, 9), (32, 8)])
def test_windows_per_text_are_huggingface_overflow_rows(tiny_checkpoint, max_length, stride):
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(tiny_checkpoint)
    counter = counting.TokenCounter(tiny_checkpoint, pair=False)
    counts = counter.count([[t.encode() for t in TEXTS]])
    windows = statistics.windows_per_text(counts["last"], max_length, counter.special_tokens,
                                          stride)
    expected = [len(reference(t, truncation=True, max_length=max_length, stride=stride,
                              return_overflowing_tokens=True)["input_ids"]) for t in TEXTS]
    assert windows.tolist() == expected
    assert max(expected) > 3  # long texts make many windows: the count is tested


def test_pair_windows_run_over_the_second_text(tiny_checkpoint):
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(tiny_checkpoint)
    counter = counting.TokenCounter(tiny_checkpoint, pair=True)
    firsts, seconds = TEXTS[:5] * 2, TEXTS[5:] + TEXTS[1:5]
    firsts, seconds = firsts[:len(seconds)], seconds
    counts = counter.count([[t.encode() for t in firsts], [t.encode() for t in seconds]])
    windows = statistics.windows_per_text(counts["last"], 24, counter.special_tokens, 4,
                                          counts["first"])
    expected = [len(reference(a, b, truncation="only_second", max_length=24, stride=4,
                              return_overflowing_tokens=True)["input_ids"])
                for a, b in zip(firsts, seconds)]
    assert windows.tolist() == expected


@pytest.mark.parametrize("checkpoint", ["tiny_checkpoint", "tiny_roberta_checkpoint"])
def test_lengths_and_unknown_tokens_are_the_tokenizers(request, checkpoint):
    from transformers import AutoTokenizer

    path = request.getfixturevalue(checkpoint)
    reference = AutoTokenizer.from_pretrained(path)
    counts = counting.TokenCounter(path, pair=False).count([[t.encode() for t in TEXTS]])
    encoded = [reference(t)["input_ids"] for t in TEXTS]
    assert counts["lengths"].tolist() == [len(ids) for ids in encoded]
    unk = reference.unk_token_id
    assert counts["unknown"].tolist() == [ids.count(unk) for ids in encoded]
    if checkpoint == "tiny_checkpoint":
        assert counts["unknown"].sum() > 0  # accents and CJK are not in the tiny vocabulary


def test_split_statistics():
    lengths = np.array([4, 10, 20, 40, 100])
    windows = statistics.windows_per_text(lengths - 2, 32, 2, 8)
    found = statistics.split_statistics(lengths, windows, unknown_tokens=3, tokens=164,
                                        max_length=32)
    assert found["rows"] == 5 and found["mean"] == pytest.approx(34.8)
    assert found["quantiles"]["p50"] == 20 and found["max"] == 100
    assert found["truncated"] == 2 and found["truncated_share"] == pytest.approx(0.4)
    assert found["unknown_token_share"] == pytest.approx(3 / 164)
    # 38 content tokens, 30 per window, step 22: 2 windows; 98: 1 + ceil(68 / 22) = 5.
    assert windows.tolist() == [1, 1, 1, 2, 5]
    assert found["windows_per_text"] == {"mean": 2.0, "max": 5, "total": 10,
                                         "texts_with_several": 2}
    assert statistics.split_statistics([], [], 0, 0, 32) == {"rows": 0}


@pytest.mark.parametrize("p95,cap,expected", [(0.0, None, 8), (8, None, 8), (8.01, None, 16),
                                              (100, 512, 104), (700, 512, 512), (63, 62, 62)])
def test_choose_max_length(p95, cap, expected):
    assert statistics.choose_max_length(p95, cap) == expected


def test_max_length_auto_is_resolved_before_the_components(tiny_checkpoint, topic_dataset,
                                                           tmp_path):
    """create_pipeline(max_length="auto") gives every component the number it picked from
    the split that becomes TFX's train split; compiling without the data here is refused."""
    import datasets
    from transformers import AutoTokenizer

    from tfx_hf.pipelines.config import ConfigError
    from tfx_hf.pipelines.text_classification import create_pipeline

    kwargs = dict(pipeline_name="auto", pipeline_root=str(tmp_path / "root"),
                  dataset=topic_dataset, checkpoint=tiny_checkpoint,
                  push_destination=str(tmp_path / "push"), max_length="auto",
                  splits={"test": "eval", "train": "train"})
    pipeline = create_pipeline(**kwargs)
    texts = datasets.load_from_disk(topic_dataset)["train"]["text"]
    lengths = [len(i) for i in AutoTokenizer.from_pretrained(tiny_checkpoint)(texts)["input_ids"]]
    expected = statistics.choose_max_length(np.quantile(lengths, 0.95), 64)
    by_id = {c.id: c for c in pipeline.components}
    for node in ("Transform", "HFTrainer", "TokenizerParityCheck", "TokenLengthStatisticsGen"):
        config = by_id[node].exec_properties["custom_config"]
        config = json.loads(config) if isinstance(config, str) else config
        assert config["max_length"] == expected, node
    auto = json.loads(by_id["TokenLengthStatisticsGen"].exec_properties["max_length_auto"])
    assert auto["picked"] == expected and auto["split"] == "train" and auto["rows"] == 90
    with pytest.raises(ConfigError, match="max_length='auto'"):
        create_pipeline(**kwargs, validate=False)


def test_max_length_auto_reaching_a_component_is_an_error(tiny_checkpoint):
    from tfx_hf.components.input_error import InputError
    from tfx_hf.components.task import TaskConfig
    from tfx_hf.components.transform import preprocessing

    config = TaskConfig(checkpoint=tiny_checkpoint, max_length="auto")
    with pytest.raises(InputError, match="unresolved"):
        preprocessing.in_graph_tokenizer(config)
    with pytest.raises(InputError, match="max_length"):
        TaskConfig(checkpoint=tiny_checkpoint, max_length="long")


def test_max_length_flag_takes_a_number_or_auto(capsys):
    from tfx_hf.pipelines import cli

    with pytest.raises(SystemExit) as exited:
        cli.main(["run", "--max-length", "long"])
    assert exited.value.code == 2
    assert "--max-length: 'long' is neither a number of tokens nor 'auto'" in \
        capsys.readouterr().err


def test_compiling_with_max_length_auto_is_one_line_and_status_2(tmp_path, capsys):
    """Compiling for another machine does not read the data: auto needs a run here."""
    from tfx_hf.pipelines import cli

    status = cli.main(["compile", "--target", "kubeflow", "--output", str(tmp_path / "p.yaml"),
                       "--dataset", "SetFit/bbc-news", "--checkpoint", "gs://b/c",
                       "--pipeline-root", "gs://b/r", "--push-destination", "gs://b/s",
                       "--image", "x:1", "--max-length", "auto"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "max_length='auto'" in err, err
