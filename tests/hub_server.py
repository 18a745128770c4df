"""A small stand-in for the Hugging Face Hub's upload API on 127.0.0.1, for the push tests (no tests here).

It answers what huggingface_hub's create_repo + create_commit send: repo creation, README metadata
validation, preupload (small files "regular", *.safetensors "lfs"), the LFS batch API with a basic PUT
upload back to this server, and the ndjson commit. Committed files land in `root/<repo>/<path>`; every
request is recorded (method, path, Authorization header) so tests can check what was sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class FakeHub:
    def __init__(self, root: Path, token: str = "hf_test_token") -> None:
        self.root = Path(root)
        self.token = token
        self.requests: list[dict[str, Any]] = []
        self.repos: dict[str, dict[str, Any]] = {}
        self.blobs: dict[str, bytes] = {}
        self.commits: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def files(self, repo: str) -> dict[str, bytes]:
        folder = self.root / repo
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _reply(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _authorized(self) -> bool:
            hub.requests.append(
                {"method": self.command, "path": self.path, "auth": self.headers.get("Authorization")}
            )
            if self.headers.get("Authorization") != f"Bearer {hub.token}" and not self.path.startswith(
                "/lfs/"
            ):
                self._reply(401, {"error": "Invalid credentials in Authorization header"})
                return False
            return True

        def do_PUT(self) -> None:  # an LFS basic upload
            if not self._authorized():
                return
            data = self._body()
            oid = self.path.rsplit("/", 1)[-1]
            assert hashlib.sha256(data).hexdigest() == oid
            hub.blobs[oid] = data
            self._reply(200, {})

        def do_POST(self) -> None:
            if not self._authorized():
                return
            body = self._body()
            path = self.path.split("?")[0]
            if path == "/api/repos/create":
                payload = json.loads(body)
                repo = (
                    f"{payload['organization']}/{payload['name']}"
                    if payload.get("organization")
                    else payload["name"]
                )
                hub.repos.setdefault(repo, payload)
                return self._reply(200, {"url": f"{hub.url}/{repo}", "name": repo})
            if path == "/api/validate-yaml":
                return self._reply(200, {"warnings": []})
            if path.endswith(".git/info/lfs/objects/batch"):
                objects = json.loads(body)["objects"]
                return self._reply(
                    200,
                    {
                        "transfer": "basic",
                        "objects": [
                            {
                                "oid": o["oid"],
                                "size": o["size"],
                                "actions": {"upload": {"href": f"{hub.url}/lfs/{o['oid']}"}},
                            }
                            for o in objects
                        ],
                    },
                )
            repo, _, rest = path.removeprefix("/api/models/").partition("/preupload/")
            if rest:
                files = json.loads(body)["files"]
                modes = [
                    {
                        "path": f["path"],
                        "uploadMode": "lfs" if f["path"].endswith(".safetensors") else "regular",
                        "shouldIgnore": False,
                        "oid": None,
                    }
                    for f in files
                ]
                return self._reply(200, {"files": modes})
            repo, _, rest = path.removeprefix("/api/models/").partition("/commit/")
            if rest:
                return self._commit(repo, body)
            self._reply(404, {"error": f"not faked: {path}"})

        def _commit(self, repo: str, body: bytes) -> None:
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            written = []
            for item in lines:
                value = item["value"]
                if item["key"] == "file":
                    data = base64.b64decode(value["content"])
                elif item["key"] == "lfsFile":
                    data = hub.blobs[value["oid"]]
                else:
                    continue
                target = hub.root / repo / value["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                written.append(value["path"])
            header = next(item["value"] for item in lines if item["key"] == "header")
            hub.commits.append({"repo": repo, "summary": header.get("summary"), "files": written})
            oid = hashlib.sha1(body).hexdigest()
            self._reply(200, {"commitUrl": f"{hub.url}/{repo}/commit/{oid}", "commitOid": oid})

    return Handler
