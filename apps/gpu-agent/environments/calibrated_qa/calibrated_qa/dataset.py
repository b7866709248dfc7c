"""BoolQ rows for the environment: the seed's balancing, local jsonl reading, stable ids.

Everything here except build_dataset() is standard library, so it is testable without
`datasets`; build_dataset() imports it lazily because only prime-rl's virtualenv has it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Iterable

from .prompts import PromptTemplate

TASK_NAME = "calibrated-qa"
TITLE_SEPARATOR = " -- "  # SuperGLUE's "<Wikipedia title> -- <passage text>"


def example_id(question: str, passage: str) -> str:
    """A stable id of one BoolQ item, the same whichever copy it was read from.

    Content-addressed (not a row number) because the seed shuffles, HF and SuperGLUE order
    rows differently, and the TypeScript side must be able to recompute it:
    "boolq-" + first 16 hex chars of sha256(utf8(question + "\\n" + passage)), where passage is
    the full text without the SuperGLUE title and before the 1,500-character cut.
    """
    digest = hashlib.sha256(f"{question}\n{passage}".encode("utf-8")).hexdigest()
    return f"boolq-{digest[:16]}"


def split_title(passage: str) -> tuple[str | None, str]:
    """Split a SuperGLUE passage at the FIRST " -- " (titles never contain it; texts may)."""
    title, sep, text = passage.partition(TITLE_SEPARATOR)
    return (title, text) if sep else (None, passage)


def _label_to_bool(value: Any, where: str) -> bool:
    # The copies in the wild hold booleans or the strings "true"/"false" (any case).
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"{where}: label/answer must be a boolean or 'true'/'false', got {value!r}")


def normalize_row(obj: Any, where: str = "row") -> dict[str, Any]:
    """One BoolQ record in either shape, as {question, passage, answer: bool, title, idx}.

    SuperGLUE: {question, passage: "<title> -- <text>", idx, label: "true"|"false"}.
    google/boolq: {question, answer: bool, passage} (passage has no title).
    """
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected a JSON object")
    question, passage = obj.get("question"), obj.get("passage")
    if not isinstance(question, str) or not isinstance(passage, str):
        raise ValueError(f"{where}: question and passage must be strings")
    if "label" in obj:
        title, text = split_title(passage)
        answer = _label_to_bool(obj["label"], where)
    elif "answer" in obj:
        title, text = None, passage
        answer = _label_to_bool(obj["answer"], where)
    else:
        # SuperGLUE's test split has no labels: it cannot be scored, so refuse it loudly.
        raise ValueError(f"{where}: no 'label' or 'answer' (unlabelled split?)")
    idx = obj.get("idx")
    return {
        "question": question,
        "passage": text,
        "answer": answer,
        "title": title,
        "idx": idx if isinstance(idx, int) and not isinstance(idx, bool) else None,
    }


def read_boolq_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a local BoolQ jsonl (either shape) into normalized rows; blank lines are skipped."""
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{where}: invalid JSON ({e})") from e
            rows.append(normalize_row(obj, where))
    return rows


def balance(ds: Any, seed: int, concatenate: Callable[[list[Any]], Any]) -> Any:
    """The seed's 50/50 balancing, step for step, on an HF-Dataset-like object.

    shuffle(seed) -> keep answer True / False -> first n = min(#True, #False) of each ->
    concatenate [True rows, False rows] -> shuffle(seed) again. The order of these calls fixes
    which 7,106 rows of the train split the seed trained on, so do not reorder them.
    """
    ds = ds.shuffle(seed=seed)
    true_rows = ds.filter(lambda x: x["answer"] is True)
    false_rows = ds.filter(lambda x: x["answer"] is False)
    n = min(len(true_rows), len(false_rows))
    true_rows = true_rows.select(range(n))
    false_rows = false_rows.select(range(n))
    return concatenate([true_rows, false_rows]).shuffle(seed=seed)


def to_env_row(row: dict[str, Any], template: PromptTemplate) -> dict[str, Any]:
    """A verifiers dataset row: the rendered user message, "true"/"false", the stable id.

    The id rides in `info` (not a top-level example_id column): verifiers 0.1.x owns the
    integer `example_id` column and renames a non-integer one out of the way.
    """
    passage = row.get("passage", "") or ""
    return {
        "question": template.render(question=row["question"], passage=passage),
        "answer": "true" if row["answer"] else "false",
        "info": {"example_id": example_id(row["question"], passage)},
        "task": TASK_NAME,
    }


def env_rows(rows: Iterable[dict[str, Any]], template: PromptTemplate) -> list[dict[str, Any]]:
    return [to_env_row(r, template) for r in rows]


def build_dataset(
    template: PromptTemplate,
    dataset_name: str = "google/boolq",
    dataset_split: str = "train",
    dataset_path: str | None = None,
    seed: int = 42,
    balanced: bool = True,
) -> Any:
    """The HF Dataset the env trains on: from the hub (the seed's path) or a local jsonl."""
    import datasets  # lazy: only prime-rl's virtualenv has it

    if dataset_path:
        rows = read_boolq_jsonl(dataset_path)
        # Keep only the columns both shapes share, so the pipeline below is the same.
        ds = datasets.Dataset.from_list(
            [{"question": r["question"], "passage": r["passage"], "answer": r["answer"]} for r in rows]
        )
    else:
        ds = datasets.load_dataset(dataset_name, split=dataset_split)
    if balanced:
        ds = balance(ds, seed, datasets.concatenate_datasets)
    return ds.map(lambda x: to_env_row(x, template), remove_columns=ds.column_names)
