"""HFHubPusher executor tests against a stand-in for the 🤗 Hub.

`FakeHub` is NOT the Hub: it is a stdlib `http.server` on 127.0.0.1 that answers the HTTP calls
huggingface_hub 0.36's `HfApi` makes for `create_repo`, `create_branch`, `upload_folder`
(validate-yaml, preupload, the LFS batch/upload/verify path for large files, commit) and
`create_tag`, and records every request. `HF_ENDPOINT` and the pusher's `endpoint` point at it,
so the real client code runs and nothing leaves the machine. It runs in the test's process, so
it also sees whether the push changed huggingface_hub's process-wide endpoint. The model
pushed is real: a tiny 🤗 TF BERT classifier saved with `save_pretrained`, and a SavedModel
saved with `tf.saved_model.save`.
"""
import base64
import hashlib
import json
import logging
import os
import re
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

import pytest
import tensorflow as tf
import yaml
from huggingface_hub import constants as hub_constants
from conftest import LocalHTTPServer
from tfx.types import channel, standard_artifacts

from tfx_hf.components.hf_hub_pusher import executor as pusher_executor
from tfx_hf.components.hf_hub_pusher.component import HFHubPusher
from tfx_hf.components.hf_hub_pusher.hub_token import MissingTokenError
from tfx_hf.components.contracts import HF_FORMAT_DIR, ModelInfo, serving_model_dir
from tfx_hf.components.export.requirements import write_requirements

TOKEN = "hf_TestTokenThatMustNeverBeLogged0123456789"
REPO_ID = "tfx-hf-tests/topic-classifier"
LFS_THRESHOLD = 10_000  # bytes; the Hub's is 10 MB, lowered so tf_model.h5 goes through LFS
TF_TEXT_VERSION = "2.16.1"
LABELS = ["sport", "business", "tech"]


