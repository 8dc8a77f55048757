"""Errors raised by the supervision runtime.

The hierarchy::

    SupervisionError (Exception)
    ├── SpecError (also ValueError)        a child spec or supervisor flag is invalid;
    │                                      carries the field, the value and why
    ├── ChildUnavailable                   a message was addressed to a child that has
    │                                      no running incarnation (restarting, stopped,
    │                                      unknown); carries the name and its status
    ├── AskTimeout (also TimeoutError)     an ask got no reply within its timeout
    ├── HandlerAborted                     a handler raised a BaseException (SystemExit,
    │                                      KeyboardInterrupt, ...); converted so it
    │                                      crashes one actor instead of all of them
    ├── IncarnationHung                    the watchdog's verdict: one message outlived
    │                                      the child's hang deadline
    ├── StartTimedOut                      on_start outlived the child's start_timeout
    └── Escalation                         a supervisor exceeded its restart intensity
                                           and gave up; at the root it ends the tree

Transient for a caller: ``ChildUnavailable`` and ``AskTimeout`` (the child may be
back after its backoff). Fatal: ``SpecError`` (fix the spec) and ``Escalation``
(the tree, or that subtree, has stopped).
"""

from __future__ import annotations


class SupervisionError(Exception):
    """Base class of every error the runtime raises."""


class SpecError(SupervisionError, ValueError):
    """A child spec or supervisor flag failed validation."""

    def __init__(self, owner: str, field: str, value: object, reason: str) -> None:
        self.owner = owner
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{owner}.{field} = {value!r}: {reason}")


class ChildUnavailable(SupervisionError):
    """The addressed child has no running incarnation to deliver to.

    Messages are never buffered across incarnations: a message for a child that
    is restarting is rejected here rather than handed to a later incarnation
    that knows nothing of the context it was sent in.
    """

    def __init__(self, name: str, status: str) -> None:
        self.name = name
        self.status = status
        super().__init__(f"child {name!r} is not accepting messages (status: {status})")


class AskTimeout(SupervisionError, TimeoutError):
    """An ask got no reply within its timeout (the actor may be hung or dying)."""

    def __init__(self, name: str, timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        super().__init__(f"no reply from {name!r} within {timeout}s")


class HandlerAborted(SupervisionError):
    """A handler raised a ``BaseException``; the actor crashes with this instead.

    pykka reacts to a ``BaseException`` in a handler by stopping every actor in
    the process. The runtime converts it so only the offending actor crashes.
    """

    def __init__(self, name: str, original: BaseException) -> None:
        self.name = name
        self.original = original
        super().__init__(f"{name!r} handler raised {type(original).__name__}: {original}")


class Escalation(SupervisionError):
    """A supervisor exceeded its restart intensity and stopped its children.

    The parent treats this like a crash of that supervisor; at the root it ends
    the tree and the process should exit non-zero.
    """

    def __init__(self, supervisor: str, child: str, restarts: int, period: float) -> None:
        self.supervisor = supervisor
        self.child = child
        self.restarts = restarts
        self.period = period
        super().__init__(
            f"supervisor {supervisor!r} gave up: more than {restarts} restarts within "
            f"{period}s (last offender: {child!r})"
        )


class IncarnationHung(SupervisionError):
    """One message ran longer than the child's ``hang_timeout``; the incarnation was fenced."""

    def __init__(self, name: str, epoch: int, age: float, deadline: float) -> None:
        self.name = name
        self.epoch = epoch
        self.age = age
        self.deadline = deadline
        super().__init__(
            f"{name}#{epoch} hung: one message has run {age:.3f}s, deadline {deadline}s"
        )


class StartTimedOut(SupervisionError):
    """``on_start`` did not finish within the child's ``start_timeout``."""

    def __init__(self, name: str, epoch: int, timeout: float) -> None:
        self.name = name
        self.epoch = epoch
        self.timeout = timeout
        super().__init__(f"{name}#{epoch} did not finish on_start within {timeout}s")
