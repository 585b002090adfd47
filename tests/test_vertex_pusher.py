"""HFVertexPusher refuses to deploy over a model with other labels, against a stand-in for the
Vertex AI API.

`FakeVertex` is NOT Vertex AI: a stdlib `http.server` on 127.0.0.1 that answers the two REST
calls the check makes (list endpoints by display name, get a model) with what Vertex returns,
and records them. The real `google-cloud-aiplatform` clients (REST transport) talk to it, and
the real executor reads the deployed model's model_info.json from its artifact URI, here a
local folder.
"""
import json
import re
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from conftest import LocalHTTPServer
from tfx.types import standard_artifacts

from tfx_hf.components.contracts import ModelInfo, serving_model_dir
from tfx_hf.components.input_error import InputError
from tfx_hf.components.vertex_pusher import executor as vertex_pusher

PROJECT, REGION, ENDPOINT = "p", "europe-west4", "news"
LABELS = ["sport", "business", "tech"]


class FakeVertex(LocalHTTPServer):
    """Endpoints by display name, each with deployed models (model id, create time); models by
    id, each with an artifact URI."""

    def __init__(self):
        self.endpoints, self.models, self.requests = {}, {}, []
        server = self
        parent = f"projects/{PROJECT}/locations/{REGION}"  # resource names have no /v1/

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlsplit(self.path)
                path = unquote(url.path)
                server.requests.append(path)
                status, body = 404, {"error": {"code": 404, "message": f"no {path}"}}
                if path == f"/v1/{parent}/endpoints":
                    wanted = re.fullmatch(r'display_name="(.*)"',
                                          parse_qs(url.query)["filter"][0]).group(1)
                    status, body = 200, {"endpoints": [
                        {"name": f"{parent}/endpoints/{i}", "displayName": name,
                         "deployedModels": [{"id": f"d{model}", "createTime": created,
                                             "model": f"{parent}/models/{model}"}
                                            for model, created in deployed]}
                        for i, (name, deployed) in enumerate(server.endpoints.items())
                        if name == wanted]}
                match = re.fullmatch(f"/v1/{parent}" + r"/models/(\w+)", path)
                if match and match.group(1) in server.models:
                    status, body = 200, {"name": path[len("/v1/"):],
                                         "artifactUri": server.models[match.group(1)]}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)


@pytest.fixture
def vertex():
    with FakeVertex() as fake:
        yield fake


def _served_model(folder, labels, task="single_label_classification"):
    """A folder holding a serving model's model_info.json, as a deployed model's artifact URI
    (TFX's Vertex pusher deploys the PushedModel folder: the SavedModel itself)."""
    ModelInfo(task=task, text_features=["text"], label_names=labels,
              tensorflow_text_version="2.16.1").write(str(folder))
    return str(folder)


def _model_artifact(folder, labels):
    model = standard_artifacts.Model()
    model.uri = str(folder)
    _served_model(serving_model_dir(model.uri), labels)
    return model


def test_newest_deployed_model_is_read_through_the_vertex_api(vertex, tmp_path):
    vertex.endpoints = {ENDPOINT: [("7", "2026-01-01T00:00:00Z"), ("9", "2026-03-01T00:00:00Z"),
                                   ("8", "2026-02-01T00:00:00Z")],
                        "other": [("5", "2026-06-01T00:00:00Z")]}
    vertex.models = {"7": "/old", "8": "/older", "9": _served_model(tmp_path / "v9", LABELS)}

    uri = vertex_pusher.newest_deployed_model_uri(PROJECT, REGION, ENDPOINT, vertex.url)
    assert uri == str(tmp_path / "v9")
    assert vertex.requests == [f"/v1/projects/{PROJECT}/locations/{REGION}/endpoints",
                               f"/v1/projects/{PROJECT}/locations/{REGION}/models/9"]
    assert vertex_pusher.newest_deployed_model_uri(PROJECT, REGION, "new", vertex.url) is None

    # Same labels: deployed; other labels or task: refused unless allowed.
    where = f"endpoint {ENDPOINT!r}"
    vertex_pusher.check_same_outputs(_served_model(tmp_path / "same", LABELS), uri, where, False)
    for candidate in (_served_model(tmp_path / "two", ["sport", "tech"]),
                      _served_model(tmp_path / "multi", LABELS, "multi_label_classification")):
        with pytest.raises(InputError, match="--allow-label-change"):
            vertex_pusher.check_same_outputs(candidate, uri, where, False)
        vertex_pusher.check_same_outputs(candidate, uri, where, True)


def test_executor_refuses_before_deploying(vertex, tmp_path):
    vertex.endpoints = {ENDPOINT: [("9", "2026-03-01T00:00:00Z")]}
    vertex.models = {"9": _served_model(tmp_path / "v9", LABELS)}
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = str(tmp_path / "blessing")
    blessing.set_int_custom_property("blessed", 1)
    pushed = standard_artifacts.PushedModel()
    pushed.uri = str(tmp_path / "pushed")
    custom_config = {"ai_platform_enable_vertex": True, "ai_platform_vertex_region": REGION,
                     "ai_platform_serving_args": {"project_id": PROJECT,
                                                  "endpoint_name": ENDPOINT},
                     vertex_pusher.API_ENDPOINT_KEY: vertex.url}

    with pytest.raises(InputError) as refused:
        vertex_pusher.Executor().Do(
            {"model": [_model_artifact(tmp_path / "model", ["sport", "tech"])],
             "model_blessing": [blessing]},
            {"pushed_model": [pushed]}, {"custom_config": json.dumps(custom_config)})
    message = str(refused.value)
    assert "['sport', 'tech']" in message and "['sport', 'business', 'tech']" in message
    assert f"endpoint {ENDPOINT!r}" in message
    assert not (tmp_path / "pushed").exists()  # nothing copied, nothing deployed


def test_allow_label_change_reaches_the_vertex_pusher(tmp_path):
    from tfx.types import channel, standard_artifacts as artifacts

    from tfx_hf.pipelines.text_classification import vertex_pusher as make

    endpoint = {"project_id": PROJECT, "region": REGION, "endpoint_name": ENDPOINT}
    model = channel.Channel(type=artifacts.Model)
    blessing = channel.Channel(type=artifacts.ModelBlessing)
    allowed = json.loads(make(model, blessing, endpoint, True).exec_properties["custom_config"])
    default = json.loads(make(model, blessing, endpoint).exec_properties["custom_config"])
    assert allowed["allow_label_change"] is True and "allow_label_change" not in default
