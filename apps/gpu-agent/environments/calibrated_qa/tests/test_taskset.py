"""The verifiers v1 taskset (prime-rl main), with fake `verifiers.v1` and `datasets` modules."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from calibrated_qa.record import ADDED_KEYS, SEED_KEYS

from . import fake_verifiers_v1
from .fakes import ENV_DIR, FIXTURES, fake_datasets_module, fake_verifiers_module
from .test_scoring_vectors import load_vectors

FIXTURE = str(FIXTURES / "boolq-superglue-sample.jsonl")


class TasksetTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.log_path = Path(self.tmp.name) / "attempt-1" / "rollouts.jsonl"
        self.modules = mock.patch.dict(sys.modules, {"datasets": fake_datasets_module()})
        self.modules.start()
        # A fresh verifiers.v1 and a fresh taskset module per test (it binds vf at import).
        sys.modules.pop("calibrated_qa.taskset", None)
        self.vf = fake_verifiers_v1.install()

    def tearDown(self):
        self.modules.stop()
        sys.modules.pop("calibrated_qa.taskset", None)
        self.tmp.cleanup()

    def load(self, **fields):
        args = {"dataset_path": FIXTURE, "log_path": str(self.log_path)}
        args.update(fields)
        return self.vf.load_taskset("calibrated-qa", args)

    def records(self) -> list[dict]:
        with open(self.log_path, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def test_the_v1_loader_finds_exactly_this_taskset(self):
        from calibrated_qa.taskset import CalibratedQAConfig, CalibratedQATaskset

        self.assertIs(self.vf.taskset_class("calibrated-qa"), CalibratedQATaskset)
        taskset = self.load(batch_size=64)
        self.assertIsInstance(taskset.config, CalibratedQAConfig)
        self.assertEqual((taskset.config.id, taskset.config.batch_size), ("calibrated-qa", 64))

    def test_config_keys_are_load_environments_arguments(self):
        # The agent writes the same arguments for every API generation: names and defaults match.
        import calibrated_qa
        from calibrated_qa.taskset import CalibratedQAConfig

        v0 = {
            name: p.default
            for name, p in inspect.signature(calibrated_qa.load_environment).parameters.items()
            if name != "system_prompt"
        }
        config = CalibratedQAConfig(id="calibrated-qa")
        ours = {name: value for name, value in config.model_dump().items() if name not in ("id", "task", "system_prompt")}
        self.assertEqual(ours, v0)

    def test_tasks_are_the_v0_envs_rows_in_the_same_order(self):
        import calibrated_qa

        tasks = list(self.load(seed=7))
        with mock.patch.dict(sys.modules, {"verifiers": fake_verifiers_module()}):
            rows = calibrated_qa.load_environment(dataset_path=FIXTURE, seed=7, log_path=str(self.log_path)).kwargs[
                "dataset"
            ].rows
        self.assertEqual(len(tasks), 4)
        self.assertEqual(
            [(t.data.idx, t.data.prompt, t.data.answer, t.data.example_id) for t in tasks],
            [(i, r["question"], r["answer"], r["info"]["example_id"]) for i, r in enumerate(rows)],
        )
        self.assertIsNone(tasks[0].data.system_prompt)

    def test_a_scored_rollout_is_logged_as_the_v0_env_logs_it(self):
        tasks = list(self.load(batch_size=2, start_step=7))
        task = tasks[0]
        case = next(
            c for c in load_vectors()["cases"]
            if "config" not in c and c["expected"]["parseable"] and str(c["ground_truth"]).lower() == task.data.answer
        )
        trace = fake_verifiers_v1.score_sync(task, [case["completion"]])
        exp = case["expected"]
        self.assertEqual(trace.rewards, {"brier_reward_func": (exp["reward"], 1.0)})
        rec = self.records()[0]
        self.assertEqual(tuple(rec), SEED_KEYS + ADDED_KEYS)
        self.assertEqual(rec["full_prompt"], f"[user] {task.data.prompt}\n")
        self.assertEqual(rec["full_completion"], f"[assistant] {case['completion']}\n")
        self.assertEqual((rec["ground_truth"], rec["reward"]), (task.data.answer, exp["reward"]))
        self.assertEqual((rec["index"], rec["step"], rec["example_id"]), (0, 7, task.data.example_id))
        self.assertEqual((rec["prompt_template"], rec["completion_chars"]), ("boolq-passage-v1", len(case["completion"])))

    def test_every_vector_through_the_task_reward(self):
        # A task's answer is the dataset's "true"/"false": every vector with a boolean label.
        def label(value):
            if isinstance(value, bool):
                return "true" if value else "false"
            return value if value in ("true", "false") else None

        cases = [c for c in load_vectors()["cases"] if label(c["ground_truth"]) is not None]
        self.assertGreaterEqual(len(cases), 233)
        tasks = {}
        for case in cases:
            config = case.get("config", {})
            key = tuple(sorted(config.items()))
            if key not in tasks:
                tasks[key] = list(self.load(batch_size=8, **config))[0]
            task = tasks[key]
            # The vector's gold label, not the row's: same task config, same log.
            data = {**task.data.model_dump(), "answer": label(case["ground_truth"]), "example_id": case["id"]}
            task = type(task)(type(task.data)(**data), task.config)
            with self.subTest(case=case["id"]):
                trace = fake_verifiers_v1.score_sync(task, [case["completion"]])
                self.assertTrue(trace.reward == case["expected"]["reward"], f"{trace.reward!r}")
        records = self.records()
        self.assertEqual(len(records), len(cases))
        for index, (rec, case) in enumerate(zip(records, cases)):
            exp = case["expected"]
            self.assertEqual((rec["example_id"], rec["index"], rec["step"]), (case["id"], index, index // 8))
            for field, key in (("p_yes", "p_yes"), ("parseable", "parseable"), ("brier_score", "brier"),
                               ("reward", "reward"), ("length_penalty", "length_penalty"), ("approx_tokens", "approx_tokens")):
                self.assertTrue(rec[field] == exp[key] and type(rec[field]) is type(exp[key]), f"{case['id']} {field}")

    def test_one_turn_and_unstripped_multi_message_completions(self):
        task = list(self.load())[0]
        trace = fake_verifiers_v1.Trace([fake_verifiers_v1.AssistantMessage("<think>hmm")])
        import asyncio

        self.assertTrue(asyncio.run(task.should_stop(trace)))
        self.assertFalse(asyncio.run(task.should_stop(fake_verifiers_v1.Trace([]))))
        fake_verifiers_v1.score_sync(task, ["<think>hmm", "</think> ANSWER: NO with 90% probability\n"])
        rec = self.records()[0]
        self.assertIs(rec["parseable"], True)  # the think block closes in the second message
        self.assertEqual(rec["full_completion"], "[assistant] <think>hmm\n[assistant] </think> ANSWER: NO with 90% probability\n\n")

    def test_refuses_what_the_v0_env_refuses(self):
        with self.assertRaisesRegex(self.vf.FakeValidationError, "max_token: Extra inputs"):
            self.load(max_token=512)  # a typo must not fall back to a default
        with self.assertRaisesRegex(self.vf.FakeValidationError, "batch_size: Input should be"):
            self.load(batch_size="64")
        with self.assertRaisesRegex(ValueError, "system_prompt is not supported"):
            list(self.load(system_prompt="/tmp/prompt.txt"))
        with self.assertRaises(ValueError):
            list(self.load(high_fraction=1.0))
        with self.assertRaises(ValueError):
            list(self.load(log_dir=self.tmp.name))  # both log_path and log_dir
        with self.assertRaises(FileNotFoundError):
            list(self.load(prompt_template="boolq-passage-v9"))

    def test_its_stop_hook_is_a_trace_hook_as_verifiers_classifies_it(self):
        from calibrated_qa.taskset import CalibratedQATask

        task = list(self.load())[0]
        self.assertEqual([fn.__name__ for fn in task.hooks("stop")], ["single_turn"])
        self.assertIs(self.vf.hook_boundary(task.single_turn), self.vf.Trace)

        class Unannotated(CalibratedQATask):
            @self.vf.stop
            async def single_turn(self, trace) -> bool:  # the annotation is what verifiers reads
                return True

        with self.assertRaisesRegex(TypeError, "exactly one Request, Response, or Trace parameter"):
            fake_verifiers_v1.score_sync(Unannotated(task.data, task.config), ["ANSWER: YES with 80% probability"])

    def test_a_task_without_its_tasksets_config_fails_loudly(self):
        from calibrated_qa.taskset import CalibratedQATask

        task = list(self.load())[0]
        orphan = CalibratedQATask(task.data, self.vf.TaskConfig())
        with self.assertRaisesRegex(Exception, "need the config their taskset's load"):
            fake_verifiers_v1.score_sync(orphan, ["ANSWER: YES with 80% probability"])
        self.assertFalse(self.log_path.exists())


class TwoApiGenerationsTest(unittest.TestCase):
    def test_v0_verifiers_still_loads_the_package_and_the_taskset_fails_loudly(self):
        code = (
            "import sys, types; v0 = types.ModuleType('verifiers'); sys.modules['verifiers'] = v0; "
            "import calibrated_qa; assert callable(calibrated_qa.load_environment); "
            "assert calibrated_qa.INSTRUCTIONS.startswith('Read the passage below'); "
            "assert 'calibrated_qa.taskset' not in sys.modules\n"
            "try:\n    calibrated_qa.CalibratedQATaskset\nexcept ImportError as e:\n    print('import error:', e.name)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], cwd=ENV_DIR, capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "import error: verifiers.v1")

    def test_the_package_exports_one_taskset_and_the_v0_entry_point(self):
        import calibrated_qa

        self.assertEqual(calibrated_qa.__all__, ["load_environment", "INSTRUCTIONS", "CalibratedQATaskset"])
        self.assertIsNotNone(importlib.util.find_spec("calibrated_qa.taskset"))


if __name__ == "__main__":
    unittest.main()
