"""``warden ps | inspect | watch | halt | resume | restart | health``: talk to a running daemon.

Each command finds the daemon through its runtime file (``--runtime-file``,
default ``var/warden.json``) or ``--url`` (with ``--token-file`` for the
mutating commands). Read commands take ``--json``; without it they draw rich
tables. Exit codes: 0 success (``health``: ready), 1 failure (``health``: not
ready; a refused token; an unknown actor), 2 usage, 3 no daemon running --
said in one line on stderr, never with a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich and httpx load only when a command runs: `warden --help` stays fast
    from rich.console import RenderableType

    from warden.control import ControlClient

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_NO_DAEMON = 3
CONFIRM_WITHIN_S = 5.0
STATUS_STYLES = {
    "running": "green",
    "starting": "yellow",
    "restarting": "yellow",
    "stopping": "yellow",
    "idle": "dim",
    "stopped": "dim",
    "failed": "bold red",
}
PS_FIELDS = (
    "name",
    "path",
    "kind",
    "status",
    "epoch",
    "restarts",
    "uptime_s",
    "mailbox",
    "processed",
)


# -- data ------------------------------------------------------------------------------


def _last_error(node: dict[str, Any]) -> str | None:
    failure = node.get("last_failure")
    if not failure:
        return None
    return f"{failure['type']}: {failure['message']}" if failure.get("message") else failure["type"]


def ps_rows(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per node of the ``GET /actors`` tree, depth first in start order."""
    rows: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        row = {field: node.get(field) for field in PS_FIELDS}
        row["last_error"] = _last_error(node)
        rows.append(row)
        for child in node.get("children", ()):
            walk(child)

    walk(tree)
    return rows


def _find(tree: dict[str, Any], name: str) -> dict[str, Any]:
    if tree.get("name") == name:
        return tree
    for child in tree.get("children", ()):
        found = _find(child, name)
        if found:
            return found
    return {}


# -- rendering -------------------------------------------------------------------------


def _uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _cents(value: Any) -> str:
    return f"${value / 100:,.2f}" if isinstance(value, int) else "?"


def ps_table(tree: dict[str, Any]) -> RenderableType:
    from rich.table import Table  # noqa: PLC0415

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("NAME", "STATUS", "EPOCH", "RESTARTS", "UPTIME", "MAILBOX", "PROCESSED"):
        table.add_column(column, justify="right" if column not in ("NAME", "STATUS") else "left")
    table.add_column("LAST ERROR", overflow="fold")
    for row in ps_rows(tree):
        depth = row["path"].count("/")
        style = STATUS_STYLES.get(row["status"], "")
        table.add_row(
            "  " * depth + row["name"],
            f"[{style}]{row['status']}[/]" if style else row["status"],
            str(row["epoch"]),
            str(row["restarts"]),
            _uptime(row["uptime_s"]),
            str(row["mailbox"]),
            str(row["processed"]),
            row["last_error"] or "",
        )
    return table


def trading_panel(tree: dict[str, Any], ready: dict[str, Any] | None) -> RenderableType:
    """Exposure, breaker, halt and readiness, from the risk actor's summary."""
    from rich.panel import Panel  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    risk = _find(tree, "risk").get("summary", {})
    exposure = risk.get("exposure_cents", {})
    limits = risk.get("limits", {})
    text = Text()
    text.append(f"exposure {_cents(exposure.get('total'))}")
    text.append(f" / {_cents(limits.get('max_total_exposure_cents'))}")
    for market, cents in sorted(exposure.get("by_market", {}).items()):
        text.append(f"   {market} {_cents(cents)}")
    breaker = risk.get("breaker", {})
    state = breaker.get("state", "?")
    text.append("\nbreaker ")
    text.append(state, style="green" if state == "closed" else "bold red")
    text.append(f" (opened {breaker.get('times_opened', '?')} times)")
    reservations = risk.get("reservations", {})
    text.append(
        f"   reservations held {len(reservations.get('held', ()))}"
        f" in doubt {len(reservations.get('in_doubt', ()))}"
    )
    text.append("\n")
    if risk.get("halted") is True:
        text.append(f"HALTED: {risk.get('halt_reason')}", style="bold red")
    elif risk.get("halted") is False:
        text.append("trading", style="green")
    else:
        text.append("halt state unknown", style="yellow")
    if ready is not None:
        if ready.get("ready"):
            text.append("   ready", style="green")
        else:
            text.append(f"   not ready: {'; '.join(ready.get('reasons', []))}", style="yellow")
    return Panel(text, title="risk", expand=False)


