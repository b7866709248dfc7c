"""Writes libs/calibration/vectors/scoring.json: completions with the seed's expected scores.

The expected values come from the Python scoring core (apps/gpu-agent/environments/calibrated_qa/
calibrated_qa/scoring.py), which is the seed's code path; the TypeScript implementation must
reproduce every value bit for bit. Run: python3 scripts/vectors/generate-scoring-vectors.py
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "apps/gpu-agent/environments/calibrated_qa"))

from calibrated_qa.scoring import LengthPenaltyConfig, score_completion  # noqa: E402

OUT = ROOT / "libs/calibration/vectors/scoring.json"
COT_SAMPLES = ROOT / "examples/seed-run/cot_samples.txt"

cases: list[dict] = []


def add(case_id: str, note: str, completion: str, ground_truth, config: dict | None = None) -> None:
    cfg = LengthPenaltyConfig(**config) if config else LengthPenaltyConfig()
    score = asdict(score_completion(completion, ground_truth, cfg))
    case = {"id": case_id, "note": note, "completion": completion, "ground_truth": ground_truth}
    if config:
        case["config"] = config
    case["expected"] = score
    cases.append(case)


REASON = "Reasoning: The passage states the river flows through the city, so the answer is clear and well supported. "
pad = REASON * 2  # ~230 chars: inside the length bucket

# --- every percentage, both answers, both labels (the probability grid)
for pct in range(0, 101, 5):
    for ans in ("YES", "NO"):
        add(f"grid-{ans.lower()}-{pct}", f"{ans} {pct}% on a YES item", f"{pad}\nANSWER: {ans} with {pct}% probability", True)
for pct in (1, 3, 7, 29, 33, 57, 58, 67, 71, 83, 99):
    add(f"grid-no-{pct}-false", f"NO {pct}% on a NO item (binary rounding of 1 - pct/100)", f"{pad}\nANSWER: NO with {pct}% probability", "false")

# --- the documented pin
add("no-90-pin", "NO 90% gives P(YES) = 0.09999999999999998, not 0.1", f"{pad}\nANSWER: NO with 90% probability", "false")

# --- label spellings
for gt in (True, False, "true", "false", "True", "False", "TRUE", "yes", "1", 1, 0, None):
    add(f"label-{json.dumps(gt)}", "ground truth spellings: only str(x).lower() == 'true' is YES", f"{pad}\nANSWER: YES with 70% probability", gt)

# --- format variants
variants = {
    "no-prefix": "YES with 80% probability",
    "lowercase": "answer: yes with 80% probability",
    "mixed-case": "Answer: Yes With 80% Probability",
    "confidence-word": "ANSWER: NO with 80% confidence",
    "no-trailing-word": "ANSWER: YES with 80%",
    "space-before-percent": "ANSWER: YES with 80 % probability",
    "many-spaces": "ANSWER:    YES     with     80   %   probability",
    "newline-inside": "ANSWER:\nYES\nwith\n80\n%\nprobability",
    "tabs": "ANSWER:\tNO\twith\t15%\tprobability",
    "decimal": "ANSWER: YES with 87.5% probability",
    "decimal-only-fraction": "ANSWER: YES with .5% probability",
    "leading-zeros": "ANSWER: YES with 007% probability",
    "clamp-high": "ANSWER: YES with 150% probability",
    "clamp-huge": "ANSWER: NO with 99999999999999999999999% probability",
    "negative-sign": "ANSWER: YES with -20% probability",
    "no-with": "ANSWER: YES 80% probability",
    "no-percent": "ANSWER: YES with 80 probability",
    "word-number": "ANSWER: YES with eighty% probability",
    "embedded-word": "NOYES with 60% probability",
    "yesterday": "Maybe YESterday with 60% probability",
    "bold-markdown": "**ANSWER: YES with 65% probability**",
    "quoted": "\"ANSWER: NO with 35% probability\"",
    "fullwidth-digits": "ANSWER: YES with \uff18\uff10% probability",
    "arabic-indic-digits": "ANSWER: NO with \u0667\u0665% probability",
    "devanagari-digits": "ANSWER: YES with \u096c\u0660% probability",
    "nbsp-separators": "ANSWER:\u00a0YES\u00a0with\u00a070%\u00a0probability",
    "ideographic-space": "ANSWER:\u3000NO\u3000with\u300070%",
    "unit-separator-space": "ANSWER: YES\x1fwith 70% probability",
    "next-line-space": "ANSWER: YES\x85with 70% probability",
    "bom-not-space": "ANSWER: YES\ufeffwith 70% probability",
    "zero-width-space-not-space": "ANSWER: YES\u200bwith 70% probability",
    "kelvin-k-case": "ANSWER: NO with 40% \u212aprobability",
    "long-s-case": "ANSWER: YE\u017f with 40% probability",
    "dotless-i-case": "ANSWER: YES w\u0131th 40% probability",
    "crlf": "ANSWER: YES with 55% probability\r\n",
}
for key, line in variants.items():
    add(f"format-{key}", f"answer line variant: {key}", f"{pad}\n{line}", True)
    add(f"format-{key}-no", f"answer line variant on a NO item: {key}", f"{pad}\n{line}", False)

# --- several answer lines: the last match wins
add("multi-last-wins", "two answer lines: the last counts", f"{pad}\nANSWER: YES with 90% probability\nANSWER: NO with 60% probability", True)
add("multi-last-wins-2", "three answer lines", f"ANSWER: NO with 10% probability\n{pad}\nANSWER: YES with 20% probability\nYES with 95% probability", False)
add("multi-example-echo", "model echoes the prompt's examples then answers", f"Example:\nANSWER: YES with 90% probability\nExample:\nANSWER: NO with 95% probability\n{pad}\nANSWER: NO with 70% probability", False)
add("multi-trailing-garbage", "answer followed by prose", f"{pad}\nANSWER: YES with 75% probability\nI hope this helps!", True)
add("multi-answer-in-reasoning", "a later mention in prose wins over the answer line", f"{pad}\nANSWER: YES with 75% probability\nNote: I almost said NO with 30% confidence.", True)

# --- think tags
add("think-closed", "reasoning in a closed think block, answer after", f"<think>{pad} ANSWER: NO with 99% probability</think>\nANSWER: YES with 80% probability", True)
add("think-closed-answer-inside-only", "the only answer is inside the think block: unparseable", f"<think>{pad}\nANSWER: YES with 80% probability</think>\nI am not sure.", True)
add("think-unclosed", "an unclosed think block is unparseable even with an answer line", f"<think>{pad}\nANSWER: YES with 80% probability", True)
add("think-close-only", "a stray </think> with no opening: text after it counts", f"{pad}</think>ANSWER: NO with 20% probability", False)
add("think-two-blocks", "two think blocks: only text after the last </think>", f"<think>a</think>ANSWER: YES with 90% probability<think>b</think>ANSWER: NO with 60% probability", True)
add("think-open-after-close", "an open tag after a close tag still counts as closed", f"<think>a</think>{pad}\nANSWER: YES with 65% probability <think>", True)
add("think-uppercase-tag", "tags are case-sensitive: <THINK> is plain text", f"<THINK>{pad}\nANSWER: YES with 80% probability", True)
add("think-empty-after", "nothing after </think>", f"<think>{pad}\nANSWER: YES with 80% probability</think>", True)
add("think-whitespace-after", "only whitespace after </think>", f"<think>{pad}</think>   \n\t ", True)

# --- empty and tiny
add("empty", "empty completion: unparseable, full short penalty -1", "", True)
add("empty-false", "empty completion on a NO item", "", "false")
add("whitespace-only", "whitespace only", "   \n\n  ", False)
add("bare-answer", "a bare answer line, too short", "ANSWER: YES with 90% probability", True)
add("bare-answer-no", "a bare answer line on a NO item", "NO with 100% probability", False)

# --- length bucket bounds (chars/4 against 0.2 and 0.8 of max_tokens)
def sized(n_chars: int, answer: str = "\nANSWER: YES with 80% probability") -> str:
    body = n_chars - len(answer)
    text = (REASON * (body // len(REASON) + 1))[:body]
    return text + answer

for n in (1, 100, 200, 400, 408, 409, 410, 411, 412, 1000, 1636, 1637, 1638, 1639, 1640, 1800, 2047, 2048, 2049, 2100, 4000, 10000):
    if n < 40:
        add(f"length-{n}", f"{n} characters", "Y" * n, True)
    else:
        add(f"length-{n}", f"{n} characters: bucket bounds at 409.6 and 1638.4 chars", sized(n), True)
        add(f"length-{n}-no", f"{n} characters on a NO item", sized(n), False)
add("length-huge", "a 200,000-character completion: penalty saturates at -1", sized(200_000), True)
add("length-huge-unparseable", "huge and unparseable: reward -1", "blah " * 40_000, True)

# --- characters are code points, not UTF-16 units or bytes
add("length-emoji", "astral characters count once each (Python len)", "\U0001F914" * 120 + "\nANSWER: YES with 60% probability", True)
add("length-cjk", "CJK text", "\u8fd9\u662f\u4e00\u4e2a\u63a8\u7406" * 80 + "\nANSWER: NO with 60% probability", False)
add("length-combining", "combining marks count separately", "e\u0301" * 250 + "\nANSWER: YES with 60% probability", True)

# --- configurable bounds
for cfg in (
    {"max_tokens": 256, "low_fraction": 0.2, "high_fraction": 0.8},
    {"max_tokens": 1024, "low_fraction": 0.1, "high_fraction": 0.9},
    {"max_tokens": 512, "low_fraction": 0.0, "high_fraction": 0.95},
    {"max_tokens": 2048, "low_fraction": 0.25, "high_fraction": 0.75},
):
    tag = f"{cfg['max_tokens']}-{cfg['low_fraction']}-{cfg['high_fraction']}"
    for n in (50, 300, 900, 1700, 3000, 6000, 9000):
        add(f"config-{tag}-{n}", f"bounds {tag}, {n} characters", sized(n), n % 2 == 0, cfg)

# --- the seed's own published samples (cot_samples.txt): step-49 ones score to their printed rewards
sample_re = re.compile(
    r"Ground truth : (YES|NO)\n  p\(YES\)       : [0-9.]+\n  Reward       : (-?[0-9.]+)\n.*?Completion:\n\[assistant\] (.*?)\n\n(?:=+|#+)",
    re.S,
)
text = COT_SAMPLES.read_text()
step49 = text[text.index("# STEP 49"):]
for i, m in enumerate(sample_re.finditer(step49 + "\n\n=====")):
    gt, printed, completion = m.group(1), float(m.group(2)), m.group(3).rstrip("\n")
    add(f"seed-step49-sample-{i + 1}", f"seed cot_samples.txt step 49 sample {i + 1}, printed reward {printed}", completion, "true" if gt == "YES" else "false")
    cases[-1]["printed_reward"] = printed

OUT.write_text(json.dumps({
    "description": "Shared scoring vectors: the seed's parse, P(YES), Brier, length penalty and reward (docs/seed-spec.md §2-3). Generated by scripts/vectors/generate-scoring-vectors.py from the Python scoring core; libs/calibration (TypeScript) and calibrated_qa (Python) must both reproduce every expected value exactly.",
    "version": 1,
    "default_config": {"max_tokens": 512, "low_fraction": 0.2, "high_fraction": 0.8},
    "cases": cases,
}, ensure_ascii=False, indent=1) + "\n")
print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)}")
