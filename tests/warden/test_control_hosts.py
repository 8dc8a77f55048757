"""DNS rebinding: the control plane answers only requests whose Host names its own socket.

Served for real over loopback; the ``Host`` header is set by hand, as a
rebinding browser (``evil.example:PORT``) or a local scraper (``127.0.0.1:PORT``)
would send it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from actors.messages import Halt, Resume
from tests.warden.control_harness import Plane, serving_plane
from warden.control._hosts import HostPolicy, split_host

READS = ("/healthz", "/readyz", "/metrics", "/actors", "/actors/risk", "/portfolio")
WRITES = ("/halt", "/resume", "/actors/strategy/restart")


def _port(plane: Plane) -> int:
    port = urlsplit(plane.server.url).port
    assert port is not None
    return port


async def test_read_endpoints_refuse_a_host_that_is_not_this_socket_with_421(
    tmp_path: Path,
) -> None:
    async with serving_plane(tmp_path) as plane:
        port = _port(plane)
        foreign = (
            f"evil.example:{port}",
            "evil.example",
            f"127.0.0.1:{port + 1}",
            "127.0.0.1",
            f"localhost.evil.example:{port}",
            f"127.0.0.1.nip.io:{port}",
            f"[::2]:{port}",
            "",
        )
        for host in foreign:
            for path in READS:
                response = await plane.http.get(path, headers={"Host": host})
                assert response.status_code == 421, (host, path)
                error = response.json()["error"]
                assert "DNS rebinding" in error
                assert f"127.0.0.1:{port}" in error  # says what it would accept


async def test_loopback_names_with_the_listening_port_are_answered(tmp_path: Path) -> None:
    async with serving_plane(tmp_path) as plane:
        port = _port(plane)
        for host in (
            f"127.0.0.1:{port}",
            f"localhost:{port}",
            f"LocalHost:{port}",
            f"[::1]:{port}",
        ):
            for path in READS:
                response = await plane.http.get(path, headers={"Host": host})
                assert response.status_code == 200, (host, path, response.text)
        metrics = await plane.http.get("/metrics", headers={"Host": f"127.0.0.1:{port}"})
        assert "warden_actor_restarts_total" in metrics.text  # what a local Prometheus sends


async def test_a_mutation_with_the_token_but_a_foreign_host_is_refused(tmp_path: Path) -> None:
    async with serving_plane(tmp_path) as plane:
        headers = {**plane.auth(), "Host": f"evil.example:{_port(plane)}"}
        for path in WRITES:
            response = await plane.http.post(path, headers=headers, json={"reason": "x"})
            assert response.status_code == 421, path
        assert plane.received("risk", Halt) == []
        assert plane.received("risk", Resume) == []
        actors = (await plane.http.get("/actors")).json()
        assert [c["epoch"] for c in actors["children"]] == [1] * 5
        # the right Host still needs the token
        assert (await plane.http.post("/halt")).status_code == 401


async def test_the_refused_host_is_logged_cleaned_and_the_token_never_appears(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    async with serving_plane(tmp_path) as plane:
        response = await plane.http.get(
            "/actors",
            headers={"Host": "evil\x1b[2J.example", "Authorization": plane.auth()["Authorization"]},
        )
        assert response.status_code == 421
        assert plane.token not in response.text
    assert plane.token not in capfd.readouterr().err


async def test_a_non_loopback_bind_also_answers_its_own_address(tmp_path: Path) -> None:
    # 127.0.0.2 is a loopback *interface* on Linux but not one of the names
    # accepted for every socket: it stands for a LAN address here.
    async with serving_plane(tmp_path, host="127.0.0.2") as plane:
        port = _port(plane)
        assert plane.server.url == f"http://127.0.0.2:{port}"
        assert (await plane.http.get("/actors")).status_code == 200
        for refused in (f"127.0.0.3:{port}", f"warden.lan:{port}", f"127.0.0.2:{port + 1}"):
            response = await plane.http.get("/actors", headers={"Host": refused})
            assert response.status_code == 421, refused


async def test_a_wildcard_bind_answers_ip_literals_but_not_names(tmp_path: Path) -> None:
    async with serving_plane(tmp_path, host="0.0.0.0") as plane:  # noqa: S104 - the point
        port = _port(plane)
        for host, status in (
            (f"127.0.0.1:{port}", 200),
            (f"192.0.2.7:{port}", 200),
            (f"[2001:db8::1]:{port}", 200),
            (f"warden.lan:{port}", 421),
            (f"192.0.2.7:{port + 1}", 421),
        ):
            response = await plane.http.get(
                f"http://127.0.0.1:{port}/portfolio", headers={"Host": host}
            )
            assert response.status_code == status, host


def test_a_policy_accepts_nothing_before_the_socket_is_bound() -> None:
    assert not HostPolicy().allows("127.0.0.1:80")
    assert not HostPolicy.for_url("http://127.0.0.1:9").allows(None)
    with pytest.raises(ValueError, match="not a listening URL"):
        HostPolicy.for_url("http://127.0.0.1")


@pytest.mark.parametrize(
    ("host", "parsed"),
    [
        ("127.0.0.1:8790", ("127.0.0.1", 8790)),
        ("LOCALHOST:1", ("localhost", 1)),
        ("localhost", ("localhost", 80)),
        ("[::1]:8790", ("::1", 8790)),
        ("[::1]", ("::1", 80)),
        ("::1:8790", None),
        ("[::1", None),
        ("[::1]x", None),
        ("host:", ("host", 80)),
        ("host:0", None),
        ("host:70000", None),
        ("host:8o", None),
        (":8790", None),
        ("", None),
    ],
)
def test_host_headers_are_split_into_name_and_port(
    host: str, parsed: tuple[str, int] | None
) -> None:
    assert split_host(host) == parsed
