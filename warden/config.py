"""warden's configuration: TOML structured by cattrs into frozen attrs classes.

Every section is a frozen class with one validator per field. Loading is
strict: an unknown key, a wrong type (no silent ``"5"`` → 5 or 1.5 → 1) or an
out-of-range value raises :class:`ConfigError`, whose message names the full
key path (``risk.max_total_exposure_cents = -1: must be an integer >= 1``).
Every key is checked before anything is reported, so one :class:`ConfigError`
lists every bad key of every section, and the rules that relate two keys.

Paths (``daemon.db``, ``daemon.runtime_dir``) are made absolute when loaded:
relative to the directory of the config file, or to the current directory for
the built-in defaults. :func:`check_daemon_paths` checks them against the
filesystem (``warden check-config``) or prepares them (``warden run``).

docs/configuration.md lists every key, its default and its range; a test keeps
the two in step.
"""

from __future__ import annotations

import errno
import operator
import os
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeAlias, TypeGuard

import attrs
import cattrs

from supervision import validators

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "default.toml"

RawTable: TypeAlias = Mapping[str, object]
"""A TOML table as ``tomllib`` parsed it (or a test wrote it): values not yet checked;
the loader narrows each one before it builds a section."""


class ConfigError(ValueError):
    """The configuration is unusable; ``problems`` lists each bad key with its path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@attrs.frozen
class _Rule:
    """A rule between two keys of one section: ``holds(section.key, section.other)``."""

    section: str
    key: str
    other: str
    holds: Callable[[float, float], bool]
    wording: str  # "must not exceed"

    def broken(self, values: RawTable) -> str | None:
        """The problem (full key path) if the rule fails on ``values`` (or either value
        is not a number), else None."""
        value, other = values[self.key], values[self.other]
        if _number(value) and _number(other) and self.holds(value, other):
            return None
        where = f"{self.section}.{self.key} = {value!r}"
        return f"{where}: {self.wording} {self.section}.{self.other} ({other!r})"


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float)


def _enforce(section: object, rules: tuple[_Rule, ...]) -> None:
    """Raise :class:`ValueError` listing each broken rule (for direct construction)."""
    values = attrs.asdict(section)  # type: ignore[arg-type]
    problems = [problem for rule in rules if (problem := rule.broken(values)) is not None]
    if problems:
        raise ValueError("; ".join(problems))


# Each field's rule is a generic one of supervision.validators; it raises FieldError,
# which the loader turns into "section.key = value: rule".
_positive_s = validators.seconds(0.0)
_non_negative_s = validators.seconds(0.0, inclusive=True)
_http = validators.url("http", "https")
_url = validators.rule(
    lambda v: v == "" or _http.check(v),
    f'must be "" (embedded simulator) or {_http.wording.removeprefix("must be ")}',
)
_path = validators.text("path")
_flag = validators.flag()


@attrs.frozen
class DaemonSection:
    """``db`` and ``runtime_dir`` are absolute once loaded (see :func:`parse_config`)."""

    db: str = attrs.field(default="var/warden.db", validator=_path)
    runtime_dir: str = attrs.field(default="var", validator=_path)
    status_interval_s: float = attrs.field(default=5.0, validator=_positive_s)
    shutdown_timeout_s: float = attrs.field(default=10.0, validator=_positive_s)
    log_json: bool = attrs.field(default=False, validator=_flag)
    dry_run: bool = attrs.field(default=False, validator=_flag)
    intent_sync: str = attrs.field(default="full", validator=validators.choice("full", "normal"))


@attrs.frozen
class VenueSection:
    """``url = ""`` starts the simulated venue in-process on an ephemeral loopback port."""

    url: str = attrs.field(default="", validator=_url)
    seed: int = attrs.field(default=1, validator=validators.integer(0))
    markets: int = attrs.field(default=3, validator=validators.integer(1, 50))
    opportunity_every_s: float = attrs.field(default=2.0, validator=_positive_s)
    opportunity_lifetime_s: float = attrs.field(default=1.0, validator=_positive_s)


@attrs.frozen
class FeedSection:
    stale_after_s: float = attrs.field(default=5.0, validator=_positive_s)
    silence_timeout_s: float = attrs.field(default=3.0, validator=_positive_s)
    max_overlap_cents: int = attrs.field(default=20, validator=validators.integer(0, 99))
    reconnect_base_s: float = attrs.field(default=0.1, validator=_positive_s)
    reconnect_cap_s: float = attrs.field(default=5.0, validator=_positive_s)


@attrs.frozen
class StrategySection:
    min_edge_cents: int = attrs.field(default=1, validator=validators.integer(1))
    max_count: int = attrs.field(default=10, validator=validators.integer(1, 10_000))
    max_book_age_s: float = attrs.field(default=1.0, validator=_positive_s)
    repeat_after_s: float = attrs.field(default=1.0, validator=_non_negative_s)


@attrs.frozen
class RiskSection:
    max_market_exposure_cents: int = attrs.field(default=5_000, validator=validators.integer(1))
    max_total_exposure_cents: int = attrs.field(default=20_000, validator=validators.integer(1))
    max_concurrent_markets: int = attrs.field(default=5, validator=validators.integer(1))
    max_daily_loss_cents: int = attrs.field(default=5_000, validator=validators.integer(1))
    breaker_failures: int = attrs.field(default=5, validator=validators.integer(1))
    breaker_window_s: float = attrs.field(default=10.0, validator=_positive_s)
    breaker_cooldown_s: float = attrs.field(default=5.0, validator=_positive_s)
    breaker_half_open_max: int = attrs.field(default=1, validator=validators.integer(1))

    def __attrs_post_init__(self) -> None:
        _enforce(self, _RULES[RiskSection])


@attrs.frozen
class ExecutionSection:
    request_timeout_s: float = attrs.field(default=2.0, validator=_positive_s)
    max_retries: int = attrs.field(default=3, validator=validators.integer(0, 20))
    retry_base_s: float = attrs.field(default=0.05, validator=_positive_s)
    retry_cap_s: float = attrs.field(default=1.0, validator=_positive_s)
    orders_per_second: float = attrs.field(default=20.0, validator=validators.number(0.0))


@attrs.frozen
class LedgerSection:
    """How risk and execution write to the ledger, each through its ledger client
    (:class:`actors.ledger_client.LedgerClient`): how long a Record may go unanswered
    before it counts as failed (trading halts, fail closed), and the full-jitter
    backoff before what failed Records lost is written again."""

    record_timeout_s: float = attrs.field(default=10.0, validator=_positive_s)
    retry_base_s: float = attrs.field(default=0.5, validator=_positive_s)
    retry_cap_s: float = attrs.field(default=10.0, validator=_positive_s)

    def __attrs_post_init__(self) -> None:
        _enforce(self, _RULES[LedgerSection])


@attrs.frozen
class SupervisionSection:
    intensity: int = attrs.field(default=5, validator=validators.integer(0))
    period_s: float = attrs.field(default=30.0, validator=_positive_s)
    backoff_base_s: float = attrs.field(default=0.1, validator=_non_negative_s)
    backoff_cap_s: float = attrs.field(default=5.0, validator=_non_negative_s)
    hang_timeout_s: float = attrs.field(default=10.0, validator=_positive_s)

    def __attrs_post_init__(self) -> None:
        _enforce(self, _RULES[SupervisionSection])


_RULES: dict[type, tuple[_Rule, ...]] = {
    RiskSection: (
        _Rule(
            "risk",
            "max_market_exposure_cents",
            "max_total_exposure_cents",
            operator.le,
            "must not exceed",
        ),
    ),
    LedgerSection: (_Rule("ledger", "retry_cap_s", "retry_base_s", operator.ge, "must be >="),),
    SupervisionSection: (
        _Rule("supervision", "backoff_cap_s", "backoff_base_s", operator.ge, "must be >="),
    ),
}


@attrs.frozen
class Config:
    """The whole configuration; each rule relating two keys lives in their section."""

    daemon: DaemonSection = attrs.field(factory=DaemonSection)
    venue: VenueSection = attrs.field(factory=VenueSection)
    feed: FeedSection = attrs.field(factory=FeedSection)
    strategy: StrategySection = attrs.field(factory=StrategySection)
    risk: RiskSection = attrs.field(factory=RiskSection)
    execution: ExecutionSection = attrs.field(factory=ExecutionSection)
    ledger: LedgerSection = attrs.field(factory=LedgerSection)
    supervision: SupervisionSection = attrs.field(factory=SupervisionSection)


def _strict(kind: type, name: str) -> Callable[[object, type], object]:
    def structure(value: object, _type: type) -> object:
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = type(value) is kind
        if not ok:
            raise TypeError(f"expected {name}, got {type(value).__name__} {value!r}")
        return value

    return structure


_HOOKS: dict[type, Callable[[object, type], object]] = {
    int: _strict(int, "an integer"),
    float: _strict(float, "a number"),
    str: _strict(str, "a string"),
    bool: _strict(bool, "true or false"),
}


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    for kind, hook in _HOOKS.items():
        converter.register_structure_hook(kind, hook)
    return converter


def _section_types() -> list[tuple[str, type]]:
    attrs.resolve_types(Config)
    return [(field.name, field.type) for field in attrs.fields(Config)]  # type: ignore[misc]


def _section_problems(name: str, section_type: type, raw: RawTable) -> list[str]:
    """Every bad key of one section: unknown keys, each field's type and range, then
    each rule between two keys that are both valid (given or defaulted)."""
    attrs.resolve_types(section_type)
    fields = attrs.fields(section_type)
    problems = []
    unknown = sorted(set(raw) - {field.name for field in fields})
    if unknown:
        problems.append(f"unknown key(s) {unknown} in [{name}]")
    valid: dict[str, object] = {}
    for field in fields:
        if field.name not in raw:
            valid[field.name] = field.default
            continue
        value = raw[field.name]
        try:
            _HOOKS[field.type](value, field.type)
            if field.validator is not None:
                field.validator(None, field, value)
        except TypeError as error:
            problems.append(f"{name}.{field.name}: {error}")
        except validators.FieldError as error:
            problems.append(f"{name}.{field.name} = {value!r}: {error.rule}")
        else:
            valid[field.name] = value
    for rule in _RULES.get(section_type, ()):
        if rule.key in valid and rule.other in valid:
            broken = rule.broken(valid)
            if broken is not None:
                problems.append(broken)
    return problems


def _structure_problems(name: str, section_type: type, raw: RawTable) -> list[str]:
    """Every problem found in ``raw`` as section ``name`` (none: cattrs builds it)."""
    problems = _section_problems(name, section_type, raw)
    if problems:
        return problems
    try:
        _converter().structure(raw, section_type)
    except cattrs.BaseValidationError as error:  # a check above missed it: still one line
        return [f"{name}: {leaf}" for leaf in error.exceptions]
    return []


def _table_problem(name: str, raw: object) -> str:
    return f"{name}: must be a table ([{name}] with keys), got {type(raw).__name__} {raw!r}"


def _absolute(path: str, base_dir: Path) -> str:
    return os.path.normpath(base_dir.absolute() / path)


def _with_absolute_paths(daemon: DaemonSection, base_dir: Path) -> DaemonSection:
    return attrs.evolve(
        daemon,
        db=_absolute(daemon.db, base_dir),
        runtime_dir=_absolute(daemon.runtime_dir, base_dir),
    )


def _build(data: RawTable, base_dir: Path) -> tuple[Config | None, list[str], dict[str, str]]:
    """Check every key of ``data``; return the config (None if anything is bad), every
    problem, and the daemon's path keys that are valid on their own, made absolute
    (so the filesystem can be checked even when another key is bad)."""
    problems: list[str] = []
    sections = _section_types()
    unknown = sorted(set(data) - {name for name, _ in sections})
    if unknown:
        problems.append(f"unknown key(s) {unknown} at the top level")
    for name, section_type in sections:
        raw = data.get(name, {})
        if not isinstance(raw, dict):
            problems.append(_table_problem(name, raw))
            continue
        problems.extend(_structure_problems(name, section_type, raw))
    paths = _valid_paths(data.get("daemon", {}), base_dir)
    if problems:
        return None, problems, paths
    # every section is valid on its own, so the whole document structures as one
    config = _converter().structure(data, Config)
    return attrs.evolve(config, daemon=_with_absolute_paths(config.daemon, base_dir)), [], paths


def _valid_paths(raw: object, base_dir: Path) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    defaults = DaemonSection()
    valid = {}
    for key in ("db", "runtime_dir"):
        value = raw.get(key, getattr(defaults, key))
        if isinstance(value, str) and value.strip():
            valid[f"daemon.{key}"] = _absolute(value, base_dir)
    return valid


def parse_config(
    data: RawTable, *, source: str = "<config>", base_dir: Path | None = None
) -> Config:
    """Structure a parsed TOML document; raises :class:`ConfigError` naming every bad key.

    Relative paths resolve against ``base_dir`` (the current directory if None);
    the returned config holds absolute, normalised paths.
    """
    config, problems, _ = _build(data, base_dir if base_dir is not None else Path.cwd())
    if config is None:
        raise ConfigError(source, problems)
    return config


def _read_toml(path: Path) -> RawTable:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read: {exc.strerror}"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None


def load_config(path: Path) -> Config:
    """Read and validate ``path``; relative paths in it resolve against its directory.

    Raises :class:`ConfigError` (unreadable file, bad TOML with its line, or every
    bad key with its path). Nothing on disk is checked or created.
    """
    return parse_config(_read_toml(path), source=str(path), base_dir=path.parent)


def resolve_run_config(path: Path | None) -> Config:
    """The config ``warden run`` uses: ``path`` if given, else ``config/default.toml``
    of the installation if it exists, else the built-in defaults (paths relative
    to the current directory). Raises :class:`ConfigError`.

    Every command that must find what ``run`` writes (the ledger, the runtime
    file in ``daemon.runtime_dir``) calls this with the same ``--config``, so
    the paths agree whatever the current directory.
    """
    if path is not None:
        return load_config(path)
    if DEFAULT_CONFIG.exists():
        return load_config(DEFAULT_CONFIG)
    return parse_config({}, source="built-in defaults")


def check_config_file(path: Path) -> list[str]:
    """Every problem of the config at ``path``: its keys, and its paths against the
    filesystem (as :func:`check_daemon_paths` with ``create=False``; nothing is
    created). An empty list means ``warden run --config path`` would accept it."""
    try:
        data = _read_toml(path)
    except ConfigError as error:
        return error.problems
    _, problems, paths = _build(data, path.parent)
    targets = [(key, Path(value)) for key, value in paths.items()]
    problems.extend(str(problem) for problem in _check_paths(targets, create=False))
    return problems


@attrs.frozen
class PathProblem:
    """A configured path the daemon could not use: which key, where, and the OS's reason."""

    key: str
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.key} {self.path}: {self.reason}"


