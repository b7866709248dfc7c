"""A minimal stand-in for `verifiers.v1` (verifiers a60a606, the one prime-rl 559b447 pins).

Only what calibrated_qa.taskset uses, and what prime-rl's env server does with it, is modelled:
TaskData / TaskConfig / TasksetConfig as pydantic-like models (TaskData ignores unknown fields,
configs forbid them, as pydantic_config's BaseConfig does), Task and Taskset as generics, the
`reward` and `stop` decorators, a trace with `assistant_messages` and `num_turns`, and the
loader that picks the one Taskset subclass a package exports through `__all__`
(verifiers/v1/utils/loaders.py). Standard library only: the fake prime-rl fixture loads this
file too, to run the real taskset code path without verifiers installed.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import inspect
import sys
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

_REQUIRED = object()
_SCALARS: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


class FakeValidationError(ValueError):
    """pydantic's ValidationError, reduced to its message."""


def _fields(cls: type) -> dict[str, tuple[str, Any]]:
    """name -> (annotation text, default) over the class and its bases, bases first."""
    out: dict[str, tuple[str, Any]] = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        for name, annotation in inspect.get_annotations(klass).items():
            if name.startswith("_"):
                continue
            out[name] = (str(annotation), klass.__dict__.get(name, _REQUIRED))
    return out


def _type_ok(annotation: str, value: Any) -> bool:
    """Checks the plain annotations the taskset uses (`int`, `str | None`, …); others pass."""
    parts = [part.strip() for part in annotation.split("|")]
    if value is None:
        return "None" in parts
    known = [_SCALARS[part] for part in parts if part in _SCALARS]
    if len(known) != len([p for p in parts if p != "None"]):
        return True
    if isinstance(value, bool) and "bool" not in parts:
        return False
    return any(isinstance(value, kinds) for kinds in known)


class FakeModel:
    _forbid_extra = False

    def __init__(self, **data: Any) -> None:
        fields = _fields(type(self))
        problems = [f"{name}: Extra inputs are not permitted" for name in data if name not in fields and self._forbid_extra]
        for name, (annotation, default) in fields.items():
            if name in data:
                value = data[name]
                if not _type_ok(annotation, value):
                    problems.append(f"{name}: Input should be {annotation} (got {value!r})")
            elif default is _REQUIRED:
                problems.append(f"{name}: Field required")
                value = None
            else:
                value = copy.deepcopy(default)
            setattr(self, name, value)
        if problems:
            noun = "error" if len(problems) == 1 else "errors"
            raise FakeValidationError(f"{len(problems)} validation {noun} for {type(self).__name__}\n" + "\n".join(problems))

    def model_dump(self) -> dict[str, Any]:
        dumped = {}
        for name in _fields(type(self)):
            value = getattr(self, name)
            dumped[name] = value.model_dump() if isinstance(value, FakeModel) else copy.deepcopy(value)
        return dumped


class TaskData(FakeModel):
    idx: int | None = None
    prompt: Any = None
    system_prompt: str | None = None


class TaskConfig(FakeModel):
    _forbid_extra = True
    judges: list = []
    stops: dict = {}
    metrics: dict = {}


class TasksetConfig(FakeModel):
    _forbid_extra = True
    id: str = ""
    task: Any = None
    system_prompt: str | None = None

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        if self.task is None:
            self.task = TaskConfig()
        elif isinstance(self.task, dict):
            self.task = TaskConfig(**self.task)


class _Generic:
    """`Task[Data]`, `Taskset[Task, Config]`: a subclass that remembers its parameters."""

    _vf_params: tuple[Any, ...] = ()

    def __class_getitem__(cls, params: Any) -> type:
        params = params if isinstance(params, tuple) else (params,)
        return type(f"{cls.__name__}[{', '.join(getattr(p, '__name__', str(p)) for p in params)}]", (cls,), {"_vf_params": params})


