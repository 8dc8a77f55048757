"""supervision: a generic supervised-actor runtime on pykka and trio.

Workers are :class:`SupervisedActor` subclasses (pykka threading actors); a
tree of supervisors, described by :class:`SupervisorSpec` / :class:`ChildSpec`
data, starts them in order, restarts them with jittered backoff when they
crash, hang or fail to start, escalates past an intensity limit, and stops them
in reverse order. See docs/architecture.md for the semantics.

:mod:`supervision.validators` holds the generic attrs field validators (numbers,
durations, ranges, flags, choices, ports) that specs and every configuration
above the runtime build their one-validator-per-field classes from.
"""

from supervision import validators
from supervision._actor import Binding, SupervisedActor
from supervision._backoff import Backoff
from supervision._clock import Clock, ManualClock, SystemClock
from supervision._errors import (
    AskTimeout,
    ChildUnavailable,
    Escalation,
    HandlerAborted,
    IncarnationHung,
    SpecError,
    StartTimedOut,
    SupervisionError,
)
from supervision._faults import FaultInjectionOff, FaultKind, InjectedCrash, InjectFault
from supervision._messages import Down, DownReason, Tagged
from supervision._snapshot import (
    ActorSnapshot,
    FailureInfo,
    LatencyHistogram,
    snapshot_from_dict,
    snapshot_to_dict,
    snapshot_to_json,
    status_from_dict,
    status_to_dict,
    status_type,
)
from supervision._spec import (
    NO_BACKOFF,
    BackoffPolicy,
    ChildSpec,
    Jitter,
    RestartType,
    Strategy,
    SupervisorSpec,
)
from supervision._tree import (
    EXIT_ESCALATED,
    EXIT_OK,
    SupervisionTree,
    TreeThread,
    run_until_signalled,
)
from supervision._trio_loop import LoopNotRunning, TrioLoop

__all__ = [
    "EXIT_ESCALATED",
    "EXIT_OK",
    "NO_BACKOFF",
    "ActorSnapshot",
    "AskTimeout",
    "Backoff",
    "BackoffPolicy",
    "Binding",
    "ChildSpec",
    "ChildUnavailable",
    "Clock",
    "Down",
    "DownReason",
    "Escalation",
    "FailureInfo",
    "FaultInjectionOff",
    "FaultKind",
    "HandlerAborted",
    "IncarnationHung",
    "InjectFault",
    "InjectedCrash",
    "Jitter",
    "LatencyHistogram",
    "LoopNotRunning",
    "ManualClock",
    "RestartType",
    "SpecError",
    "StartTimedOut",
    "Strategy",
    "SupervisedActor",
    "SupervisionError",
    "SupervisionTree",
    "SupervisorSpec",
    "SystemClock",
    "Tagged",
    "TreeThread",
    "TrioLoop",
    "run_until_signalled",
    "snapshot_from_dict",
    "snapshot_to_dict",
    "snapshot_to_json",
    "status_from_dict",
    "status_to_dict",
    "status_type",
    "validators",
]
