"""What one scored rollout looks like in generations.jsonl (the seed's part of each line).

Kept apart from the verifiers glue so the record's shape is testable without verifiers, and
from the writer so the writer stays a generic, attribution-only appender.
"""

from __future__ import annotations

import json
from typing import Any

from .scoring import Score

PARSED_ANSWER_CHARS = 500  # the seed kept the first 500 characters

# The seed's keys, in the seed's order (docs/seed-spec.md §4); readers rely on this order.
SEED_KEYS = (
    "full_prompt",
    "ground_truth",
    "p_yes",
    "p_yes_extracted",
    "parseable",
    "brier_score",
    "reward",
    "length_penalty",
    "approx_tokens",
    "parsed_answer",
    "full_completion",
)
# What this environment adds after them (rollout_log adds index/step/pid/ts around `extra`).
ADDED_KEYS = ("index", "step", "example_id", "prompt_template", "completion_chars", "pid", "ts")


def content_text(content: Any) -> str:
    """A message's text. None counts as empty (the seed's `or ""`); a list of content parts
    (OpenAI multimodal shape) is joined from its text parts instead of crashing."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict):
                parts.append(str(part.get("text", "") or ""))
            else:
                parts.append(str(getattr(part, "text", "") or ""))
        return "".join(parts)
    return str(content)


def message_parts(message: Any) -> tuple[str, str]:
    """(role, text) of a message given as a dict or as an OpenAI-style object."""
    if isinstance(message, dict):
        return str(message.get("role", "") or ""), content_text(message.get("content"))
    return str(getattr(message, "role", "") or ""), content_text(getattr(message, "content", None))


def transcript(messages: Any) -> str:
    """The seed's "[role] content\\n" per message; a plain string passes through."""
    if isinstance(messages, list):
        return "".join(f"[{role}] {text}\n" for role, text in map(message_parts, messages))
    return "" if messages is None else str(messages)


def completion_text(completion: Any) -> str:
    """What is scored and measured: the completion messages' contents, concatenated."""
    if isinstance(completion, list):
        return "".join(message_parts(m)[1] for m in completion)
    return "" if completion is None else str(completion)


def info_dict(info: Any) -> dict[str, Any]:
    """verifiers hands `info` over as a dict, or as a JSON string when the dataset stored it so."""
    if isinstance(info, dict):
        return info
    if isinstance(info, str) and info.strip():
        try:
            decoded = json.loads(info)
        except json.JSONDecodeError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return {}


def seed_fields(prompt: Any, completion: Any, answer: Any, score: Score) -> dict[str, Any]:
    """The seed's record for one rollout, keys in the seed's order."""
    fields = {
        "full_prompt": transcript(prompt),
        "ground_truth": answer,
        "p_yes": score.p_yes,
        "p_yes_extracted": score.p_yes_extracted,
        "parseable": score.parseable,
        "brier_score": score.brier,
        "reward": score.reward,
        "length_penalty": score.length_penalty,
        "approx_tokens": score.approx_tokens,
        "parsed_answer": score.answer_text[:PARSED_ANSWER_CHARS],
        "full_completion": transcript(completion),
    }
    assert tuple(fields) == SEED_KEYS
    return fields
