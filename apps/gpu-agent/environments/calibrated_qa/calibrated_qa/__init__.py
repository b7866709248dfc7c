"""calibrated-qa: the seed's BoolQ calibration environment for prime-rl / verifiers.

Two API generations, one package:
- verifiers v0 (prime-rl v0.4.0, v0.6.0): `vf.load_environment("calibrated-qa", **args)` imports
  this module and calls `load_environment(**args)`;
- verifiers v1 (prime-rl main): the loader takes the one Taskset subclass exported through
  `__all__`, CalibratedQATaskset, resolved lazily below because only v1 has `verifiers.v1`.

Importing it needs neither verifiers nor datasets; only load_environment() and the taskset do.
"""

from __future__ import annotations

from typing import Any

from .environment import load_environment

__all__ = ["load_environment", "INSTRUCTIONS", "CalibratedQATaskset"]
__version__ = "0.4.0"


def __getattr__(name: str) -> Any:
    # The seed's launcher checked that the installed module exposes INSTRUCTIONS; resolving
    # it lazily from the packaged template also proves the wheel carries its prompts.
    if name == "INSTRUCTIONS":
        from .prompts import load_template

        return load_template().instructions
    if name == "CalibratedQATaskset":
        # An ImportError here (verifiers v0 has no v1 module) propagates: the v1 loader's
        # getattr() must fail loudly, not see "no taskset exported".
        from .taskset import CalibratedQATaskset

        return CalibratedQATaskset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
