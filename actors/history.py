"""The daemon's history lines as typed records, and the one converter that writes and reads them.

The daemon appends ``<runtime_dir>/history.jsonl`` (``warden.history``'s loguru
sink), one JSON object per line; the chaos harness judges the run on it. Every
line is one of the frozen records below, chosen by its ``kind``:

===============  ==========================================================
kind             record (fields beyond ``t``, ``pid``)
===============  ==========================================================
``order``        :class:`OrderLine` (execution: what was asked of the venue)
``reservation``  :class:`ReservationLine` (risk: reserve / release / ...)
``basket``       :class:`BasketLine` (execution: a basket's step)
``reconciled``   :class:`ReconciledLine` (risk heard execution's Reconciled)
``halt``         :class:`HaltLine`
``resume``       :class:`ResumeLine`
``fault``        :class:`FaultLine` (the daemon's chaos routes)
``daemon``       :class:`DaemonLine` (a process started / stopped)
``accounting``   :class:`AccountingLine` (one worker's message books at stop)
``down``         :class:`RuntimeLine` (the supervision runtime's life events,
``restart``      with ``kind`` one of these four; ``delay``, ``attempt`` and
``hang``         ``group`` only on ``restart``)
``escalation``
===============  ==========================================================

The writers do not build records: actors log with ``logger.bind(history=
"<kind>", ...)`` and the runtime logs its own events; the sink turns each
record's bound fields into a flat dict and passes it through :func:`read_line`
and :func:`write_line`, so every line in the file has exactly the shape below
(every field written, ``null`` when absent). ``child`` / ``epoch`` are the
actor incarnation that logged (``None`` when the line was logged outside an
actor's thread).

Money is exact (issue 12): a price, a count of contracts or an amount in
dollars is a ``Decimal``, written as its exact fixed-point string (``"0.4200"``,
``"2.00"``; never a JSON number) and read from such a string, or from a
``Decimal`` (what the actors bind before the sink writes the line).

Failure behaviour: :func:`read_line` raises :class:`MalformedLine` for anything
that is not exactly one record -- an unknown ``kind``, a missing field, an
unknown field, a value of the wrong type (no coercion: ``"3"`` is not an int,
``true`` is not 1, ``0.42`` is not a decimal: a float may already have lost the
value). Readers count such lines and report them; they never take them as
evidence. :func:`write_line` raises ``TypeError`` for a non-finite ``Decimal``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar, Literal

import cattrs
from attrs import frozen

from supervision.decimal_json import register_decimal_hooks

__all__ = [
    "KINDS",
    "LINE_TYPES",
    "RUNTIME_KINDS",
    "AccountingLine",
    "BasketLine",
    "DaemonLine",
    "FaultLine",
    "HaltLine",
    "HistoryLine",
    "MalformedLine",
    "OrderLine",
    "ReconciledLine",
    "ReservationLine",
    "ResumeLine",
    "RuntimeLine",
    "read_line",
    "unstructure_line",
    "write_line",
]

OrderPhase = Literal["invoke", "ok", "fail", "unknown", "resolved"]
ReservationPhase = Literal["reserve", "release", "in_doubt", "reject"]
RuntimeKind = Literal["down", "restart", "hang", "escalation"]
BasketPhaseName = Literal["placing", "legs_settled", "completing", "unwinding", "settled"]
OutcomeName = Literal["filled", "partial", "unhedged", "none", "failed"]


class MalformedLine(ValueError):
    """A history line that is not exactly one record; ``line`` is what was read."""

    def __init__(self, line: object, why: str) -> None:
        super().__init__(why)
        self.line = line
        self.why = why


@frozen(kw_only=True)
class OrderLine:
    """Execution's create-order attempt for ``client_order_id`` (``actors.execution``).

    ``ticker``/``side``/``action``/``price``/``count`` are ``None`` on a ``resolved``
    line for an id the venue does not know; ``error`` is set on ``fail``/``unknown``;
    ``status``/``fill_count`` on ``ok``/``resolved`` (``status`` ``None``: no such
    order at the venue). ``price`` is in dollars, ``count``/``fill_count`` in
    contracts, all exact ``Decimal``."""

    KIND: ClassVar[str] = "order"
    t: float
    pid: int
    phase: OrderPhase
    client_order_id: str
    reservation_id: str | None
    detail: str
    ticker: str | None = None
    side: str | None = None
    action: str | None = None
    price: Decimal | None = None
    count: Decimal | None = None
    error: str | None = None
    status: str | None = None
    fill_count: Decimal | None = None
    child: str | None = None
    epoch: int | None = None


@frozen(kw_only=True)
class ReservationLine:
    """Risk reserved, released, lost track of (``in_doubt``) or rejected a reservation;
    ``amount`` (dollars, exact) is ``None`` on ``reject``; ``reason`` says why (empty
    on reserve). ``ticker`` is the reservation's event ticker (a single-market
    event's is its market's) and ``tickers`` its legs' markets (``None`` on
    ``reject``). On ``release``: ``outcome``, and ``missing`` the indexes of the
    legs left short (``()`` when hedged)."""

    KIND: ClassVar[str] = "reservation"
    t: float
    pid: int
    event: str
    actor: str
    ticker: str
    reservation_id: str
    phase: ReservationPhase
    amount: Decimal | None
    reason: str
    tickers: tuple[str, ...] | None = None
    outcome: OutcomeName | None = None
    missing: tuple[int, ...] | None = None
    child: str | None = None
    epoch: int | None = None


@frozen(kw_only=True)
class BasketLine:
    """Execution's step of a basket (``actors.messages.BasketProgress``), logged with
    it: ``placing`` when the entry orders are sent, ``unwinding`` when unwind orders
    are; ``held`` per leg (contracts, exact), ``missing`` the short legs' indexes,
    ``outcome`` on ``settled``."""

    KIND: ClassVar[str] = "basket"
    t: float
    pid: int
    reservation_id: str
    event_ticker: str
    phase: BasketPhaseName
    attempt: int
    held: tuple[Decimal, ...]
    missing: tuple[int, ...]
    outcome: OutcomeName | None
    detail: str
    child: str | None = None
    epoch: int | None = None


@frozen(kw_only=True)
class ReconciledLine:
    """Risk heard execution's ``Reconciled``: trading allowed (``ok``) or not."""

    KIND: ClassVar[str] = "reconciled"
    t: float
    pid: int
    event: str
    actor: str
    ok: bool
    detail: str
    child: str | None = None
    epoch: int | None = None