def check_daemon_paths(
    daemon: DaemonSection, *, create: bool, db_key: str = "daemon.db"
) -> list[PathProblem]:
    """Can the daemon use its ledger (``daemon.db``) and ``daemon.runtime_dir``?

    ``create=True`` (``warden run``): create the runtime directory and the
    ledger's directory if missing, then prove each writable by creating and
    removing a temporary file. ``create=False`` (``warden check-config``):
    change nothing; a missing directory must be creatable (its nearest existing
    ancestor a writable directory), an existing one a writable directory.
    Either way a ledger that exists must be a writable file. Returns every
    problem; ``db_key`` names the ledger in them (``--db`` when overridden).
    """
    targets = [
        ("daemon.runtime_dir", Path(daemon.runtime_dir)),
        (db_key, Path(daemon.db)),
    ]
    return _check_paths(targets, create=create)


def _check_paths(targets: Iterable[tuple[str, Path]], *, create: bool) -> list[PathProblem]:
    problems = []
    for key, path in targets:
        is_ledger = not key.endswith("runtime_dir")
        try:
            reason = _ledger_reason(path, create) if is_ledger else _directory_reason(path, create)
        except OSError as error:  # e.g. a parent we may not even look into
            reason = _os_reason(error, path)
        if reason is not None:
            problems.append(PathProblem(key, path, reason))
    return problems


