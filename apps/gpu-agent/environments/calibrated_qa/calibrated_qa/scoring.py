"""The seed's scoring rules, standard library only.

Exactly the semantics of docs/seed-spec.md §2–3 (the seed's calibrated_qa.py): the TypeScript
twin lives in libs/calibration, and both must pass libs/calibration/vectors/scoring.json.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANSWER_PATTERN = re.compile(
    r"(?:ANSWER:\s*)?(YES|NO)\s+with\s+(\d+)\s*%\s*(?:probability|confidence)?",
    re.IGNORECASE,
)

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


@dataclass(frozen=True)
class LengthPenaltyConfig:
    """Bucket length penalty bounds; the seed's defaults."""

    max_tokens: int = 512
    low_fraction: float = 0.2
    high_fraction: float = 0.8


@dataclass(frozen=True)
class Score:
    parseable: bool
    p_yes: float  # 0.5 when unparseable, as the seed records it
    p_yes_extracted: float | None
    brier: float
    length_penalty: float
    approx_tokens: float
    reward: float
    answer_text: str  # what the regex searched: the text after the last </think>, stripped


def answer_text(completion: str) -> str:
    """The text the parser searches, or '' when a <think> block is never closed."""
    if THINK_OPEN in completion and THINK_CLOSE not in completion:
        return ""
    return completion.split(THINK_CLOSE)[-1].strip()


def extract_p_yes(text: str) -> float | None:
    """P(YES) from the last answer line in text; None when there is none."""
    matches = list(ANSWER_PATTERN.finditer(text))
    if not matches:
        return None
    match = matches[-1]
    label = match.group(1).upper()
    pct = max(0, min(100, int(match.group(2))))
    return pct / 100.0 if label == "YES" else 1.0 - pct / 100.0


def label_of(ground_truth: object) -> float:
    """1.0 for a YES item. Accepts True, 'true', 'True' (the seed's files hold all three)."""
    return 1.0 if str(ground_truth).lower() == "true" else 0.0


def length_penalty(approx_tokens: float, config: LengthPenaltyConfig = LengthPenaltyConfig()) -> float:
    low = config.max_tokens * config.low_fraction
    high = config.max_tokens * config.high_fraction
    if approx_tokens < low:
        return -1.0 * (1.0 - approx_tokens / low)
    if approx_tokens > high:
        t = (approx_tokens - high) / (config.max_tokens - high)
        return -1.0 * min(t, 1.0)
    return 0.0


def score_completion(
    completion: str, ground_truth: object, config: LengthPenaltyConfig = LengthPenaltyConfig()
) -> Score:
    """Score one assistant reply exactly as the seed's brier_reward_func did."""
    text = answer_text(completion)
    extracted = extract_p_yes(text)
    parseable = extracted is not None
    p_yes = extracted if extracted is not None else 0.5
    actual = label_of(ground_truth)
    brier = (p_yes - actual) ** 2
    reward = 1.0 - brier if parseable else 0.0
    approx_tokens = len(completion) / 4.0
    penalty = length_penalty(approx_tokens, config)
    reward += penalty
    return Score(
        parseable=parseable,
        p_yes=p_yes,
        p_yes_extracted=extracted,
        brier=brier,
        length_penalty=penalty,
        approx_tokens=approx_tokens,
        reward=reward,
        answer_text=text,
    )
