"""The public front is small and deliberate (after httpx's export test)."""

from __future__ import annotations

import supervision


def test_the_public_exports_are_exactly_these() -> None:
    assert set(supervision.__all__) == {
        "EXIT_ESCALATED", "EXIT_OK", "NO_BACKOFF", "ActorSnapshot", "AskTimeout", "Backoff",
        "BackoffPolicy", "Binding", "ChildSpec", "ChildUnavailable", "Clock", "Down",
        "DownReason", "Escalation", "FailureInfo", "FaultInjectionOff", "FaultKind",
        "HandlerAborted", "IncarnationHung", "InjectFault", "InjectedCrash", "Jitter",
        "LatencyHistogram", "LoopNotRunning", "ManualClock", "RestartType", "SpecError",
        "StartTimedOut", "Strategy", "SupervisedActor", "SupervisionError", "SupervisionTree",
        "SupervisorSpec", "SystemClock", "Tagged", "TreeThread", "TrioLoop",
        "run_until_signalled", "snapshot_from_dict", "snapshot_to_dict", "snapshot_to_json",
        "status_from_dict", "status_to_dict", "status_type",
        "validators",
    }  # fmt: skip


def test_every_export_is_public_and_importable() -> None:
    for name in supervision.__all__:
        value = getattr(supervision, name)
        module = getattr(value, "__module__", "supervision")
        assert module.startswith(("supervision", "builtins", "typing")), (name, module)


def test_errors_form_one_hierarchy_with_the_builtin_they_resemble() -> None:
    assert issubclass(supervision.SpecError, ValueError)
    assert issubclass(supervision.AskTimeout, TimeoutError)
    for error in (
        supervision.SpecError,
        supervision.ChildUnavailable,
        supervision.AskTimeout,
        supervision.HandlerAborted,
        supervision.Escalation,
        supervision.IncarnationHung,
        supervision.StartTimedOut,
        supervision.InjectedCrash,
        supervision.FaultInjectionOff,
    ):
        assert issubclass(error, supervision.SupervisionError)