def _os_reason(error: OSError, path: Path) -> str:
    """``[Errno 13] Permission denied`` (plus the file the OS names, if not ``path``)."""
    text = f"[Errno {error.errno}] {error.strerror}"
    if error.filename is not None and Path(os.fsdecode(error.filename)) != path:
        text += f": {os.fsdecode(error.filename)}"
    return text


def _errno_reason(number: int, where: Path, path: Path) -> str:
    return _os_reason(OSError(number, os.strerror(number), str(where)), path)


def _ledger_reason(db: Path, create: bool) -> str | None:
    if db.is_dir():
        return "is a directory, not a ledger file"
    if db.exists() and not os.access(db, os.R_OK | os.W_OK):
        return f"ledger not writable: {_errno_reason(errno.EACCES, db, db)}"
    directory_reason = _directory_reason(db.parent, create)
    if directory_reason is not None:
        return f"its directory {db.parent}: {directory_reason}"
    return None


def _directory_reason(directory: Path, create: bool) -> str | None:
    if directory.exists():
        if not directory.is_dir():
            return "not a directory (a file is in the way)"
        return _write_probe(directory) if create else _access(directory)
    if create:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            return f"cannot create directory: {_os_reason(error, directory)}"
        return _write_probe(directory)
    return _creatable(directory)


