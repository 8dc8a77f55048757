"""warden's configuration: TOML structured by cattrs into frozen attrs classes.

Every section is a frozen class with one validator per field. Loading is
strict: an unknown key, a wrong type (no silent ``"5"`` → 5 or 1.5 → 1) or an
out-of-range value raises :class:`ConfigError`, whose message names the full
key path (``risk.max_total_exposure_cents = -1: must be an integer >= 1``).
docs/configuration.md lists every key, its default and its range; a test keeps
the two in step.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import cattrs

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "default.toml"


class ConfigError(ValueError):
    """The configuration is unusable; ``problems`` lists each bad key with its path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class _FieldError(ValueError):
    """Raised by a field validator; the loader prefixes the section path."""

    def __init__(self, field: str, value: object, rule: str) -> None:
        self.field = field
        super().__init__(f"{field} = {value!r}: {rule}")


def _int_range(low: int, high: int | None = None) -> Callable[[Any, Any, Any], None]:
    rule = f"must be an integer >= {low}" + (f" and <= {high}" if high is not None else "")

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is not int or value < low or (high is not None and value > high):
            raise _FieldError(attribute.name, value, rule)

    return check


def _seconds(low: float = 0.0, *, inclusive: bool = False) -> Callable[[Any, Any, Any], None]:
    rule = f"must be a finite number of seconds {'>=' if inclusive else '>'} {low}"

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        ok = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and (value >= low if inclusive else value > low)
        )
        if not ok:
            raise _FieldError(attribute.name, value, rule)

    return check


