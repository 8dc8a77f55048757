# warden developer recipes. `just setup` once, then `just test`.

venv := ".venv"
py := venv / "bin/python"

# Create .venv and install warden with its dev tools.
setup:
    python3 -m venv {{venv}}
    {{py}} -m pip install -q --upgrade pip
    {{py}} -m pip install -q -e '.[dev]'

# Run the supervised daemon on its embedded default (simulated venue + SQLite).
run *ARGS:
    {{venv}}/bin/warden run {{ARGS}}

# Run the whole test suite.
test *ARGS:
    {{py}} -m pytest {{ARGS}}

# Lint and type-check.
lint:
    {{py}} -m ruff check .
    {{py}} -m ruff format --check .
    {{py}} -m mypy

# Print benchmark figures next to same-run baselines.
bench:
    {{py}} benchmarks/runtime.py

# A long chaos run: 10 minutes of high-intensity faults, then the invariant checks.
# Exit 0 every invariant held, 1 one was violated, 2 harness error or undecided; report in var/chaos/
chaos *ARGS:
    {{venv}}/bin/warden chaos run --duration 600 --intensity high {{ARGS}}
