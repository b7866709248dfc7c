"""The verifiers glue, with fake `verifiers` and `datasets` modules injected into sys.modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from calibrated_qa.dataset import example_id, read_boolq_jsonl
from calibrated_qa.record import ADDED_KEYS, SEED_KEYS

from .fakes import (
    ENV_DIR,
    FIXTURES,
    FakeMaybeThinkParser,
    FakeRubric,
    FakeSingleTurnEnv,
    fake_datasets_module,
    fake_verifiers_module,
)
from .test_scoring_vectors import load_vectors

FIXTURE = str(FIXTURES / "boolq-superglue-sample.jsonl")


class GlueTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.log_path = Path(self.tmp.name) / "logs" / "generations.jsonl"
        self.modules = mock.patch.dict(
            sys.modules, {"verifiers": fake_verifiers_module(), "datasets": fake_datasets_module()}
        )
        self.modules.start()

    def tearDown(self):
        self.modules.stop()
        self.tmp.cleanup()

    def load(self, **kwargs):
        import calibrated_qa

        args = {"dataset_path": FIXTURE, "log_path": str(self.log_path)}
        args.update(kwargs)
        return calibrated_qa.load_environment(**args)

    def records(self) -> list[dict]:
        with open(self.log_path, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def test_wiring(self):
        env = self.load()
        self.assertIsInstance(env, FakeSingleTurnEnv)
        self.assertEqual(set(env.kwargs), {"dataset", "system_prompt", "parser", "rubric"})
        self.assertIsNone(env.kwargs["system_prompt"])
        self.assertIsInstance(env.kwargs["parser"], FakeMaybeThinkParser)
        rubric = env.kwargs["rubric"]
        self.assertIsInstance(rubric, FakeRubric)
        self.assertEqual(len(rubric.funcs), 1)
        self.assertEqual(rubric.weights, [1.0])
        self.assertEqual(rubric.funcs[0].__name__, "brier_reward_func")
        rows = env.kwargs["dataset"].rows
        self.assertEqual(len(rows), 4)
        self.assertEqual({r["task"] for r in rows}, {"calibrated-qa"})
        self.assertTrue(all(r["question"].startswith("Read the passage below") for r in rows))

    def test_reward_func_writes_record_and_returns_vector_reward(self):
        env = self.load(batch_size=2, start_step=7)
        func = env.kwargs["rubric"].funcs[0]
        row = env.kwargs["dataset"].rows[0]
        # A vector with this row's ground truth, so the returned reward must equal the vector's.
        case = next(
            c for c in load_vectors()["cases"]
            if "config" not in c and c["expected"]["parseable"] and str(c["ground_truth"]).lower() == row["answer"]
        )
        prompt = [{"role": "user", "content": row["question"]}]
        completion = [{"role": "assistant", "content": case["completion"]}]
        # Called the way verifiers 0.1.8 calls a **kwargs reward function.
        reward = func(
            completion=completion, answer=row["answer"], prompt=prompt, state={"prompt": prompt},
            task="calibrated-qa", info=row["info"], parser=env.kwargs["parser"],
        )
        exp = case["expected"]
        self.assertTrue(reward == exp["reward"], f"{reward!r} != {exp['reward']!r}")
        rec = self.records()[0]
        self.assertEqual(tuple(rec), SEED_KEYS + ADDED_KEYS)
        self.assertEqual(rec["full_prompt"], f"[user] {row['question']}\n")
        self.assertEqual(rec["full_completion"], f"[assistant] {case['completion']}\n")
        self.assertEqual(rec["ground_truth"], row["answer"])
        self.assertEqual(rec["reward"], reward)
        self.assertEqual(rec["approx_tokens"], exp["approx_tokens"])
        self.assertEqual(rec["length_penalty"], exp["length_penalty"])
        self.assertEqual(rec["parsed_answer"], exp["answer_text"][:500])
        self.assertEqual((rec["index"], rec["step"]), (0, 7))
        self.assertEqual(rec["example_id"], row["info"]["example_id"])
        fixture_ids = {example_id(r["question"], r["passage"]) for r in read_boolq_jsonl(FIXTURE)}
        self.assertIn(rec["example_id"], fixture_ids)
        self.assertEqual(rec["prompt_template"], "boolq-passage-v1")
        self.assertEqual(rec["completion_chars"], len(case["completion"]))
        self.assertEqual(rec["pid"], os.getpid())
        self.assertIsInstance(rec["ts"], float)

    def test_every_vector_through_the_reward_func(self):
        envs = {}
        cases = load_vectors()["cases"]
        for case in cases:
            config = case.get("config", {})
            key = tuple(sorted(config.items()))
            if key not in envs:
                envs[key] = self.load(**config).kwargs["rubric"].funcs[0]
            with self.subTest(case=case["id"]):
                reward = envs[key](
                    completion=[{"role": "assistant", "content": case["completion"]}],
                    answer=case["ground_truth"],
                    prompt=[{"role": "user", "content": "q"}],
                    info=json.dumps({"example_id": case["id"]}),  # info may arrive as JSON text
                )
                self.assertTrue(reward == case["expected"]["reward"], f"{reward!r}")
        records = self.records()
        self.assertEqual(len(records), len(cases))
        for rec, case in zip(records, cases):
            exp = case["expected"]
            self.assertEqual(rec["example_id"], case["id"])
            for field, key in (("p_yes", "p_yes"), ("p_yes_extracted", "p_yes_extracted"), ("parseable", "parseable"),
                               ("brier_score", "brier"), ("reward", "reward"), ("length_penalty", "length_penalty"),
                               ("approx_tokens", "approx_tokens")):
                self.assertTrue(rec[field] == exp[key] and type(rec[field]) is type(exp[key]), f"{case['id']} {field}")
            self.assertEqual(rec["parsed_answer"], exp["answer_text"][:500])
        self.assertEqual([r["index"] for r in records], list(range(len(cases))))

    def test_multi_message_completion_and_plain_string(self):
        func = self.load().kwargs["rubric"].funcs[0]
        parts = [{"role": "assistant", "content": "<think>hmm"}, {"role": "assistant", "content": "</think> ANSWER: NO with 90% probability"}]
        func(completion=parts, answer="false", state={"prompt": "plain prompt"})
        rec = self.records()[0]
        self.assertIs(rec["parseable"], True)  # the think block closes in the second message
        self.assertEqual(rec["p_yes"], 0.09999999999999998)
        self.assertEqual(rec["full_prompt"], "plain prompt")
        self.assertEqual(rec["full_completion"], "[assistant] <think>hmm\n[assistant] </think> ANSWER: NO with 90% probability\n")
        self.assertIsNone(rec["example_id"])

    def test_log_dir_and_args(self):
        import calibrated_qa

        env = calibrated_qa.load_environment(dataset_path=FIXTURE, log_dir=self.tmp.name)
        env.kwargs["rubric"].funcs[0](completion="YES with 80% probability", answer=True)
        self.assertTrue((Path(self.tmp.name) / "generations.jsonl").exists())
        with self.assertRaises(ValueError):
            self.load(log_dir=self.tmp.name)  # both log_path and log_dir
        with self.assertRaises(ValueError):
            self.load(system_prompt="be calibrated")
        with self.assertRaises(TypeError):
            self.load(max_token=512)  # a typo must not fall back to a default
        with self.assertRaises(ValueError):
            self.load(high_fraction=1.0)
        with self.assertRaises(FileNotFoundError):
            self.load(prompt_template="boolq-passage-v9")

    def test_hub_path_and_no_passage_template(self):
        env = self.load(dataset_path=None, prompt_template="boolq-no-passage-v1", dataset_split="validation")
        self.assertEqual(sys.modules["datasets"].load_calls, [("google/boolq", "validation")])
        self.assertEqual(env.kwargs["dataset"].rows, [])


class ImportTest(unittest.TestCase):
    def test_package_imports_without_verifiers_or_datasets(self):
        code = (
            "import sys, calibrated_qa; "
            "assert 'verifiers' not in sys.modules and 'datasets' not in sys.modules; "
            "assert callable(calibrated_qa.load_environment); "
            "assert calibrated_qa.INSTRUCTIONS.startswith('Read the passage below'); print('ok')"
        )
        out = subprocess.run([sys.executable, "-c", code], cwd=ENV_DIR, capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "ok")


if __name__ == "__main__":
    unittest.main()
