"""One push to the Hub (create the repository and branch, commit a folder, tag the commit), run
by HFHubPusher in a child process whose HF_ENDPOINT is the endpoint pushed to.

Why a child process: huggingface_hub 0.36 reads `constants.ENDPOINT` from HF_ENDPOINT once, at
import, and some of what `HfApi(endpoint=...)` returns is parsed against that constant, not
against the client's endpoint: `create_commit` (under `upload_folder`) builds its `CommitInfo`,
whose `__post_init__` makes a `RepoUrl` of the commit URL without the endpoint, and fails on
any other host; `create_repo` does the same when the repository exists but cannot be created
(HTTP 403). No public call commits without it. Setting the constant here would change it for
the whole process (other threads, the next components of an in-process runner); a child started
with HF_ENDPOINT set reads the right value and leaves this process as it was.

The request goes to the child as JSON on stdin; the token in its environment (never in argv,
which `ps` shows, nor in the request); the commit comes back as JSON on stdout.
"""
import dataclasses
import json
import os
import subprocess
import sys
from typing import Optional

# The default branch of a new Hub repository: the one that needs no create_branch.
DEFAULT_BRANCH = "main"
TOKEN_VARIABLE = "HF_TOKEN"  # where huggingface_hub itself looks for a token
ENDPOINT_VARIABLE = "HF_ENDPOINT"


@dataclasses.dataclass(frozen=True)
class PushRequest:
    folder: str
    endpoint: str
    repo_id: str
    branch: str
    tag: Optional[str]
    private: bool
    message: str
    description: str


@dataclasses.dataclass(frozen=True)
class PushedCommit:
    oid: str
    commit_url: str


def push(request: PushRequest, token: str) -> PushedCommit:
    """Runs `commit_folder` in a child process with HF_ENDPOINT=`request.endpoint`."""
    env = dict(os.environ, **{ENDPOINT_VARIABLE: request.endpoint, TOKEN_VARIABLE: token})
    child = subprocess.run([sys.executable, "-m", __name__], env=env, text=True,
                           input=json.dumps(dataclasses.asdict(request)),
                           capture_output=True, check=False)
    if child.returncode != 0:
        raise RuntimeError(f"Pushing to {request.endpoint}/{request.repo_id} failed: "
                           f"{_last_lines(child.stderr)}")
    return PushedCommit(**json.loads(child.stdout.strip().splitlines()[-1]))


def commit_folder(request: PushRequest, token: str) -> PushedCommit:
    from huggingface_hub import HfApi, constants

    if constants.ENDPOINT != request.endpoint:  # imported before HF_ENDPOINT was set
        raise RuntimeError(f"huggingface_hub's endpoint is {constants.ENDPOINT}, not "
                           f"{request.endpoint}: run this through `push`.")
    api = HfApi(endpoint=request.endpoint, token=token)
    api.create_repo(request.repo_id, private=request.private, exist_ok=True)
    if request.branch != DEFAULT_BRANCH:
        api.create_branch(request.repo_id, branch=request.branch, exist_ok=True)
    commit = api.upload_folder(repo_id=request.repo_id, folder_path=request.folder,
                               revision=request.branch, commit_message=request.message,
                               commit_description=request.description)
    if request.tag:
        # On the commit itself, not on the branch head another push may have moved.
        api.create_tag(request.repo_id, tag=request.tag, revision=commit.oid,
                       tag_message=request.message)
    return PushedCommit(oid=commit.oid, commit_url=commit.commit_url)


def _last_lines(text: str, count: int = 5) -> str:
    return "\n".join(text.strip().splitlines()[-count:]) or "no error output"


def main() -> None:
    request = PushRequest(**json.load(sys.stdin))
    commit = commit_folder(request, os.environ[TOKEN_VARIABLE])
    print(json.dumps(dataclasses.asdict(commit)))


if __name__ == "__main__":
    main()
