"""The control plane in-process: a real tree of light stand-in actors, the real HTTP server.

The tree and the server share the test's trio loop, as they share the
daemon's; requests go over loopback with a real HTTP client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import trio

from actors.messages import AuditEvent, Halt, Record, Resume
from actors.risk import RiskStatus
from tests.supervision.conftest import Journal
from tests.warden.control_harness import NAMES, Plane, plane_tree, serving_plane
from warden.control import ControlConfig, read_snapshot, serve_control


@pytest.fixture
async def plane(tmp_path: Path) -> AsyncIterator[Plane]:
    async with serving_plane(tmp_path) as served:
        yield served


async def test_a_mutation_without_the_right_bearer_token_is_refused_with_401(
    plane: Plane,
) -> None:
    refused = [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {plane.token}"},
        {"Authorization": plane.token},
        {"Authorization": "Bearer"},
    ]
    for headers in refused:
        for path in ("/halt", "/resume", "/actors/strategy/restart"):
            response = await plane.http.post(path, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert response.headers["www-authenticate"] == "Bearer"
    assert plane.received("risk", Halt) == []
    assert plane.received("risk", Resume) == []
    actors = read_snapshot((await plane.http.get("/actors")).json())
    assert [c.epoch for c in actors.children] == [1] * 5


async def test_halt_and_resume_reach_risk_from_the_control_source(plane: Plane) -> None:
    response = await plane.http.post("/halt", json={"reason": "lunch"}, headers=plane.auth())
    assert response.status_code == 202
    assert response.json() == {"action": "halt", "reason": "lunch", "risk_epoch": 1}
    response = await plane.http.post("/resume", headers=plane.auth())
    assert response.status_code == 202
    with trio.fail_after(10):
        while not plane.received("risk", Resume):
            await trio.sleep(0.01)
    assert plane.received("risk", Halt) == [Halt(reason="lunch", source="control")]
    assert plane.received("risk", Resume) == [Resume(source="control")]


async def test_readyz_answers_503_with_the_reason_while_halted(plane: Plane) -> None:
    ready = await plane.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "reasons": [],
        "checks": dict.fromkeys(("actors", "reconciliation", "halt", "feed", "persistence"), True),
    }
    await plane.http.post("/halt", json={"reason": "lunch"}, headers=plane.auth())
    with trio.fail_after(10):
        while (ready := await plane.http.get("/readyz")).status_code == 200:
            await trio.sleep(0.01)
    assert ready.status_code == 503
    assert ready.json()["reasons"] == ["trading is halted: lunch"]
    assert (await plane.http.get("/healthz")).status_code == 200


async def test_restart_gives_a_new_epoch_and_records_an_audit_event(plane: Plane) -> None:
    response = await plane.http.post("/actors/execution/restart", headers=plane.auth())
    assert response.status_code == 200
    assert response.json() == {
        "action": "restart",
        "name": "execution",
        "epoch": 2,
        "audited": True,
    }
    actors = read_snapshot((await plane.http.get("/actors")).json())
    epochs = {child.name: (child.epoch, child.restarts) for child in actors.children}
    assert epochs == dict.fromkeys(NAMES, (1, 0)) | {"execution": (2, 1)}
    records = plane.received("persistence", Record)
    assert [event for record in records for event in record.events] == [
        AuditEvent("restart", "execution restarted by operator: epoch 1 -> 2", "control")
    ]


async def test_unknown_actors_are_404_and_the_root_cannot_be_restarted(plane: Plane) -> None:
    for name in ("nosuch", "warden"):
        response = await plane.http.post(f"/actors/{name}/restart", headers=plane.auth())
        assert response.status_code == 404
        assert response.json() == {"error": f"no actor named {name!r}"}
    assert (await plane.http.get("/actors/nosuch")).status_code == 404
    one = read_snapshot((await plane.http.get("/actors/risk")).json())
    assert one.path == "warden/risk"
    risk = one.status_of("risk", RiskStatus)
    assert risk is not None
    assert risk.exposure.total == Decimal("1.20")


async def test_bad_requests_get_json_errors_and_the_server_keeps_serving(plane: Plane) -> None:
    bad_body = await plane.http.post("/halt", content=b"{not json", headers=plane.auth())
    assert bad_body.status_code == 400
    not_text = await plane.http.post("/halt", json={"reason": 5}, headers=plane.auth())
    assert not_text.status_code == 400
    assert (await plane.http.get("/halt")).status_code == 405
    assert (await plane.http.get("/nowhere")).status_code == 404
    huge = await plane.http.post("/halt", content=b"x" * 100_000, headers=plane.auth())
    assert huge.status_code == 413
    assert plane.received("risk", Halt) == []
    assert (await plane.http.get("/healthz")).json() == {"status": "running"}


async def test_the_runtime_files_are_removed_when_the_control_plane_stops(
    tmp_path: Path,
) -> None:
    tree = plane_tree(Journal())
    async with trio.open_nursery() as nursery:
        await nursery.start(tree.run)
        with trio.CancelScope() as scope:
            async with trio.open_nursery() as control:
                server = await control.start(serve_control, tree, ControlConfig(tmp_path))
                assert server.files.runtime_file.exists()
                assert server.files.token_file.read_text().strip() == server.files.token
                scope.cancel()
        assert not server.files.runtime_file.exists()
        assert not server.files.token_file.exists()
        nursery.cancel_scope.cancel()


async def test_a_tree_that_is_not_running_is_unhealthy_and_unready(tmp_path: Path) -> None:
    tree = plane_tree(Journal())  # never run
    async with trio.open_nursery() as nursery:
        server = await nursery.start(serve_control, tree, ControlConfig(tmp_path))
        async with httpx.AsyncClient(base_url=server.url, trust_env=False) as http:
            health = await http.get("/healthz")
            assert (health.status_code, health.json()) == (503, {"status": "idle"})
            for path in ("/readyz", "/actors", "/metrics"):
                response = await http.get(path)
                assert response.status_code == 503, path
                assert "not running" in response.json()["error"]
        nursery.cancel_scope.cancel()
