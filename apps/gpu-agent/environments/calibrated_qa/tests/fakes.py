"""Minimal stand-ins for `datasets` and `verifiers`, injected through sys.modules.

Only what calibrated_qa calls is modelled, and every call is recorded, so the tests can
check the wiring without the real libraries (PyPI is out of reach here).
"""

from __future__ import annotations

import random
import types
from pathlib import Path
from typing import Any, Callable

TESTS_DIR = Path(__file__).resolve().parent
ENV_DIR = TESTS_DIR.parent
REPO_ROOT = TESTS_DIR.parents[4]
FIXTURES = TESTS_DIR / "fixtures"


class FakeDataset:
    """An in-memory, HF-Dataset-shaped list of rows. shuffle is a seeded permutation (not
    numpy's), which is enough to check the seed's sequence of calls."""

    def __init__(self, rows: list[dict[str, Any]], calls: list[str] | None = None):
        self.rows = [dict(r) for r in rows]
        self.calls = calls if calls is not None else []

    @classmethod
    def from_list(cls, rows: list[dict[str, Any]]) -> "FakeDataset":
        return cls(rows)

    @property
    def column_names(self) -> list[str]:
        return list(self.rows[0]) if self.rows else []

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.rows[i]

    def shuffle(self, seed: int) -> "FakeDataset":
        self.calls.append(f"shuffle({seed})")
        rows = list(self.rows)
        random.Random(seed).shuffle(rows)
        return FakeDataset(rows, self.calls)

    def filter(self, fn: Callable[[dict[str, Any]], bool]) -> "FakeDataset":
        self.calls.append("filter")
        return FakeDataset([r for r in self.rows if fn(r)], self.calls)

    def select(self, indices) -> "FakeDataset":
        indices = list(indices)
        self.calls.append(f"select({len(indices)})")
        return FakeDataset([self.rows[i] for i in indices], self.calls)

    def map(self, fn, remove_columns=None) -> "FakeDataset":
        self.calls.append("map")
        out = []
        for r in self.rows:
            new = {k: v for k, v in r.items() if k not in (remove_columns or [])}
            new.update(fn(dict(r)))
            out.append(new)
        return FakeDataset(out, self.calls)


def concatenate(parts: list[FakeDataset]) -> FakeDataset:
    calls = parts[0].calls if parts else []
    calls.append("concatenate")
    return FakeDataset([r for p in parts for r in p.rows], calls)


def fake_datasets_module(hub_rows: list[dict[str, Any]] | None = None) -> types.ModuleType:
    """`datasets` whose load_dataset returns hub_rows (google/boolq shape) and records its args."""
    mod = types.ModuleType("datasets")
    mod.Dataset = FakeDataset
    mod.concatenate_datasets = concatenate
    mod.load_calls = []

    def load_dataset(name: str, split: str) -> FakeDataset:
        mod.load_calls.append((name, split))
        return FakeDataset(hub_rows or [])

    mod.load_dataset = load_dataset
    return mod


class FakeParser:
    pass


class FakeMaybeThinkParser(FakeParser):
    pass


class FakeRubric:
    def __init__(self, funcs=None, weights=None, parser=None):
        self.funcs = list(funcs or [])
        self.weights = list(weights or [])
        self.parser = parser


class FakeSingleTurnEnv:
    def __init__(self, **kwargs):
        self.kwargs = kwargs


def fake_verifiers_module() -> types.ModuleType:
    mod = types.ModuleType("verifiers")
    mod.Parser = FakeParser
    mod.MaybeThinkParser = FakeMaybeThinkParser
    mod.Rubric = FakeRubric
    mod.SingleTurnEnv = FakeSingleTurnEnv
    return mod