class FakeHub(LocalHTTPServer):
    """Stands in for the Hub API (see the module docstring); `requests` lists what came in."""

    def __init__(self):
        self.requests = []  # (method, path, headers with lower-case names, body)
        self.repos = {}  # repo_id → {"private", "branches": {name: sha}, "tags": {name: sha}}
        self.commits = {}  # sha → {"repo_id", "branch", "files": {path: bytes}, "header"}
        self.lfs = {}  # oid → bytes
        self.unexpected = []
        # huggingface_hub's endpoint in this process when each commit came in.
        self.endpoints_during_commits = []
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def calls(self, pattern: str):
        return [r for r in self.requests if re.search(pattern, f"{r[0]} {r[1]}")]

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output for the pusher's own logs
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _reply(self, status: int, payload=None):
                raw = isinstance(payload, bytes)  # a file's bytes, from /resolve/
                body = payload if raw else json.dumps(
                    payload if payload is not None else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type",
                                 "application/octet-stream" if raw else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self):
                path = unquote(urlsplit(self.path).path)
                body = self._body()
                headers = {name.lower(): value for name, value in self.headers.items()}
                with hub._lock:
                    hub.requests.append((self.command, path, headers, body))
                    status, payload = hub.route(self.command, path, self.headers, body)
                self._reply(status, payload)

            do_GET = do_POST = do_PUT = _handle

        return Handler

    def route(self, method, path, headers, body):
        if path.startswith("/lfs-upload/"):  # like S3 presigned URLs: no Hub token needed
            oid = path.rsplit("/", 1)[-1]
            if hashlib.sha256(body).hexdigest() != oid:
                return 400, {"error": "sha256 mismatch"}
            self.lfs[oid] = body
            return 200, {}
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"error": "Invalid credentials in Authorization header"}
        if method == "POST" and path == "/api/repos/create":
            request = json.loads(body)
            repo_id = f"{request['organization']}/{request['name']}"
            if repo_id in self.repos:
                return 409, {"error": "You already created this model repo",
                             "url": f"{self.url}/{repo_id}"}
            sha = self._new_commit(repo_id, "main", {".gitattributes": b"*.h5 filter=lfs\n"},
                                   {"summary": "initial commit"}, parent=None)
            self.repos[repo_id] = {"private": request.get("private"),
                                   "branches": {"main": sha}, "tags": {}}
            return 200, {"url": f"{self.url}/{repo_id}"}
        if method == "POST" and path == "/api/validate-yaml":
            front_matter = json.loads(body)["content"].split("---")[1]
            yaml.safe_load(front_matter)
            return 200, {"warnings": []}
        if method == "POST" and path == "/lfs-verify":
            oid = json.loads(body)["oid"]
            return (200, {}) if oid in self.lfs else (404, {"error": "object not uploaded"})
        match = re.fullmatch(r"/([^/]+/[^/]+)\.git/info/lfs/objects/batch", path)
        if method == "POST" and match:
            request = json.loads(body)
            return 200, {"transfer": "basic", "objects": [
                {"oid": o["oid"], "size": o["size"], "authenticated": True, "actions": {
                    "upload": {"href": f"{self.url}/lfs-upload/{o['oid']}"},
                    "verify": {"href": f"{self.url}/lfs-verify"}}}
                for o in request["objects"]]}
        match = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if method == "GET" and match:  # a file at a revision, as hf_hub_download reads it
            repo_id, revision, file_path = match.groups()
            repo = self.repos.get(repo_id)
            if repo is None:
                return 404, {"error": "Repository not found"}
            sha = repo["branches"].get(revision) or repo["tags"].get(revision)
            if sha is None:
                return 404, {"error": f"Revision Not Found: {revision}"}
            files = self.commits[sha]["files"]
            return (200, files[file_path]) if file_path in files else \
                (404, {"error": f"Entry Not Found: {file_path}"})
        match = re.fullmatch(r"/api/models/([^/]+/[^/]+)/(preupload|commit|branch|tag)/(.+)", path)
        if method == "POST" and match:
            repo_id, action, ref = match.groups()
            repo = self.repos.get(repo_id)
            if repo is None:
                return 404, {"error": "Repository not found"}
            return getattr(self, f"_{action}")(repo_id, repo, ref, body)
        self.unexpected.append((method, path))
        return 404, {"error": f"FakeHub does not answer {method} {path}"}

    def _preupload(self, repo_id, repo, ref, body):
        if ref not in repo["branches"]:
            return 404, {"error": f"Revision Not Found: {ref}"}
        files = json.loads(body)["files"]
        return 200, {"files": [
            {"path": f["path"], "shouldIgnore": False,
             "uploadMode": "lfs" if f["size"] > LFS_THRESHOLD
             or b"\0" in base64.b64decode(f["sample"]) else "regular"} for f in files]}

    def _commit(self, repo_id, repo, ref, body):
        self.endpoints_during_commits.append(hub_constants.ENDPOINT)
        if ref not in repo["branches"]:
            return 404, {"error": f"Revision Not Found: {ref}"}
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        header = lines[0]["value"]
        files = dict(self.commits[repo["branches"][ref]]["files"])
        for line in lines[1:]:
            value = line["value"]
            if line["key"] == "file":
                files[value["path"]] = base64.b64decode(value["content"])
            elif line["key"] == "lfsFile":
                if value["oid"] not in self.lfs:
                    return 422, {"error": f"LFS object of {value['path']} was not uploaded"}
                files[value["path"]] = self.lfs[value["oid"]]
            else:
                return 400, {"error": f"unexpected commit line {line['key']}"}
        sha = self._new_commit(repo_id, ref, files, header, parent=repo["branches"][ref])
        repo["branches"][ref] = sha
        return 200, {"commitUrl": f"{self.url}/{repo_id}/commit/{sha}", "commitOid": sha,
                     "success": True}

    def _branch(self, repo_id, repo, ref, body):
        if ref in repo["branches"]:
            return 409, {"error": "Reference already exists"}
        start = json.loads(body or b"{}").get("startingPoint", "main")
        repo["branches"][ref] = repo["branches"].get(start, start)
        return 200, {}

    def _tag(self, repo_id, repo, ref, body):
        tag = json.loads(body)["tag"]
        if tag in repo["tags"]:
            return 409, {"error": "Tag already exists"}
        sha = repo["branches"].get(ref, ref)
        if sha not in self.commits:
            return 404, {"error": f"Revision Not Found: {ref}"}
        repo["tags"][tag] = sha
        return 200, {}

    def _new_commit(self, repo_id, branch, files, header, parent):
        sha = hashlib.sha1(json.dumps([repo_id, branch, parent, header, sorted(
            (p, hashlib.sha256(c).hexdigest()) for p, c in files.items())]).encode()).hexdigest()
        self.commits[sha] = {"repo_id": repo_id, "branch": branch, "files": files,
                             "header": header}
        return sha


@pytest.fixture
def hub(monkeypatch):
    with FakeHub() as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        yield fake