def _creatable(directory: Path) -> str | None:
    """Could ``mkdir -p`` make ``directory``? Its nearest existing ancestor decides."""
    ancestor = directory.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"cannot create directory: {_errno_reason(errno.ENOTDIR, ancestor, directory)}"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"cannot create directory: {_errno_reason(errno.EACCES, ancestor, directory)}"
    return None


def _access(directory: Path) -> str | None:
    if os.access(directory, os.W_OK | os.X_OK):
        return None
    return f"not writable: {_errno_reason(errno.EACCES, directory, directory)}"


def _write_probe(directory: Path) -> str | None:
    """Create and remove a file: the only proof of writability (ACLs, read-only mounts)."""
    try:
        handle, name = tempfile.mkstemp(prefix=".warden-probe-", dir=directory)
    except OSError as error:  # the probe's random name would only add noise
        return f"not writable: [Errno {error.errno}] {error.strerror}"
    os.close(handle)
    Path(name).unlink()
    return None


def config_reference() -> list[tuple[str, object]]:
    """Every key as ``(section.key, default)``, in declaration order (for docs and tests)."""
    rows: list[tuple[str, object]] = []
    for name, section_type in _section_types():
        attrs.resolve_types(section_type)
        rows.extend((f"{name}.{f.name}", f.default) for f in attrs.fields(section_type))
    return rows
