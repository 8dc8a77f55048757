"""The client side of the control plane, for the CLI: find the daemon, call it.

:meth:`ControlClient.locate` takes an explicit URL (and token file) or reads
the runtime file. Failure behaviour: everything that means "there is no daemon
to talk to" -- no runtime file, a dead pid, a refused connection -- raises
:class:`NoDaemon` with one line for the operator; a daemon that accepts the
connection but does not answer in time raises :class:`ControlError`. HTTP
error statuses are returned, not raised: the caller decides what a 401, 404 or
503 means for its command. The token is read only when a mutating call needs it.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from warden.control._runtime import NoDaemon, discover, read_token
from warden.json_types import Json, JsonObject


class ControlError(Exception):
    """The daemon was reached but the call failed (e.g. it did not answer in time)."""


class ControlClient:
    """Calls one daemon's control plane at ``url``."""

    def __init__(self, url: str, token_file: Path | None, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.token_file = token_file
        self._http = httpx.Client(base_url=self.url, timeout=timeout, trust_env=False)

    @classmethod
    def locate(
        cls,
        *,
        url: str | None,
        token_file: Path | None,
        runtime_file: Path,
        timeout: float = 10.0,
    ) -> ControlClient:
        """``url`` if given (``token_file`` then only from the argument), else the runtime file."""
        if url:
            return cls(url, token_file, timeout=timeout)
        info = discover(runtime_file)
        return cls(info.url, token_file or info.token_file, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def get(self, path: str) -> httpx.Response:
        return self._call("GET", path)

    def post(self, path: str, body: JsonObject | None = None) -> httpx.Response:
        """A mutating call, with the bearer token from the token file."""
        if self.token_file is None:
            self.get("/healthz")  # that no daemon runs at all is the more useful news
            raise ControlError(f"{path} needs the daemon's token: pass --token-file")
        headers = {"Authorization": f"Bearer {read_token(self.token_file)}"}
        return self._call("POST", path, json=body or {}, headers=headers)

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Json | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            return self._http.request(method, path, json=json, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise NoDaemon(f"no daemon running at {self.url} ({error})") from None
        except httpx.HTTPError as error:
            detail = str(error) or type(error).__name__
            raise ControlError(f"{method} {self.url}{path} failed: {detail}") from None
