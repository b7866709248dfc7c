"""calibrated-qa: the seed's BoolQ calibration environment for prime-rl / verifiers.

prime-rl v0.4 calls `vf.load_environment("calibrated-qa", **args)`, which imports this module
(`calibrated_qa`) and calls `load_environment(**args)`. Importing it needs neither verifiers
nor datasets; only load_environment() does.
"""

from __future__ import annotations

from typing import Any

from .environment import load_environment

__all__ = ["load_environment", "INSTRUCTIONS"]
__version__ = "0.3.0"


def __getattr__(name: str) -> Any:
    # The seed's launcher checked that the installed module exposes INSTRUCTIONS; resolving
    # it lazily from the packaged template also proves the wheel carries its prompts.
    if name == "INSTRUCTIONS":
        from .prompts import load_template

        return load_template().instructions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
