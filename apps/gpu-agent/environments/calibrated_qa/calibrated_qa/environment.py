"""The verifiers glue: what prime-rl's `vf.load_environment("calibrated-qa", **args)` builds.

verifiers and datasets are imported inside the functions, not at module top, so the rest of
the package (scoring, prompts, dataset reading, the log) imports and tests without them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from .dataset import build_dataset
from .prompts import DEFAULT_TEMPLATE, PromptTemplate, load_template
from .record import info_dict
from .rollout_log import RolloutLog, stderr_line
from .scored_rollout import score_and_log
from .scoring import LengthPenaltyConfig

LOG_FILE_NAME = "generations.jsonl"
# The seed's fallbacks when no log location is given.
LOG_DIR_ENV = "CALIBRATED_QA_LOG_DIR"
DEFAULT_LOG_DIR = "/root/outputs/calibrated-qa"


def resolve_log_path(log_path: str | None = None, log_dir: str | None = None) -> Path:
    """log_path (a file) or the seed's log_dir (→ <log_dir>/generations.jsonl), not both."""
    if log_path and log_dir:
        raise ValueError("give log_path or log_dir, not both")
    if log_path:
        return Path(log_path)
    return Path(log_dir or os.environ.get(LOG_DIR_ENV) or DEFAULT_LOG_DIR) / LOG_FILE_NAME


def penalty_config(max_tokens: Any, low_fraction: Any, high_fraction: Any) -> LengthPenaltyConfig:
    """Validated bounds: a high fraction of 1 would divide by zero on a long completion."""
    max_tokens = int(max_tokens) if float(max_tokens).is_integer() else float(max_tokens)
    low, high = float(low_fraction), float(high_fraction)
    if max_tokens <= 0 or not (0.0 <= low <= high < 1.0):
        raise ValueError(
            f"need max_tokens > 0 and 0 <= low_fraction <= high_fraction < 1, got "
            f"{max_tokens}, {low}, {high}"
        )
    return LengthPenaltyConfig(max_tokens=max_tokens, low_fraction=low, high_fraction=high)


def open_rollout_log(
    log_path: str | None, log_dir: str | None, batch_size: int | None, start_step: int
) -> RolloutLog:
    """The attributed rollout log, with a warning when it already holds records."""
    log = RolloutLog(resolve_log_path(log_path, log_dir), batch_size=batch_size, start_step=start_step)
    if batch_size is not None and log.path.exists() and log.path.stat().st_size > 0:
        stderr_line(
            f"{log.path} already holds records: index continues after them, so step = "
            f"start_step + index // batch_size is only right with a fresh log per attempt"
        )
    return log


def make_reward_func(
    template: PromptTemplate, config: LengthPenaltyConfig, log: RolloutLog
) -> Callable[..., float]:
    """The seed's single reward function: score, log one record, return the reward.

    Named and shaped like the seed's (`completion, answer, **kwargs`): verifiers passes every
    scoring object to a function with **kwargs, and prime-rl reports it by this name.
    """

    def brier_reward_func(completion: Any, answer: Any, **kwargs: Any) -> float:
        prompt = kwargs.get("prompt")
        if prompt is None:
            prompt = (kwargs.get("state") or {}).get("prompt", "")
        info = info_dict(kwargs.get("info"))
        return score_and_log(template, config, log, prompt, completion, answer, info.get("example_id"))

    return brier_reward_func


def load_environment(
    prompt_template: str = DEFAULT_TEMPLATE,
    dataset_name: str = "google/boolq",
    dataset_split: str = "train",
    dataset_path: str | None = None,
    balance: bool = True,
    seed: int = 42,
    log_dir: str | None = None,
    log_path: str | None = None,
    batch_size: int | None = None,
    start_step: int = 0,
    max_tokens: int = 512,
    low_fraction: float = 0.2,
    high_fraction: float = 0.8,
    system_prompt: str | None = None,
) -> Any:
    """Build the calibrated-qa SingleTurnEnv. Unknown args fail (no **kwargs): a typo in the
    run's TOML must not silently fall back to a default."""
    if system_prompt is not None:
        # Gemma 2's chat template rejects the system role; the instructions live in the
        # user message (the seed accepted this arg and ignored it).
        raise ValueError("system_prompt is not supported: instructions go in the user message")
    template = load_template(prompt_template)
    config = penalty_config(max_tokens, low_fraction, high_fraction)
    log = open_rollout_log(log_path, log_dir, batch_size, start_step)
    dataset = build_dataset(
        template,
        dataset_name=dataset_name,
        dataset_split=dataset_split,
        dataset_path=dataset_path,
        seed=seed,
        balanced=balance,
    )

    import verifiers as vf  # lazy: only prime-rl's virtualenv has it

    parser = vf.MaybeThinkParser()
    rubric = vf.Rubric(funcs=[make_reward_func(template, config, log)], weights=[1.0])
    return vf.SingleTurnEnv(dataset=dataset, system_prompt=None, parser=parser, rubric=rubric)
