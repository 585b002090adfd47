"""Vertex AI Pusher executor that never deploys over a model with other labels.

TFX's Google Cloud Pusher deploys a blessed model to a Vertex AI endpoint. Here, first, the
model the endpoint serves newest (its deployed model created last) is looked up through the
Vertex AI API, its `assets.extra/model_info.json` read from the model's artifact URI (TFX's
pusher deploys the PushedModel folder that holds the SavedModel), and a model of another task or
other label names is refused before anything is deployed, unless
`custom_config["allow_label_change"]` is true (as for ServingPusher).

`custom_config["vertex_api_endpoint"]` overrides the regional API host
(`{region}-aiplatform.googleapis.com`), e.g. for a private endpoint.
"""
import json
from typing import Optional

from absl import logging
from tfx.extensions.google_cloud_ai_platform import constants
from tfx.extensions.google_cloud_ai_platform.pusher import executor as vertex_executor
from tfx.types import standard_component_specs

from tfx_hf.components import contracts
from tfx_hf.components.input_error import InputError
from tfx_hf.components.pusher.executor import ALLOW_LABEL_CHANGE_KEY

API_ENDPOINT_KEY = "vertex_api_endpoint"  # in custom_config


def _clients(region: str, api_endpoint: Optional[str]):
    from google.cloud import aiplatform_v1

    options = {"api_endpoint": api_endpoint or f"{region}-aiplatform.googleapis.com"}
    credentials = None
    if api_endpoint and api_endpoint.startswith("http://"):  # a local stand-in: no Google auth
        from google.auth.credentials import AnonymousCredentials
        credentials = AnonymousCredentials()
    return (aiplatform_v1.EndpointServiceClient(
                transport="rest", client_options=options, credentials=credentials),
            aiplatform_v1.ModelServiceClient(
                transport="rest", client_options=options, credentials=credentials))


def newest_deployed_model_uri(project: str, region: str, endpoint_name: str,
                              api_endpoint: Optional[str] = None) -> Optional[str]:
    """The artifact URI of the model deployed last to the endpoint named `endpoint_name`
    (its display name, as TFX's pusher names it); None when there is none."""
    endpoints, models = _clients(region, api_endpoint)
    found = list(endpoints.list_endpoints(request={
        "parent": f"projects/{project}/locations/{region}",
        "filter": f'display_name="{endpoint_name}"'}))
    deployed = [model for endpoint in found for model in endpoint.deployed_models]
    if not deployed:
        return None
    newest = max(deployed, key=lambda model: model.create_time.timestamp())
    return models.get_model(request={"name": newest.model}).artifact_uri or None


def check_same_outputs(model_path: str, deployed_uri: Optional[str], where: str,
                       allow_label_change: bool) -> None:
    """Refuses a model whose task or label names differ from those of the deployed one."""
    if not deployed_uri:
        return
    candidate = contracts.ModelInfo.read(model_path)
    current = contracts.ModelInfo.read(deployed_uri)
    if candidate is None or current is None or candidate.same_outputs(current):
        return
    if allow_label_change:
        logging.warning("Deploying a model of %s to %s, which serves %s, as allow_label_change "
                        "asks.", candidate.describe_outputs(), where, current.describe_outputs())
        return
    raise InputError(
        f"Not deploying: the model ({candidate.describe_outputs()}) would replace the model "
        f"{where} serves ({current.describe_outputs()}, {deployed_uri}), and clients would read "
        "its label ids as the old classes. Deploy to another endpoint, or pass "
        "--allow-label-change (config: allow_label_change) to replace it.")


class Executor(vertex_executor.Executor):
    """TFX's Vertex AI Pusher executor, with no deployment over a model with other labels."""

    def Do(self, input_dict, output_dict, exec_properties):
        custom_config = json.loads(
            exec_properties.get(standard_component_specs.CUSTOM_CONFIG_KEY) or "null") or {}
        serving_args = custom_config.get(constants.SERVING_ARGS_KEY) or {}
        if (custom_config.get(constants.ENABLE_VERTEX_KEY) and self.CheckBlessing(input_dict)
                and serving_args.get("endpoint_name")):
            region = custom_config.get(constants.VERTEX_REGION_KEY)
            where = (f"endpoint {serving_args['endpoint_name']!r} "
                     f"({serving_args.get('project_id')}, {region})")
            check_same_outputs(
                self.GetModelPath(input_dict),
                newest_deployed_model_uri(serving_args.get("project_id"), region,
                                          serving_args["endpoint_name"],
                                          custom_config.get(API_ENDPOINT_KEY)),
                where, bool(custom_config.get(ALLOW_LABEL_CHANGE_KEY)))
        return super().Do(input_dict, output_dict, exec_properties)