def _console() -> Any:
    from rich.console import Console  # noqa: PLC0415

    # Piped output keeps whole lines (no 80-column wrapping); a terminal uses its width.
    return Console(width=None if sys.stdout.isatty() else 160, highlight=False)


# -- commands --------------------------------------------------------------------------


def _client(args: argparse.Namespace) -> ControlClient:
    from warden.control import ControlClient  # noqa: PLC0415

    return ControlClient.locate(
        url=args.url,
        token_file=args.token_file,
        runtime_file=args.runtime_file,
        timeout=args.timeout,
    )


def _json_of(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"error": response.text.strip() or f"HTTP {response.status_code}"}


def _fail(command: str, response: Any) -> int:
    answer = _json_of(response)
    error = answer.get("error") if isinstance(answer, dict) else None
    print(f"warden {command}: {error or answer} (HTTP {response.status_code})", file=sys.stderr)
    return EXIT_FAILURE


def _tree(client: ControlClient, command: str) -> dict[str, Any] | int:
    response = client.get("/actors")
    if response.status_code != 200:
        return _fail(command, response)
    tree: dict[str, Any] = response.json()
    return tree


def cmd_ps(args: argparse.Namespace) -> int:
    with _client(args) as client:
        tree = _tree(client, "ps")
    if isinstance(tree, int):
        return tree
    if args.json:
        print(json.dumps(ps_rows(tree), indent=2))
    else:
        _console().print(ps_table(tree))
    return EXIT_OK


def cmd_inspect(args: argparse.Namespace) -> int:
    with _client(args) as client:
        response = client.get(f"/actors/{args.name}")
    if response.status_code != 200:
        return _fail("inspect", response)
    node = response.json()
    if args.json:
        print(json.dumps(node, indent=2, sort_keys=True))
        return EXIT_OK
    from rich.json import JSON  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    facts = Table(box=None, show_header=False, pad_edge=False)
    facts.add_column(style="bold")
    facts.add_column()
    for key in (*PS_FIELDS, "inflight_age_s", "stale_dropped", "dead_letters"):
        value = node.get(key)
        facts.add_row(key, _uptime(value) if key == "uptime_s" else str(value))
    facts.add_row("last_error", _last_error(node) or "-")
    facts.add_row("summary_stale", str(node.get("summary_stale")))
    console = _console()
    console.print(facts)
    console.print("[bold]summary[/]")
    console.print(JSON.from_data(node.get("summary", {}), sort_keys=True))
    return EXIT_OK


def _watch_frames(client: ControlClient, interval: float) -> Iterator[tuple[Any, Any] | int]:
    """(tree, readiness) every ``interval`` seconds; an exit code when the daemon refuses."""
    while True:
        tree = _tree(client, "watch")
        if isinstance(tree, int):
            yield tree
            return
        yield tree, _json_of(client.get("/readyz"))
        time.sleep(interval)


def _watch_view(client: ControlClient, tree: dict[str, Any], ready: Any) -> RenderableType:
    from rich.console import Group  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    header = Text(
        f"warden at {client.url}   {time.strftime('%H:%M:%S')}   Ctrl-C to quit", style="bold"
    )
    return Group(header, ps_table(tree), trading_panel(tree, ready))


def cmd_watch(args: argparse.Namespace) -> int:
    from rich.live import Live  # noqa: PLC0415

    with _client(args) as client:
        try:
            if args.json:  # one JSON object per refresh
                for frame in _watch_frames(client, args.interval):
                    if isinstance(frame, int):
                        return frame
                    print(json.dumps({"actors": ps_rows(frame[0]), "ready": frame[1]}), flush=True)
            with Live(console=_console(), auto_refresh=False) as live:
                for frame in _watch_frames(client, args.interval):
                    if isinstance(frame, int):
                        return frame
                    live.update(_watch_view(client, *frame), refresh=True)
        except KeyboardInterrupt:
            return EXIT_OK
    return EXIT_OK


def _await_halted(client: ControlClient, halted: bool) -> bool:
    """Poll risk's summary until ``halted`` shows the wanted value; False after the deadline."""
    deadline = time.monotonic() + CONFIRM_WITHIN_S
    while time.monotonic() < deadline:
        response = client.get("/actors/risk")
        if response.status_code == 200 and response.json()["summary"].get("halted") is halted:
            return True
        time.sleep(0.1)
    return False


def cmd_halt(args: argparse.Namespace) -> int:
    with _client(args) as client:
        response = client.post("/halt", {"reason": args.reason})
        if response.status_code != 202:
            return _fail("halt", response)
        confirmed = _await_halted(client, halted=True)
    if not confirmed:
        print(f"warden halt: delivered to risk but not confirmed within {CONFIRM_WITHIN_S}s")
        return EXIT_FAILURE
    print(f"halted: {args.reason} (no new risk; working orders are being cancelled)")
    return EXIT_OK