def _mark(kind: str, **attrs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func._vf_hook = kind  # type: ignore[attr-defined]
        for name, value in attrs.items():
            setattr(func, name, value)
        return func

    return decorate


def reward(func: Callable[..., Any] | None = None, weight: float = 1.0, priority: int = 0) -> Any:
    decorator = _mark("reward", _vf_weight=weight)
    return decorator if func is None else decorator(func)


def stop(func: Callable[..., Any] | None = None, priority: int = 0) -> Any:
    decorator = _mark("stop")
    return decorator if func is None else decorator(func)


@dataclass
class AssistantMessage:
    content: Any
    role: str = "assistant"


@dataclass
class Trace:
    """What a reward sees: the sampled assistant messages (one per turn), and the scores."""

    assistant_messages: list[AssistantMessage]
    rewards: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def num_turns(self) -> int:
        return len(self.assistant_messages)

    @property
    def reward(self) -> float:
        return sum(score * weight for score, weight in self.rewards.values())


def hook_boundary(handler: Callable[..., Any]) -> type:
    """session.hook_boundary for a trace hook: exactly one parameter annotated Trace, resolved
    from the annotation (a stop annotated Any, or not at all, is refused when a rollout starts)."""
    hints = typing.get_type_hints(handler)
    annotations = [hints[name] for name in inspect.signature(handler).parameters if name in hints]
    if annotations.count(Trace) != 1:
        raise TypeError(f"{handler.__name__} must have exactly one Request, Response, or Trace parameter")
    return Trace


class Task(_Generic):
    def __init__(self, data: TaskData, config: TaskConfig | None = None) -> None:
        self.data = data
        self.config = config if config is not None else TaskConfig()

    def hooks(self, kind: str) -> list[Callable[..., Any]]:
        return [
            getattr(self, name)
            for name in dir(type(self))
            if getattr(getattr(type(self), name, None), "_vf_hook", None) == kind
        ]

    async def score(self, trace: Trace) -> None:
        """Task.score: every reward by name, with its weight, onto the trace."""
        for fn in self.hooks("reward"):
            trace.rewards[fn.__name__] = (await fn(trace=trace), fn._vf_weight)

    async def should_stop(self, trace: Trace) -> bool:
        stops = [fn for fn in self.hooks("stop") if hook_boundary(fn) is Trace]
        return any([await fn(trace=trace) for fn in stops])


class Taskset(_Generic):
    def __init__(self, config: TasksetConfig) -> None:
        self.config = config

    def __iter__(self):
        return iter(self.load())

    @classmethod
    def config_type(cls) -> type:
        params = cls._vf_params
        return params[1] if len(params) > 1 else TasksetConfig


def taskset_class(taskset_id: str) -> type:
    """loaders.taskset_class: import the id's module, take the one Taskset in its `__all__`."""
    module = importlib.import_module(taskset_id.rsplit("/", 1)[-1].split("@", 1)[0].replace("-", "_").lower())
    names = getattr(module, "__all__", None)
    if names is None:
        raise AttributeError(f"taskset module {module.__name__!r} defines no `__all__`")
    matches = [
        obj
        for name in names
        if isinstance(obj := getattr(module, name, None), type) and issubclass(obj, Taskset) and obj is not Taskset
    ]
    if len(matches) != 1:
        raise TypeError(f"taskset module {module.__name__!r} exports {len(matches)} Taskset subclasses via `__all__`")
    return matches[0]


def load_taskset(taskset_id: str, fields: dict[str, Any]) -> Taskset:
    """What the env server does with `[env.taskset]`: narrow the config to the taskset's type by
    its id, validate the other keys against it, construct the taskset."""
    cls = taskset_class(taskset_id)
    return cls(cls.config_type()(id=taskset_id, **fields))


def score_sync(task: Task, completion_texts: list[str]) -> Trace:
    """Score one rollout whose model said `completion_texts` (one message per turn). Its stop
    hooks are classified first, as a rollout's start does (rollout.py)."""
    for fn in task.hooks("stop"):
        hook_boundary(fn)
    trace = Trace([AssistantMessage(text) for text in completion_texts])
    asyncio.run(task.score(trace))
    return trace


def module() -> types.ModuleType:
    mod = types.ModuleType("verifiers.v1")
    for name in (
        "TaskData", "TaskConfig", "TasksetConfig", "Task", "Taskset", "Trace", "AssistantMessage",
        "reward", "stop", "taskset_class", "load_taskset", "hook_boundary", "FakeValidationError",
    ):
        setattr(mod, name, globals()[name])
    return mod


def install() -> types.ModuleType:
    """Put `verifiers` (with no v0 API) and `verifiers.v1` into sys.modules; returns v1."""
    v1 = module()
    parent = sys.modules.get("verifiers") or types.ModuleType("verifiers")
    parent.v1 = v1  # type: ignore[attr-defined]
    sys.modules["verifiers"] = parent
    sys.modules["verifiers.v1"] = v1
    return v1
