"""Score one rollout and append its record to the rollout log: the step every API generation
(verifiers v0's reward function, v1's task reward) shares, so both log the same line."""

from __future__ import annotations

from typing import Any

from .prompts import PromptTemplate
from .record import completion_text, seed_fields
from .rollout_log import RolloutLog
from .scoring import LengthPenaltyConfig, score_completion


def score_and_log(
    template: PromptTemplate,
    config: LengthPenaltyConfig,
    log: RolloutLog,
    prompt: Any,
    completion: Any,
    answer: Any,
    example_id: Any,
) -> float:
    """The seed's reward for `completion`, after its record (seed keys, then ours) is written."""
    text = completion_text(completion)
    score = score_completion(text, answer, config)
    log.append(
        seed_fields(prompt, completion, answer, score),
        {
            "example_id": example_id,
            "prompt_template": template.name,
            "completion_chars": len(text),
        },
    )
    return score.reward