@frozen(kw_only=True)
class HaltLine:
    KIND: ClassVar[str] = "halt"
    t: float
    pid: int
    event: str
    actor: str
    reason: str
    source: str
    child: str | None = None
    epoch: int | None = None


@frozen(kw_only=True)
class ResumeLine:
    KIND: ClassVar[str] = "resume"
    t: float
    pid: int
    event: str
    actor: str
    source: str
    child: str | None = None
    epoch: int | None = None


@frozen(kw_only=True)
class FaultLine:
    """A fault the daemon's chaos routes injected: ``fault`` into ``target``, with the
    parameters of its route (an actor fault: ``epoch`` hit, ``seconds`` / ``count``;
    the clock: ``offset_s``; storage: ``max_page_count``, ``pages``)."""

    KIND: ClassVar[str] = "fault"
    t: float
    pid: int
    fault: str
    target: str
    epoch: int | None = None
    seconds: float | None = None
    count: int | None = None
    offset_s: float | None = None
    max_page_count: int | None = None
    pages: int | None = None
    child: str | None = None


@frozen(kw_only=True)
class DaemonLine:
    """A daemon process started (``chaos``: with the chaos routes) or stopped
    (``exit_code``, ``reason``)."""

    KIND: ClassVar[str] = "daemon"
    t: float
    pid: int
    phase: Literal["start", "stop"]
    chaos: bool | None = None
    exit_code: int | None = None
    reason: str | None = None
    child: str | None = None


@frozen(kw_only=True)
class AccountingLine:
    """One worker's message books over every incarnation of a process that stopped."""

    KIND: ClassVar[str] = "accounting"
    t: float
    pid: int
    actor: str
    received: int
    processed: int
    stale_dropped: int
    runtime_handled: int
    dead_letters: int
    queued: int
    lost_after_end: int
    child: str | None = None


