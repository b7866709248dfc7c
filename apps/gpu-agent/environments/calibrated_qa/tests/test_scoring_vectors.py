"""Every shared scoring vector reproduces EXACTLY (==), as the TypeScript twin must too."""

from __future__ import annotations

import json
import unittest

from calibrated_qa.scoring import LengthPenaltyConfig, score_completion

from .fakes import REPO_ROOT

VECTORS_PATH = REPO_ROOT / "libs" / "calibration" / "vectors" / "scoring.json"


def load_vectors() -> dict:
    with open(VECTORS_PATH, encoding="utf-8") as f:
        return json.load(f)


def case_config(case: dict) -> LengthPenaltyConfig:
    return LengthPenaltyConfig(**case.get("config", {}))


class ScoringVectorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.vectors = load_vectors()
        cls.cases = cls.vectors["cases"]

    def test_file_shape(self):
        self.assertEqual(len(self.cases), 241)
        self.assertEqual(self.vectors["default_config"], {"max_tokens": 512, "low_fraction": 0.2, "high_fraction": 0.8})
        self.assertEqual(len({c["id"] for c in self.cases}), len(self.cases), "case ids must be unique")

    def test_every_case_exact(self):
        for case in self.cases:
            with self.subTest(case=case["id"]):
                got = score_completion(case["completion"], case["ground_truth"], case_config(case))
                exp = case["expected"]
                # Types are part of the contract (True == 1 and 1.0 == True in Python).
                self.assertIs(got.parseable, exp["parseable"])
                if exp["p_yes_extracted"] is None:
                    self.assertIsNone(got.p_yes_extracted)
                else:
                    self.assertIsInstance(got.p_yes_extracted, float)
                    self.assertTrue(got.p_yes_extracted == exp["p_yes_extracted"])
                for name in ("p_yes", "brier", "length_penalty", "approx_tokens", "reward"):
                    value = getattr(got, name)
                    self.assertIsInstance(value, float, name)
                    # == on IEEE doubles, never assertAlmostEqual: 0.09999999999999998 matters.
                    self.assertTrue(value == exp[name], f"{name}: {value!r} != {exp[name]!r}")
                self.assertEqual(got.answer_text, exp["answer_text"])

    def test_printed_rewards_round_to_what_the_seed_printed(self):
        printed = [c for c in self.cases if "printed_reward" in c]
        self.assertEqual(len(printed), 10)
        for case in printed:
            with self.subTest(case=case["id"]):
                reward = score_completion(case["completion"], case["ground_truth"], case_config(case)).reward
                self.assertEqual(round(reward, 4), case["printed_reward"])
                self.assertEqual(f"{reward:.4f}", f"{case['printed_reward']:.4f}")

    def test_spec_worked_examples(self):
        # docs/seed-spec.md §3: p=0.80 on a NO item with 270 chars, p=0.00 on a NO item with 156.
        self.assertAlmostEqual(score_completion("x" * 238 + "ANSWER: YES with 80% probability", "false").reward, 0.0192, places=4)
        self.assertAlmostEqual(score_completion("x" * 124 + "ANSWER: YES with 0% probability!", False).reward, 0.3809, places=4)


if __name__ == "__main__":
    unittest.main()
