"""Prompt templates: loaded from JSON data, rendered byte-exactly (docs/seed-spec.md §1).

The templates are data (configs/prompts/<name>.json), never code, because a model trained on a
prompt must be evaluated on exactly that prompt: the TypeScript side reads the same files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

# Installed wheel: the templates are force-included next to this module (see pyproject.toml).
PACKAGE_PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"


def _repo_prompts_dir() -> Path | None:
    """Source checkout (tests, editable installs): the repo's single copy. This file lives at
    <repo>/apps/gpu-agent/environments/calibrated_qa/calibrated_qa/prompts.py; an installed
    copy may sit too shallow for that, hence None rather than an IndexError at import."""
    parents = Path(__file__).resolve().parents
    return parents[5] / "configs" / "prompts" if len(parents) > 5 else None


REPO_PROMPTS_DIR = _repo_prompts_dir()

DEFAULT_TEMPLATE = "boolq-passage-v1"

_PLACEHOLDER = re.compile(r"\{(instructions|passage|question)\}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    description: str
    instructions: str
    template: str
    passage_max_chars: int | None
    passage_ellipsis: str

    def cut_passage(self, passage: str) -> str:
        """The seed's cut: the first passageMaxChars characters plus the ellipsis."""
        if self.passage_max_chars is not None and len(passage) > self.passage_max_chars:
            return passage[: self.passage_max_chars] + self.passage_ellipsis
        return passage

    def render(self, question: str, passage: str = "") -> str:
        """The user message. All placeholders are replaced in ONE pass, so a passage or question
        that itself contains "{question}" is kept literally (str.format or chained replace would
        substitute it or choke on stray braces)."""
        values = {
            "instructions": self.instructions,
            "passage": self.cut_passage(passage or ""),
            "question": question,
        }
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.template)


def prompt_dirs() -> list[Path]:
    """Where templates are looked up, in order: the wheel's copy first, then the repo's."""
    return [d for d in (PACKAGE_PROMPTS_DIR, REPO_PROMPTS_DIR) if d is not None]


def template_path(name: str) -> Path:
    # Names come from env args (TOML): refuse anything that could walk out of the folder.
    if not _NAME.match(name):
        raise ValueError(f"invalid prompt template name {name!r}")
    for folder in prompt_dirs():
        candidate = folder / f"{name}.json"
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in prompt_dirs())
    raise FileNotFoundError(f"prompt template {name!r} not found (searched {searched})")


def parse_template(data: dict, expected_name: str | None = None) -> PromptTemplate:
    """Validate the JSON fields strictly: a silently wrong prompt would poison a whole run."""
    for key in ("name", "instructions", "template"):
        if not isinstance(data.get(key), str):
            raise ValueError(f"prompt template field {key!r} must be a string")
    if expected_name is not None and data["name"] != expected_name:
        raise ValueError(f"prompt template file {expected_name!r} declares name {data['name']!r}")
    max_chars = data.get("passageMaxChars")
    if max_chars is not None and (isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 0):
        raise ValueError("passageMaxChars must be a non-negative integer or null")
    ellipsis = data.get("passageEllipsis", "...")
    if not isinstance(ellipsis, str):
        raise ValueError("passageEllipsis must be a string")
    return PromptTemplate(
        name=data["name"],
        description=data.get("description", "") or "",
        instructions=data["instructions"],
        template=data["template"],
        passage_max_chars=max_chars,
        passage_ellipsis=ellipsis,
    )


def load_template(name: str = DEFAULT_TEMPLATE) -> PromptTemplate:
    path = template_path(name)
    with open(path, encoding="utf-8") as f:
        return parse_template(json.load(f), expected_name=name)
