"""warden: the application — daemon wiring, control plane, CLI, chaos harness, simulated venue.

Imports flow one way: ``warden -> actors -> supervision``.
"""

__version__ = "0.1.0"