def cmd_resume(args: argparse.Namespace) -> int:
    with _client(args) as client:
        response = client.post("/resume")
        if response.status_code != 202:
            return _fail("resume", response)
        confirmed = _await_halted(client, halted=False)
    if not confirmed:
        print(f"warden resume: delivered to risk but not confirmed within {CONFIRM_WITHIN_S}s")
        return EXIT_FAILURE
    print("resumed: trading allowed again")
    return EXIT_OK


def cmd_restart(args: argparse.Namespace) -> int:
    with _client(args) as client:
        response = client.post(f"/actors/{args.name}/restart")
    if response.status_code != 200:
        return _fail("restart", response)
    answer = response.json()
    audit = "" if answer.get("audited") else " (audit event NOT recorded: see the daemon's log)"
    print(f"restarted {answer['name']}: now epoch {answer['epoch']}{audit}")
    return EXIT_OK


def cmd_health(args: argparse.Namespace) -> int:
    with _client(args) as client:
        health, ready = client.get("/healthz"), client.get("/readyz")
    health_body, ready_body = _json_of(health), _json_of(ready)
    if args.json:
        print(
            json.dumps(
                {
                    "healthz": {"code": health.status_code, **health_body},
                    "readyz": {"code": ready.status_code, **ready_body},
                },
                indent=2,
                sort_keys=True,
            )
        )
    else:
        print(f"healthz {health.status_code} {health_body.get('status', health_body)}")
        if ready.status_code == 200:
            print("readyz  200 ready")
        else:
            reasons = ready_body.get("reasons") or [ready_body.get("error", "unknown")]
            print(f"readyz  {ready.status_code} not ready")
            for reason in reasons:
                print(f"  - {reason}")
    return EXIT_OK if ready.status_code == 200 else EXIT_FAILURE


# -- wiring ----------------------------------------------------------------------------


def _guarded(command: str, handler: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """No daemon (or one that does not answer) is one line on stderr, not a traceback."""

    def run(args: argparse.Namespace) -> int:
        from warden.control import ControlError, NoDaemon  # noqa: PLC0415

        try:
            return handler(args)
        except NoDaemon as error:
            print(f"warden {command}: {error}", file=sys.stderr)
            return EXIT_NO_DAEMON
        except ControlError as error:
            print(f"warden {command}: {error}", file=sys.stderr)
            return EXIT_FAILURE

    return run


def _common(parser: argparse.ArgumentParser, *, read: bool) -> None:
    parser.add_argument(
        "--runtime-file",
        type=Path,
        default=Path("var") / "warden.json",
        help="the daemon's runtime file (default var/warden.json; see daemon.runtime_dir)",
    )
    parser.add_argument("--url", help="control plane URL instead of the runtime file's")
    parser.add_argument("--token-file", type=Path, help="bearer token file (with --url)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP call")
    if read:
        parser.add_argument("--json", action="store_true", help="machine-readable output")


def register(commands: Any) -> None:
    """Add the control commands to ``warden``'s subparsers."""
    ps = commands.add_parser("ps", help="the running daemon's actor tree")
    inspect = commands.add_parser("inspect", help="one actor's full snapshot and state summary")
    inspect.add_argument("name")
    watch = commands.add_parser("watch", help="live view of the tree, exposure, breaker and halt")
    watch.add_argument("--interval", type=float, default=1.0, help="seconds between refreshes")
    halt = commands.add_parser("halt", help="kill switch on: no new risk, cancel working orders")
    halt.add_argument("--reason", default="operator halt", help="recorded in the audit log")
    resume = commands.add_parser("resume", help="kill switch off")
    restart = commands.add_parser("restart", help="restart one actor (a new incarnation)")
    restart.add_argument("name")
    health = commands.add_parser("health", help="/healthz and /readyz; exit 0 only when ready")
    table: dict[str, tuple[argparse.ArgumentParser, Callable[[argparse.Namespace], int], bool]] = {
        "ps": (ps, cmd_ps, True),
        "inspect": (inspect, cmd_inspect, True),
        "watch": (watch, cmd_watch, True),
        "halt": (halt, cmd_halt, False),
        "resume": (resume, cmd_resume, False),
        "restart": (restart, cmd_restart, False),
        "health": (health, cmd_health, True),
    }
    for name, (parser, handler, read) in table.items():
        _common(parser, read=read)
        parser.set_defaults(handler=_guarded(name, handler))
