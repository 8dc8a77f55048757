"""Risk's log lines, and those of them that are lines of the daemon's history.

:func:`risk_log` binds what every risk line carries (``event``, ``actor`` and,
for a reservation's line, its event ``ticker`` and ``reservation_id``); the
caller chooses the level and the message.

The other functions each log one history line (the daemon's history sink writes
it as one JSONL line, see ``warden.history``; no sink, no file), attributed to
their caller (``depth=1``):

- a reservation's phase, ``history="reservation"`` with the fields of
  :class:`actors.history.ReservationLine` (``phase``, ``amount``, ``reason``,
  ``tickers``, a released reservation's ``outcome`` and the indexes of its
  ``missing`` legs): :func:`reserved`, :func:`rejected`, :func:`in_doubt`,
  :func:`released`;
- ``history="halt"``, ``"resume"`` and ``"reconciled"``: :func:`halted`,
  :func:`resumed`, :func:`reconciled`.

Pure: nothing here reads or changes the actor, and nothing raises.
"""

from __future__ import annotations

from typing import Any

from loguru import logger

from actors.messages import MissingLeg, Reservation, ReservationState


def risk_log(actor: str, event: str, reservation: Reservation | None = None) -> Any:
    """A logger for one of ``actor``'s lines, about ``reservation`` when given."""
    return _bound(logger, actor, event, reservation)


def reserved(actor: str, reservation: Reservation, owner: int) -> None:
    """``reservation`` was made and handed to execution incarnation ``owner``."""
    _reservation_line(actor, "reserved", reservation, "reserve", "").info(
        "reserved ${} for {} in {} {} (execution#{})",
        reservation.amount,
        reservation.reservation_id,
        reservation.event_ticker,
        list(reservation.tickers),
        owner,
    )


def rejected(
    actor: str, reservation_id: str, event_ticker: str, reason: str, detail: str = ""
) -> None:
    """A ``Reserve`` was refused: nothing was reserved (no ``amount``). ``detail`` (the
    venue's halt reason) goes in the log message only: the history line's fields are
    fixed (:mod:`actors.history`)."""
    logger.opt(depth=1).bind(
        event="reserve_rejected",
        actor=actor,
        ticker=event_ticker,
        reservation_id=reservation_id,
        reason=reason,
        history="reservation",
        phase="reject",
        amount=None,
    ).info(
        "risk rejected {} in {}: {}{}",
        reservation_id,
        event_ticker,
        reason,
        f" ({detail})" if detail else "",
    )


def in_doubt(actor: str, reservation: Reservation, name: str, epoch: int, reason: str) -> None:
    """``reservation`` is in doubt: its owner ``name#epoch`` ended (``reason``)."""
    ended = f"{name}#{epoch} {reason}"
    _reservation_line(actor, "in_doubt", reservation, "in_doubt", ended).warning(
        "{} in doubt: {}#{} ended ({}) while owning it",
        reservation.reservation_id,
        name,
        epoch,
        reason,
    )


def released(actor: str, reservation: Reservation, why: str, *, settled: bool = False) -> None:
    """``reservation`` (RELEASED) was released; ``settled``: a previous
    incarnation's, settled at reconciliation (its outcome in the message)."""
    line = _reservation_line(actor, "released", reservation, "release", why)
    if settled:
        line.info("released {} ({}): {}", reservation.reservation_id, reservation.outcome, why)
    else:
        line.info("released {}: {}{}", reservation.reservation_id, why, _short(reservation.missing))


def halted(actor: str, reason: str, source: str) -> None:
    """Trading halted by ``source``."""
    logger.opt(depth=1).bind(
        event="halt", actor=actor, reason=reason, source=source, history="halt"
    ).warning("risk halted by {}: {}", source, reason)


def resumed(actor: str, source: str, was: str | None) -> None:
    """Trading resumed by ``source``; ``was``: the halt reason it lifted."""
    logger.opt(depth=1).bind(event="resume", actor=actor, source=source, history="resume").warning(
        "risk resumed by {} (was halted: {})", source, was
    )


def reconciled(actor: str, ok: bool, detail: str) -> None:
    """A ``Reconciled`` was heard: trading allowed (``ok``) or stopped again."""
    if ok:
        _bound(logger.opt(depth=1), actor, "reconciled", None).bind(
            history="reconciled", ok=True, detail=detail
        ).info("reconciled: trading allowed")
    else:
        _bound(logger.opt(depth=1), actor, "reconcile_failed", None).bind(
            history="reconciled", ok=False, detail=detail
        ).warning("reconciliation failed: {}", detail)


def _bound(base: Any, actor: str, event: str, reservation: Reservation | None) -> Any:
    if reservation is None:
        return base.bind(event=event, actor=actor)
    return base.bind(
        event=event,
        actor=actor,
        ticker=reservation.event_ticker,
        reservation_id=reservation.reservation_id,
    )


def _reservation_line(
    actor: str, event: str, reservation: Reservation, phase: str, reason: str
) -> Any:
    """A logger (for its caller's caller) for a ``kind: reservation`` history line
    (``ticker`` is the event's; a released reservation's outcome and the indexes
    of its short legs)."""
    is_released = reservation.state is ReservationState.RELEASED
    return _bound(logger.opt(depth=1), actor, event, reservation).bind(
        history="reservation",
        phase=phase,
        amount=reservation.amount,
        reason=reason,
        tickers=reservation.tickers,
        outcome=reservation.outcome.value if reservation.outcome is not None else None,
        missing=tuple(m.index for m in reservation.missing) if is_released else None,
    )


def _short(missing: tuple[MissingLeg, ...]) -> str:
    """`` (short: leg 1 KX-B no 2)`` for a log line, or nothing when hedged."""
    if not missing:
        return ""
    legs = ", ".join(f"leg {m.index} {m.ticker} {m.side.value} {m.short}" for m in missing)
    return f" (short: {legs})"
