"""What the newest model at a Hub repository answers (its task and label names), so that
HFHubPusher never pushes over it a model whose label ids mean other classes.

The newest version is the head of the branch pushed to, or of `main` when that branch does
not exist yet (a new branch starts from main). Its task and labels are read, as a client
would, from `saved_model/assets.extra/model_info.json` (contracts.ModelInfo) when the
repository holds the SavedModel, else from the 🤗 `config.json` (`problem_type`, `id2label`).
Files are fetched from the `resolve` URL of the endpoint pushed to, so no process-wide
huggingface_hub state is touched (see hub_commit.py).
"""
import json
import posixpath
from typing import List, Optional, Tuple
from urllib.parse import quote

import requests

from tfx_hf.components import contracts
from tfx_hf.components.hf_hub_pusher.hub_commit import DEFAULT_BRANCH
from tfx_hf.components.hf_hub_pusher.model_card import SAVED_MODEL_DIR
from tfx_hf.components.input_error import InputError

TIMEOUT_S = 60

Outputs = Tuple[Optional[str], List[str]]  # (task or None when unknown, label names)


def outputs_from_config(config: dict) -> Outputs:
    """(problem_type, label names in id order) of a 🤗 config.json."""
    id2label = config.get("id2label") or {}
    labels = [name for _, name in sorted((int(i), name) for i, name in id2label.items())]
    return config.get("problem_type"), labels


def outputs_from_info(info: contracts.ModelInfo) -> Outputs:
    return info.task, list(info.label_names or [])


def same_outputs(a: Outputs, b: Outputs) -> bool:
    """Same label names in the same order, and the same task where both are known."""
    return a[1] == b[1] and (a[0] is None or b[0] is None or a[0] == b[0])


def describe(outputs: Outputs) -> str:
    return f"{outputs[0] or 'a task not recorded'} with labels {outputs[1]}"


def _fetch(endpoint: str, repo_id: str, revision: str, path: str, token: str):
    """The file's text; None when the repository, the revision or the file is not there."""
    url = f"{endpoint}/{repo_id}/resolve/{quote(revision, safe='')}/{path}"
    try:
        response = requests.get(url, headers={"authorization": f"Bearer {token}"},
                                timeout=TIMEOUT_S)
    except requests.RequestException as e:
        raise InputError(f"Cannot read {path} of {repo_id}@{revision} at {endpoint} to check "
                         f"its labels before pushing: {e}") from e
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise InputError(
            f"Cannot read {path} of {repo_id}@{revision} at {endpoint} to check its labels "
            f"before pushing (HTTP {response.status_code}: {response.text[:200]}). Check the "
            "token's access to the repository.")
    return response.text


def newest_outputs(endpoint: str, repo_id: str, branch: str,
                   token: str) -> Optional[Tuple[str, Outputs]]:
    """(revision, outputs) of the newest model in the repository; None when it has none."""
    for revision in dict.fromkeys([branch, DEFAULT_BRANCH]):
        text = _fetch(endpoint, repo_id, revision, posixpath.join(
            SAVED_MODEL_DIR, contracts.ASSETS_EXTRA_DIR, contracts.MODEL_INFO_FILE), token)
        if text is not None:
            return revision, outputs_from_info(contracts.ModelInfo.from_json(text))
        text = _fetch(endpoint, repo_id, revision, "config.json", token)
        if text is not None:
            return revision, outputs_from_config(json.loads(text))
    return None


def check_same_outputs(candidate: Outputs, endpoint: str, repo_id: str, branch: str,
                       token: str, allow_label_change: bool) -> None:
    """Refuses to push `candidate` over a newest model that answers another question."""
    newest = newest_outputs(endpoint, repo_id, branch, token)
    if newest is None or same_outputs(candidate, newest[1]):
        return
    revision, current = newest
    where = f"{repo_id}@{revision}"
    if allow_label_change:
        from absl import logging

        logging.warning("Pushing a model of %s over %s (%s), as allow_label_change asks.",
                        describe(candidate), where, describe(current))
        return
    raise InputError(
        f"Not pushing to the Hub: the model ({describe(candidate)}) would replace {where} "
        f"({describe(current)}), and clients would read its label ids as the old classes. "
        "Push to another repository or branch, or pass --allow-label-change (config: "
        "allow_label_change) to replace it.")