def _url(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not (value == "" or value.startswith(("http://", "https://"))):
        raise _FieldError(
            attribute.name, value, 'must be "" (embedded simulator) or an http(s) URL'
        )


def _path(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _FieldError(attribute.name, value, "must be a non-empty path")


def _choice(*allowed: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in allowed:
            raise _FieldError(attribute.name, value, f"must be one of {list(allowed)}")

    return check


def _flag(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not bool:
        raise _FieldError(attribute.name, value, "must be true or false")


@attrs.frozen
class DaemonSection:
    db: str = attrs.field(default="var/warden.db", validator=_path)
    runtime_dir: str = attrs.field(default="var", validator=_path)
    status_interval_s: float = attrs.field(default=5.0, validator=_seconds())
    shutdown_timeout_s: float = attrs.field(default=10.0, validator=_seconds())
    log_json: bool = attrs.field(default=False, validator=_flag)
    dry_run: bool = attrs.field(default=False, validator=_flag)
    intent_sync: str = attrs.field(default="full", validator=_choice("full", "normal"))


@attrs.frozen
class VenueSection:
    """``url = ""`` starts the simulated venue in-process on an ephemeral loopback port."""

    url: str = attrs.field(default="", validator=_url)
    seed: int = attrs.field(default=1, validator=_int_range(0))
    markets: int = attrs.field(default=3, validator=_int_range(1, 50))
    opportunity_every_s: float = attrs.field(default=2.0, validator=_seconds())
    opportunity_lifetime_s: float = attrs.field(default=1.0, validator=_seconds())


@attrs.frozen
class FeedSection:
    stale_after_s: float = attrs.field(default=5.0, validator=_seconds())
    silence_timeout_s: float = attrs.field(default=3.0, validator=_seconds())
    max_overlap_cents: int = attrs.field(default=20, validator=_int_range(0, 99))
    reconnect_base_s: float = attrs.field(default=0.1, validator=_seconds())
    reconnect_cap_s: float = attrs.field(default=5.0, validator=_seconds())


@attrs.frozen
class StrategySection:
    min_edge_cents: int = attrs.field(default=1, validator=_int_range(1))
    max_count: int = attrs.field(default=10, validator=_int_range(1, 10_000))
    max_book_age_s: float = attrs.field(default=1.0, validator=_seconds())
    repeat_after_s: float = attrs.field(default=1.0, validator=_seconds(inclusive=True))


@attrs.frozen
class RiskSection:
    max_market_exposure_cents: int = attrs.field(default=5_000, validator=_int_range(1))
    max_total_exposure_cents: int = attrs.field(default=20_000, validator=_int_range(1))
    max_concurrent_markets: int = attrs.field(default=5, validator=_int_range(1))
    max_daily_loss_cents: int = attrs.field(default=5_000, validator=_int_range(1))
    breaker_failures: int = attrs.field(default=5, validator=_int_range(1))
    breaker_window_s: float = attrs.field(default=10.0, validator=_seconds())
    breaker_cooldown_s: float = attrs.field(default=5.0, validator=_seconds())
    breaker_half_open_max: int = attrs.field(default=1, validator=_int_range(1))


@attrs.frozen
class ExecutionSection:
    request_timeout_s: float = attrs.field(default=2.0, validator=_seconds())
    max_retries: int = attrs.field(default=3, validator=_int_range(0, 20))
    retry_base_s: float = attrs.field(default=0.05, validator=_seconds())
    retry_cap_s: float = attrs.field(default=1.0, validator=_seconds())
    orders_per_second: float = attrs.field(default=20.0, validator=_seconds())


@attrs.frozen
class SupervisionSection:
    intensity: int = attrs.field(default=5, validator=_int_range(0))
    period_s: float = attrs.field(default=30.0, validator=_seconds())
    backoff_base_s: float = attrs.field(default=0.1, validator=_seconds(inclusive=True))
    backoff_cap_s: float = attrs.field(default=5.0, validator=_seconds(inclusive=True))
    hang_timeout_s: float = attrs.field(default=10.0, validator=_seconds())


@attrs.frozen
class Config:
    daemon: DaemonSection = attrs.field(factory=DaemonSection)
    venue: VenueSection = attrs.field(factory=VenueSection)
    feed: FeedSection = attrs.field(factory=FeedSection)
    strategy: StrategySection = attrs.field(factory=StrategySection)
    risk: RiskSection = attrs.field(factory=RiskSection)
    execution: ExecutionSection = attrs.field(factory=ExecutionSection)
    supervision: SupervisionSection = attrs.field(factory=SupervisionSection)

    def __attrs_post_init__(self) -> None:
        total = self.risk.max_total_exposure_cents
        if self.risk.max_market_exposure_cents > total:
            raise _FieldError(
                "risk.max_market_exposure_cents",
                self.risk.max_market_exposure_cents,
                f"must not exceed risk.max_total_exposure_cents ({total})",
            )
        if self.supervision.backoff_cap_s < self.supervision.backoff_base_s:
            raise _FieldError(
                "supervision.backoff_cap_s",
                self.supervision.backoff_cap_s,
                f"must be >= supervision.backoff_base_s ({self.supervision.backoff_base_s})",
            )


def _strict(kind: type, name: str) -> Callable[[Any, type], Any]:
    def structure(value: Any, _type: type) -> Any:
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = type(value) is kind
        if not ok:
            raise TypeError(f"expected {name}, got {type(value).__name__} {value!r}")
        return value

    return structure


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(int, _strict(int, "an integer"))
    converter.register_structure_hook(float, _strict(float, "a number"))
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    return converter


def _describe(exc: BaseException, _type: Any) -> str:
    if isinstance(exc, _FieldError | TypeError):
        return str(exc)
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown key(s) {sorted(exc.extra_fields)}"
    if isinstance(exc, KeyError):
        return f"missing key {exc}"
    return f"{type(exc).__name__}: {exc}"


def parse_config(data: dict[str, Any], *, source: str = "<config>") -> Config:
    """Structure a parsed TOML document; raises :class:`ConfigError` naming every bad key."""
    try:
        return _converter().structure(data, Config)
    except (cattrs.BaseValidationError, _FieldError) as exc:
        if isinstance(exc, _FieldError):
            raise ConfigError(source, [str(exc)]) from None
        problems = cattrs.transform_error(exc, path="", format_exception=_describe)
        raise ConfigError(source, [_tidy(p) for p in problems]) from None


def _tidy(problem: str) -> str:
    """'max_x = -1: rule @ .risk' -> 'risk.max_x = -1: rule'; '... @ ' -> top level."""
    message, _, where = problem.rpartition(" @ ")
    where = where.lstrip(".")
    if not message:
        return problem
    if message.startswith("unknown key"):
        return f"{message} in [{where}]" if where else f"{message} at the top level"
    if message.startswith("expected "):
        return f"{where}: {message}"
    return f"{where}.{message}" if where and not message.startswith(where) else message


def load_config(path: Path) -> Config:
    """Read and validate ``path``. Raises :class:`ConfigError` (unreadable file, bad
    TOML with its line, or bad keys with their paths)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_config(data, source=str(path))


def config_reference() -> list[tuple[str, object]]:
    """Every key as ``(section.key, default)``, in declaration order (for docs and tests)."""
    attrs.resolve_types(Config)
    rows: list[tuple[str, object]] = []
    for section in attrs.fields(Config):
        section_type: Any = section.type  # a resolved attrs class: every section is one
        attrs.resolve_types(section_type)
        rows.extend((f"{section.name}.{f.name}", f.default) for f in attrs.fields(section_type))
    return rows