@frozen(kw_only=True)
class RuntimeLine:
    """A supervision life event of ``actor``'s incarnation ``epoch`` (the failed one on
    ``restart``); ``message`` is the runtime's log message."""

    KIND: ClassVar[str] = "runtime"
    t: float
    pid: int
    kind: RuntimeKind
    actor: str
    epoch: int
    reason: str
    supervisor: str
    message: str
    delay: float | None = None
    attempt: int | None = None
    group: tuple[str, ...] | None = None


HistoryLine = (
    OrderLine
    | ReservationLine
    | BasketLine
    | ReconciledLine
    | HaltLine
    | ResumeLine
    | FaultLine
    | DaemonLine
    | AccountingLine
    | RuntimeLine
)

RUNTIME_KINDS: frozenset[str] = frozenset({"down", "restart", "hang", "escalation"})
LINE_TYPES: tuple[type[HistoryLine], ...] = (
    OrderLine,
    ReservationLine,
    BasketLine,
    ReconciledLine,
    HaltLine,
    ResumeLine,
    FaultLine,
    DaemonLine,
    AccountingLine,
    RuntimeLine,
)
"""Every record class, one per kind (``RuntimeLine`` serves the runtime's four)."""
_BY_KIND: dict[str, type[HistoryLine]] = {
    cls.KIND: cls for cls in LINE_TYPES if cls is not RuntimeLine
}
KINDS: frozenset[str] = frozenset(_BY_KIND) | RUNTIME_KINDS


def _strict(kind: type, check: Any) -> Any:
    def structure(value: Any, _type: Any) -> Any:
        if not check(value):
            raise TypeError(f"expected {kind.__name__}, got {value!r}")
        return value

    return structure


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(str, _strict(str, lambda value: type(value) is str))
    converter.register_structure_hook(int, _strict(int, lambda value: type(value) is int))
    converter.register_structure_hook(bool, _strict(bool, lambda value: type(value) is bool))
    converter.register_structure_hook(
        float,
        lambda value, _type: float(
            _strict(float, lambda v: type(v) in (int, float) and math.isfinite(v))(value, _type)
        ),
    )
    register_decimal_hooks(converter)
    converter.register_unstructure_hook_func(lambda kind: kind == tuple[str, ...], list)
    converter.register_unstructure_hook_func(lambda kind: kind == tuple[int, ...], list)
    return converter


CONVERTER = _converter()


def read_line(line: Mapping[str, Any]) -> HistoryLine:
    """The record of one decoded history line. Raises :class:`MalformedLine`."""
    if not isinstance(line, Mapping):
        raise MalformedLine(line, "not a JSON object")
    kind = line.get("kind")
    if kind in RUNTIME_KINDS:
        cls: type[HistoryLine] = RuntimeLine
        fields = dict(line)
    elif isinstance(kind, str) and kind in _BY_KIND:
        cls = _BY_KIND[kind]
        fields = {key: value for key, value in line.items() if key != "kind"}
    else:
        raise MalformedLine(line, f"unknown kind {kind!r}")
    try:
        return CONVERTER.structure(fields, cls)
    except (cattrs.BaseValidationError, KeyError, TypeError, ValueError) as error:
        why = (
            "; ".join(cattrs.transform_error(error))
            if isinstance(error, cattrs.BaseValidationError)
            else str(error)
        )
        raise MalformedLine(line, f"{kind}: {why}") from None


def unstructure_line(record: HistoryLine) -> dict[str, Any]:
    """The JSON object of ``record``: ``t``, ``pid``, ``kind``, then its other fields."""
    fields: dict[str, Any] = CONVERTER.unstructure(record)
    kind = fields.pop("kind", None) or type(record).KIND
    return {"t": fields.pop("t"), "pid": fields.pop("pid"), "kind": kind, **fields}


def write_line(record: HistoryLine) -> str:
    """One history line (no newline) for ``record``."""
    return json.dumps(unstructure_line(record), separators=(",", ":"))
