"""Bad input to `tfx-hf run` stops with one line naming what was wrong, before training."""
import os
import shutil

import datasets

from tfx_hf.pipelines import cli


def _run(tmp_path, capsys, dataset, checkpoint, *extra):
    status = cli.main(["run", "--dataset", dataset, "--checkpoint", checkpoint,
                       "--output", str(tmp_path / "out"), "--train-steps", "1", *extra])
    err = capsys.readouterr().err
    return status, err


def _no_training_happened(tmp_path):
    return not os.path.exists(tmp_path / "out" / "pipeline_root" / "HFTrainer")


def test_dataset_path_that_does_not_exist(tmp_path, capsys, tiny_checkpoint):
    status, err = _run(tmp_path, capsys, str(tmp_path / "missing"), tiny_checkpoint)
    assert status == 2
    assert "error: Dataset path" in err and "missing' does not exist" in err
    assert _no_training_happened(tmp_path)


def test_checkpoint_without_tokenizer_files(tmp_path, capsys, tiny_checkpoint, topic_dataset):
    checkpoint = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, checkpoint)
    for name in ("tokenizer.json", "vocab.txt"):
        os.remove(checkpoint / name)
    status, err = _run(tmp_path, capsys, topic_dataset, str(checkpoint))
    assert status == 2 and "has no tokenizer files" in err and str(checkpoint) in err
    assert _no_training_happened(tmp_path)


def test_checkpoint_folder_that_does_not_exist(tmp_path, capsys, topic_dataset):
    status, err = _run(tmp_path, capsys, topic_dataset, str(tmp_path / "nope"))
    assert status == 2 and "nope' is not a folder" in err


def test_missing_text_column(tmp_path, capsys, tiny_checkpoint, topic_dataset):
    status, err = _run(tmp_path, capsys, topic_dataset, tiny_checkpoint,
                       "--text-column", "headline", "--splits", "train=train,test=eval")
    assert status == 2
    assert "Column 'headline' is not in dataset" in err and "text, label, topic" in err
    assert _no_training_happened(tmp_path)


def test_missing_label_column(tmp_path, capsys, tiny_checkpoint, topic_dataset):
    status, err = _run(tmp_path, capsys, topic_dataset, tiny_checkpoint,
                       "--label-column", "category", "--splits", "train=train,test=eval")
    assert status == 2 and "Column 'category' is not in dataset" in err


def test_empty_split(tmp_path, capsys, tiny_checkpoint):
    path = str(tmp_path / "ds")
    datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"text": ["a b"], "label": [0]}),
        "test": datasets.Dataset.from_dict({"text": [], "label": []}),
    }).save_to_disk(path)
    status, err = _run(tmp_path, capsys, path, tiny_checkpoint, "--splits",
                       "train=train,test=eval")
    assert status == 2 and "Split 'test'" in err and "has no rows" in err
    assert _no_training_happened(tmp_path)


def test_malformed_splits_flag(tmp_path, capsys, tiny_checkpoint, topic_dataset):
    status, err = _run(tmp_path, capsys, topic_dataset, tiny_checkpoint, "--splits", "train")
    assert status == 2 and "HF_SPLIT=TFX_SPLIT" in err
