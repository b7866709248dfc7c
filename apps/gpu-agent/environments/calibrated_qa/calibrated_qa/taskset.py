"""The verifiers v1 glue: the taskset prime-rl main's env server loads (it loads no v0 env).

prime-rl main (559b447) resolves `[orchestrator.train.source.env.taskset] id = "calibrated-qa"`
by importing this package and taking the one Taskset subclass it exports through `__all__`
(verifiers/v1/utils/loaders.py at a60a606); the table's other keys are CalibratedQAConfig's
fields, the same arguments v0's load_environment takes. Each scored rollout is logged exactly
as the v0 env logs it (scored_rollout.score_and_log), so the agent's tailing, attribution by
`start_step + index // batch_size` and shipping do not depend on the API generation.

This module imports verifiers.v1 at its top: the package imports it only on demand, so it still
loads under verifiers v0 (prime-rl v0.4.0, v0.6.0).
"""

from __future__ import annotations

import functools
import verifiers.v1 as vf

from .dataset import build_dataset
from .environment import open_rollout_log, penalty_config
from .prompts import DEFAULT_TEMPLATE, PromptTemplate, load_template
from .record import info_dict
from .rollout_log import RolloutLog
from .scored_rollout import score_and_log
from .scoring import LengthPenaltyConfig


class CalibratedQAData(vf.TaskData):
    answer: str
    """The gold label, "true" or "false"."""
    example_id: str
    """The BoolQ item's stable id (dataset.example_id)."""


class CalibratedQATaskConfig(vf.TaskConfig):
    """What a task needs to score and log a rollout; load() fills it from the taskset's config."""

    log_path: str = ""
    batch_size: int | None = None
    start_step: int = 0
    prompt_template: str = DEFAULT_TEMPLATE
    max_tokens: int = 512
    low_fraction: float = 0.2
    high_fraction: float = 0.8


@functools.lru_cache(maxsize=None)
def _scorer(
    log_path: str,
    batch_size: int | None,
    start_step: int,
    prompt_template: str,
    max_tokens: int,
    low_fraction: float,
    high_fraction: float,
) -> tuple[PromptTemplate, LengthPenaltyConfig, RolloutLog]:
    # One per process and configuration: the log opens its files per append, so sharing it is safe.
    return (
        load_template(prompt_template),
        penalty_config(max_tokens, low_fraction, high_fraction),
        RolloutLog(log_path, batch_size=batch_size, start_step=start_step),
    )


def scorer_for(config: CalibratedQATaskConfig) -> tuple[PromptTemplate, LengthPenaltyConfig, RolloutLog]:
    if not getattr(config, "log_path", ""):
        # A task built with another config (a plain TaskConfig) would log nowhere: fail loudly.
        raise ValueError("calibrated-qa tasks need the config their taskset's load() gives them")
    return _scorer(
        config.log_path,
        config.batch_size,
        config.start_step,
        config.prompt_template,
        config.max_tokens,
        config.low_fraction,
        config.high_fraction,
    )


class CalibratedQATask(vf.Task[CalibratedQAData]):
    # The annotations are load-bearing: verifiers picks a stop hook's boundary from its annotated
    # parameter (session.hook_boundary at a60a606), and refuses a hook without one.
    @vf.stop
    async def single_turn(self, trace: vf.Trace) -> bool:
        # One question, one answer: refuse a second turn (as verifiers' reverse_text does).
        return trace.num_turns >= 1

    @vf.reward(weight=1.0)
    async def brier_reward_func(self, trace: vf.Trace) -> float:
        """The seed's reward (1 - Brier plus the length penalty), logged before it is returned.
        The completion is every sampled assistant message, unstripped (trace.last_reply strips)."""
        template, penalty, log = scorer_for(self.config)
        prompt = [{"role": "user", "content": self.data.prompt}]
        return score_and_log(
            template, penalty, log, prompt, trace.assistant_messages, self.data.answer, self.data.example_id
        )


class CalibratedQAConfig(vf.TasksetConfig):
    """`[…env.taskset]` keys besides `id`: load_environment's arguments, same names and defaults."""

    prompt_template: str = DEFAULT_TEMPLATE
    dataset_name: str = "google/boolq"
    dataset_split: str = "train"
    dataset_path: str | None = None
    balance: bool = True
    seed: int = 42
    log_dir: str | None = None
    log_path: str | None = None
    batch_size: int | None = None
    start_step: int = 0
    max_tokens: int = 512
    low_fraction: float = 0.2
    high_fraction: float = 0.8


class CalibratedQATaskset(vf.Taskset[CalibratedQATask, CalibratedQAConfig]):
    def load(self) -> list[CalibratedQATask]:
        c = self.config
        if c.system_prompt is not None:
            # Gemma 2's chat template rejects the system role; the instructions are in the prompt.
            raise ValueError("system_prompt is not supported: instructions go in the user message")
        template = load_template(c.prompt_template)
        penalty_config(c.max_tokens, c.low_fraction, c.high_fraction)  # refuse bad bounds now
        log = open_rollout_log(c.log_path, c.log_dir, c.batch_size, c.start_step)
        task_config = CalibratedQATaskConfig(
            **{
                **c.task.model_dump(),
                "log_path": str(log.path),
                "batch_size": c.batch_size,
                "start_step": c.start_step,
                "prompt_template": c.prompt_template,
                "max_tokens": c.max_tokens,
                "low_fraction": c.low_fraction,
                "high_fraction": c.high_fraction,
            }
        )
        rows = build_dataset(
            template,
            dataset_name=c.dataset_name,
            dataset_split=c.dataset_split,
            dataset_path=c.dataset_path,
            seed=c.seed,
            balanced=c.balance,
        )
        return [
            CalibratedQATask(
                CalibratedQAData(
                    idx=i,
                    prompt=row["question"],
                    answer=row["answer"],
                    example_id=info_dict(row["info"])["example_id"],
                ),
                task_config,
            )
            for i, row in enumerate(rows)
        ]
