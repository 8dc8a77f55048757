"""The trading domain: value types, the five actors and venue adapters.

Built on :mod:`supervision`; never imports :mod:`warden`.
"""
