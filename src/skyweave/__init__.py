"""Skyweave: an open simulator for coalition air and missile defence exercises and analysis.

Every parameter is notional and generic. See ``docs/`` and the README.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skyweave")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
