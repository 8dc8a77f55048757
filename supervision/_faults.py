"""Fault injection: make a running incarnation crash, hang, stall or drown, on purpose.

For chaos testing only. A tree built with ``SupervisionTree(spec,
fault_injection=True)`` accepts :meth:`SupervisionTree.inject_fault`; a tree
built without it refuses (:class:`FaultInjectionOff`), and an
:class:`InjectFault` told to an actor like any other message is just that --
an ordinary message for its ``on_receive``. Only the tree can arm a fault:
what reaches the mailbox is a private :class:`ArmedFault`, which the runtime
handles itself, before and instead of ``on_receive``.

The faults, as the incarnation that receives one experiences it:

``crash``
    the handler raises :class:`InjectedCrash`: told, it crashes the
    incarnation (``on_failure`` runs, the supervisor restarts it with backoff,
    monitors hear ``Down(reason=crash)``) -- the same path as a handler bug.
``hang``
    the handler blocks for ``seconds``. With ``seconds`` past the child's
    ``hang_timeout`` the watchdog fences the incarnation (``Down(reason=hang)``)
    and starts a new one. The wait is on the incarnation's stop flag, not
    ``time.sleep``: fencing or stopping it releases the thread at once, so an
    abandoned hang does not keep a thread for its full length.
``slow``
    the same block, meant to stay below the hang deadline: messages queue up
    behind it and are handled late.
``flood``
    ``count`` no-op messages are put in the mailbox, each one counted as
    processed when its turn comes; the mailbox depth shows the backlog.

Cost: the actor recognises an armed fault in the same set lookup that already
sorts out the runtime's own messages, so ordinary messages pay nothing extra.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable

import attrs

from supervision import validators
from supervision._errors import SupervisionError


class FaultKind(enum.Enum):
    CRASH = "crash"
    HANG = "hang"
    SLOW = "slow"
    FLOOD = "flood"


def _is_real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fault_error(right_type: Callable[[object], bool]) -> validators.ErrorFactory:
    """``TypeError`` for a value of the wrong type, ``ValueError`` for one out of range."""

    def error(_instance: object, field: str, value: object, rule: str) -> Exception:
        kind = ValueError if right_type(value) else TypeError
        return kind(f"fault {field} {rule}, got {value!r}")

    return error


_seconds = validators.seconds(0, inclusive=True, error=_fault_error(_is_real))
_count = validators.integer(1, error=_fault_error(validators.is_int))


@attrs.frozen
class InjectFault:
    """What to do to an actor: ``kind`` (a :class:`FaultKind` or its value),
    ``seconds`` for hang and slow, ``count`` for flood.

    Raises ``ValueError`` for an unknown kind, a negative or infinite
    ``seconds`` or a ``count`` below 1 (``TypeError`` for the wrong types).
    """

    kind: FaultKind = attrs.field(converter=FaultKind)
    seconds: float = attrs.field(default=1.0, validator=_seconds)
    count: int = attrs.field(default=10_000, validator=_count)


class InjectedCrash(SupervisionError):
    """Raised by a handler on purpose (fault ``crash``); carries the actor's name and epoch."""

    def __init__(self, name: str, epoch: int) -> None:
        self.name = name
        self.epoch = epoch
        super().__init__(f"injected crash of {name}#{epoch}")


class FaultInjectionOff(SupervisionError):
    """``inject_fault`` on a tree that was not built with ``fault_injection=True``."""

    def __init__(self, tree: str) -> None:
        self.tree = tree
        super().__init__(f"fault injection is off for tree {tree!r}")


@attrs.frozen
class ArmedFault:
    """The message the tree puts in the mailbox (private to the runtime).

    ``kind`` is ``None`` for one no-op message of a flood.
    """

    kind: FaultKind | None
    seconds: float = 0.0


FLOOD_MESSAGE = ArmedFault(None)


def armed(fault: InjectFault) -> ArmedFault:
    """The one message that delivers ``fault`` (a flood is ``count`` of :data:`FLOOD_MESSAGE`)."""
    if fault.kind is FaultKind.FLOOD:
        return FLOOD_MESSAGE
    return ArmedFault(fault.kind, fault.seconds)


def suffer(fault: ArmedFault, name: str, epoch: int, stopped: threading.Event) -> None:
    """Carry ``fault`` out in the receiving incarnation's thread (see the module docstring)."""
    if fault.kind is FaultKind.CRASH:
        raise InjectedCrash(name, epoch)
    if fault.kind is FaultKind.HANG or fault.kind is FaultKind.SLOW:
        stopped.wait(fault.seconds)