@pytest.fixture(scope="module")
def model_uri(tmp_path_factory):
    """A Model artifact folder as HFTrainer writes it: Format-HF/ (a tiny 🤗 TF classifier
    with its tokenizer files) and Format-Serving/ (a SavedModel with assets.extra)."""
    return _model(str(tmp_path_factory.mktemp("model")), LABELS)


def _model(uri, labels, task="single_label_classification"):
    from transformers import BertConfig, BertTokenizerFast, TFBertForSequenceClassification

    hf_dir = os.path.join(uri, HF_FORMAT_DIR)
    os.makedirs(hf_dir)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + "the match market chip".split()
    with open(os.path.join(uri, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=os.path.join(uri, "vocab.txt")).save_pretrained(hf_dir)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=32,
                        id2label=dict(enumerate(labels)),
                        label2id={n: i for i, n in enumerate(labels)}, problem_type=task)
    model = TFBertForSequenceClassification(config)
    model(model.dummy_inputs)
    model.save_pretrained(hf_dir)

    module = tf.Module()
    module.scale = tf.Variable(2.0)
    module.serve = tf.function(lambda text: {"length": tf.strings.length(text)},
                               input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    serving_dir = serving_model_dir(uri)
    tf.saved_model.save(module, serving_dir, signatures={"serving_default": module.serve})
    ModelInfo(task=task, text_features=["text"], label_names=labels,
              tensorflow_text_version=TF_TEXT_VERSION).write(serving_dir)
    write_requirements(serving_dir, {"tensorflow": tf.__version__,
                                     "tensorflow-text": TF_TEXT_VERSION})
    return uri


def _evaluation(path) -> standard_artifacts.ModelEvaluation:
    """A ModelEvaluation as the Evaluator writes it with a baseline: candidate, baseline and
    diff values on the overall slice, plus a slice the card must not report."""
    from tensorflow_model_analysis.proto import metrics_for_slice_pb2

    def record(metrics, slice_feature=None):
        proto = metrics_for_slice_pb2.MetricsForSlice()
        if slice_feature:
            key = proto.slice_key.single_slice_keys.add()
            key.column, key.bytes_value = slice_feature, b"sport"
        for name, model, is_diff, value in metrics:
            entry = proto.metric_keys_and_values.add()
            entry.key.name, entry.key.model_name, entry.key.is_diff = name, model, is_diff
            if name == "precision":  # as TFMA keys a macro average, and one class's value
                entry.key.aggregation_type.macro_average = True
                per_class = proto.metric_keys_and_values.add()
                per_class.key.CopyFrom(entry.key)
                per_class.key.ClearField("aggregation_type")
                per_class.key.sub_key.class_id.value = 1
                per_class.value.double_value.value = 0.111
            entry.value.double_value.value = value
        return proto.SerializeToString()

    os.makedirs(path)
    with tf.io.TFRecordWriter(os.path.join(path, "metrics-00000-of-00001.tfrecord")) as w:
        w.write(record([("sparse_categorical_accuracy", "candidate", False, 0.875),
                        ("example_count", "candidate", False, 40.0),
                        ("precision", "candidate", False, 0.75),
                        ("sparse_categorical_accuracy", "baseline", False, 0.5),
                        ("sparse_categorical_accuracy", "candidate", True, 0.375)]))
        w.write(record([("sparse_categorical_accuracy", "candidate", False, 0.123)], "topic"))
    evaluation = standard_artifacts.ModelEvaluation()
    evaluation.uri = str(path)
    return evaluation


def _artifacts(tmp_path, model_uri, blessed=1, evaluation=False):
    model = standard_artifacts.Model()
    model.uri = model_uri
    model.id = 7
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = str(tmp_path / "blessing")
    blessing.set_int_custom_property("blessed", blessed)
    pushed = standard_artifacts.PushedModel()
    pushed.uri = str(tmp_path / "pushed_model")
    inputs = {"model": [model], "model_blessing": [blessing]}
    if evaluation:
        inputs["model_evaluation"] = [_evaluation(tmp_path / "evaluation")]
    return inputs, {"pushed_model": [pushed]}, pushed


def _exec_properties(**overrides):
    properties = {"repo_id": REPO_ID, "private": 1, "branch": "main", "tag": "v{version}",
                  "push_saved_model": 1, "token_env": "HF_TOKEN", "token_file": None,
                  "endpoint": None, "dataset": "SetFit/bbc-news",
                  "checkpoint": "/home/someone/checkpoints/minilm", "eval_split": "eval"}
    properties.update(overrides)
    return properties


def _property_values(artifact):
    return {name: artifact.get_custom_property(name)
            for name in artifact.mlmd_artifact.custom_properties}


def test_pushes_hf_files_saved_model_and_card(tmp_path, model_uri, hub, monkeypatch, caplog,
                                              capfd):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    for name in ("huggingface_hub", "urllib3", "absl"):
        caplog.set_level(logging.DEBUG, logger=name)
    inputs, outputs, pushed = _artifacts(tmp_path, model_uri, evaluation=True)
    properties = _exec_properties()

    endpoint_before = hub_constants.ENDPOINT
    pusher_executor.Executor().Do(inputs, outputs, properties)

    assert not hub.unexpected
    # The push went to HF_ENDPOINT without making it this process's endpoint, even meanwhile.
    assert hub.endpoints_during_commits == [endpoint_before] != [hub.url]
    assert hub_constants.ENDPOINT == endpoint_before
    # Every Hub API call carried the token; only the LFS storage PUTs (presigned URLs on the
    # real Hub) go without it.
    api_calls = [r for r in hub.requests if not r[1].startswith("/lfs-upload/")]
    assert api_calls and all(r[2].get("authorization") == f"Bearer {TOKEN}" for r in api_calls)
    assert hub.repos[REPO_ID]["private"] is True
    assert len(hub.calls(r"^POST /api/repos/create$")) == 1
    assert not hub.calls(r"/branch/")  # main exists: no branch to create

    repo = hub.repos[REPO_ID]
    head = hub.commits[repo["branches"]["main"]]
    files = head["files"]
    for name in ("config.json", "tf_model.h5", "vocab.txt", "tokenizer.json",
                 "tokenizer_config.json", "special_tokens_map.json", "README.md",
                 "saved_model/saved_model.pb", "saved_model/variables/variables.index",
                 "saved_model/assets.extra/requirements.txt",
                 "saved_model/assets.extra/model_info.json"):
        assert name in files, f"{name} not committed; got {sorted(files)}"
    with open(os.path.join(model_uri, HF_FORMAT_DIR, "tf_model.h5"), "rb") as f:
        assert files["tf_model.h5"] == f.read()
    assert len(files["tf_model.h5"]) > LFS_THRESHOLD  # so it went through the LFS path
    assert len(hub.calls(r"^PUT /lfs-upload/")) >= 1
    assert json.loads(files["config.json"])["id2label"] == {"0": "sport", "1": "business",
                                                             "2": "tech"}

    # The tag points at the pushed commit, and the artifact records where it went.
    version = pushed.get_string_custom_property("pushed_version")
    assert repo["tags"] == {f"v{version}": repo["branches"]["main"]}
    sha = repo["branches"]["main"]
    assert pushed.get_int_custom_property("pushed") == 1
    assert pushed.get_string_custom_property("commit_sha") == sha
    assert pushed.get_string_custom_property("pushed_destination") == \
        f"{hub.url}/{REPO_ID}/tree/v{version}"
    assert pushed.get_string_custom_property("repo_id") == REPO_ID
    assert pushed.get_string_custom_property("revision") == "main"
    assert pushed.get_string_custom_property("tag") == f"v{version}"
    assert "7" in head["header"]["summary"]  # the Model artifact id, for lineage

    # The model card: Hub metadata from TFMA, dataset, checkpoint; the tensorflow-text pin.
    card = files["README.md"].decode()
    metadata = yaml.safe_load(card.split("---")[1])
    assert metadata["library_name"] == "transformers"
    assert metadata["pipeline_tag"] == "text-classification"
    assert {"tensorflow", "tfx"} <= set(metadata["tags"])
    assert metadata["datasets"] == ["SetFit/bbc-news"]
    assert "base_model" not in metadata  # a local checkpoint path is no Hub model
    [result] = metadata["model-index"][0]["results"]
    assert result["dataset"] == {"name": "SetFit/bbc-news", "type": "SetFit/bbc-news",
                                 "split": "eval"}
    assert result["metrics"] == [
        {"type": "precision", "value": 0.75, "name": "macro_average/precision"},
        {"type": "accuracy", "value": 0.875, "name": "sparse_categorical_accuracy"}]
    assert f"tensorflow-text=={TF_TEXT_VERSION}" in card
    assert "| example_count | 40 |" in card
    for other_model_slice_or_class in ("0.123", "0.5 |", "0.375", "0.111"):
        assert other_model_slice_or_class not in card
    assert "/home/someone" not in card and "`minilm`" in card
    assert f'revision="v{version}"' in card

    # Lineage: the PushedModel artifact holds what was pushed.
    with open(os.path.join(pushed.uri, "README.md"), encoding="utf-8") as f:
        assert f.read() == card
    assert os.path.exists(os.path.join(pushed.uri, "saved_model", "saved_model.pb"))

    # The token is nowhere but in the Authorization headers.
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "Pushed model" in logged  # the pusher's own logs were captured
    assert TOKEN not in logged
    assert TOKEN not in json.dumps(properties) + json.dumps(_property_values(pushed))
    for root, _, names in os.walk(pushed.uri):
        for name in names:
            with open(os.path.join(root, name), "rb") as f:
                assert TOKEN.encode() not in f.read()
    assert all(TOKEN.encode() not in r[3] for r in hub.requests)


def test_branch_per_version_token_file_and_hf_files_only(tmp_path, model_uri, hub,
                                                         monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    # The `endpoint` property wins over HF_ENDPOINT (which here names no server at all).
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    token_file = tmp_path / "secrets" / "hf-token"
    token_file.parent.mkdir()
    token_file.write_text(TOKEN + "\n")
    inputs, outputs, pushed = _artifacts(tmp_path, model_uri)
    del inputs["model_blessing"]  # no Evaluator: the model is pushed as is

    pusher_executor.Executor().Do(inputs, outputs, _exec_properties(
        branch="model-{model_id}", tag=None, push_saved_model=0, token_file=str(token_file),
        endpoint=hub.url, dataset="/data/topics", checkpoint="google/bert_uncased_L-2_H-128_A-2"))

    assert not hub.unexpected
    repo = hub.repos[REPO_ID]
    assert len(hub.calls(r"^POST /api/models/.+/branch/model-7$")) == 1
    assert not hub.calls(r"/tag/") and repo["tags"] == {}
    files = hub.commits[repo["branches"]["model-7"]]["files"]
    assert "config.json" in files and "tf_model.h5" in files
    assert not [name for name in files if name.startswith("saved_model/")]
    card = files["README.md"].decode()
    metadata = yaml.safe_load(card.split("---")[1])
    assert metadata["base_model"] == "google/bert_uncased_L-2_H-128_A-2"
    assert "datasets" not in metadata and "model-index" not in metadata
    assert "`topics`" in card and "/data/topics" not in card
    assert "saved_model" not in card
    assert pushed.get_string_custom_property("pushed_destination") == \
        f"{hub.url}/{REPO_ID}/tree/model-7"
    assert pushed.get_string_custom_property("revision") == "model-7"


def test_not_blessed_pushes_nothing_and_says_why(tmp_path, model_uri, hub, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)  # not needed when nothing is pushed
    inputs, outputs, pushed = _artifacts(tmp_path, model_uri, blessed=0)

    pusher_executor.Executor().Do(inputs, outputs, _exec_properties())

    assert hub.requests == []
    assert pushed.get_int_custom_property("pushed") == 0
    assert "not blessed" in pushed.get_string_custom_property("not_pushed_reason")
    assert not pushed.has_custom_property("pushed_destination")
    assert not os.path.exists(os.path.join(pushed.uri, "README.md"))


def test_missing_token_names_where_it_was_looked_for(tmp_path, model_uri, hub, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    inputs, outputs, _ = _artifacts(tmp_path, model_uri)
    with pytest.raises(MissingTokenError, match=r"\$HF_TOKEN"):
        pusher_executor.Executor().Do(inputs, outputs, _exec_properties())
    missing = str(tmp_path / "no-such-secret")
    with pytest.raises(MissingTokenError, match=re.escape(missing)):
        pusher_executor.Executor().Do(inputs, outputs, _exec_properties(token_file=missing))
    assert hub.requests == []


@pytest.mark.parametrize("repo_id", ["topic-classifier", "owner/bad name", "a/b/c", "../x"])
def test_bad_repo_id_is_a_clear_error(tmp_path, model_uri, hub, monkeypatch, repo_id):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    inputs, outputs, _ = _artifacts(tmp_path, model_uri)
    with pytest.raises(ValueError, match=r"repo_id=.*owner/name|repo_id=.*my-org/"):
        pusher_executor.Executor().Do(inputs, outputs, _exec_properties(repo_id=repo_id))
    with pytest.raises(ValueError, match="repo_id="):
        HFHubPusher(model=channel.Channel(type=standard_artifacts.Model), repo_id=repo_id)
    assert hub.requests == []


def test_component_shape():
    pusher = HFHubPusher(
        model=channel.Channel(type=standard_artifacts.Model), repo_id=REPO_ID,
        model_blessing=channel.Channel(type=standard_artifacts.ModelBlessing),
        model_evaluation=channel.Channel(type=standard_artifacts.ModelEvaluation),
        token_file="/var/secrets/hf-token", dataset="SetFit/bbc-news", checkpoint="x/y")
    assert pusher.outputs["pushed_model"].type == standard_artifacts.PushedModel
    assert pusher.exec_properties["private"] == 1
    assert pusher.exec_properties["tag"] == "v{version}"
    assert pusher.exec_properties["token_file"] == "/var/secrets/hf-token"
    with pytest.raises(ValueError, match="branch="):
        HFHubPusher(model=channel.Channel(type=standard_artifacts.Model), repo_id=REPO_ID,
                    branch="model-{run}")


def test_no_push_over_a_model_with_other_labels(tmp_path, model_uri, hub, monkeypatch):
    """The repository's newest model (the head of the branch pushed to, else of main) answers
    with LABELS; a model with other label names, or the same names for another task, is
    refused before anything is committed, unless allow_label_change."""
    from tfx_hf.components.input_error import InputError

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    first = tmp_path / "first"
    first.mkdir()
    inputs, outputs, _ = _artifacts(first, model_uri)
    pusher_executor.Executor().Do(inputs, outputs, _exec_properties(tag=None))
    head = hub.repos[REPO_ID]["branches"]["main"]

    # Same labels: pushed again (the first push had no model to compare with).
    same = tmp_path / "same"
    same.mkdir()
    inputs, outputs, _ = _artifacts(same, _model(str(tmp_path / "same_model"), LABELS))
    pusher_executor.Executor().Do(inputs, outputs, _exec_properties(tag=None))
    assert hub.repos[REPO_ID]["branches"]["main"] != head
    head = hub.repos[REPO_ID]["branches"]["main"]
    commits = len(hub.commits)

    two_classes = _model(str(tmp_path / "two_classes"), ["sport", "tech"])
    multi_label = _model(str(tmp_path / "multi_label"), LABELS, task="multi_label_classification")
    for name, uri, expected, properties in (
            ("two", two_classes, r"\['sport', 'tech'\]", {}),
            # Only the 🤗 files pushed: compared through config.json; a new branch starts
            # from main, so main's model is the one it would replace.
            ("hf_only", two_classes, r"\['sport', 'tech'\]",
             {"push_saved_model": 0, "branch": "model-{model_id}"}),
            ("multi", multi_label, "multi_label_classification", {})):
        folder = tmp_path / name
        folder.mkdir()
        inputs, outputs, pushed = _artifacts(folder, uri)
        with pytest.raises(InputError, match=expected) as refused:
            pusher_executor.Executor().Do(inputs, outputs, _exec_properties(tag=None,
                                                                            **properties))
        message = str(refused.value)
        assert f"{REPO_ID}@main" in message and "'business'" in message
        assert "--allow-label-change" in message
        assert len(hub.commits) == commits and not hub.calls(r"/commit/model-")
        assert not pushed.has_custom_property("pushed_destination")

    folder = tmp_path / "allowed"
    folder.mkdir()
    inputs, outputs, pushed = _artifacts(folder, two_classes)
    pusher_executor.Executor().Do(inputs, outputs, _exec_properties(
        tag=None, allow_label_change=1))
    files = hub.commits[hub.repos[REPO_ID]["branches"]["main"]]["files"]
    assert json.loads(files["config.json"])["id2label"] == {"0": "sport", "1": "tech"}
    assert pushed.get_int_custom_property("pushed") == 1
    assert not hub.unexpected


def test_allow_label_change_reaches_the_hub_pusher():
    from tfx_hf.pipelines.text_classification import _pushers

    class Outputs:
        outputs = {"model": channel.Channel(type=standard_artifacts.Model),
                   "blessing": channel.Channel(type=standard_artifacts.ModelBlessing),
                   "evaluation": channel.Channel(type=standard_artifacts.ModelEvaluation)}

    for allowed, expected in ((True, 1), (False, None)):
        pushers = _pushers(Outputs, Outputs, "/tmp/serving", None, REPO_ID, {}, "d", "c",
                           allowed)
        assert pushers[-1].exec_properties["allow_label_change"] == expected
