"""The rollout log under several writer processes: gap-free global index, one line per record."""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import tempfile
import unittest
from pathlib import Path

from calibrated_qa.record import ADDED_KEYS, SEED_KEYS
from calibrated_qa.rollout_log import RolloutLog

PROCESSES = 4
PER_PROCESS = 200
BATCH = 64


def seed_like(n: int, pid_tag: int) -> dict:
    return {k: f"{k}-{pid_tag}-{n}" for k in SEED_KEYS}


def _writer(log: RolloutLog, tag: int, gate, count: int) -> None:
    gate.wait()  # all writers start together, so their appends really interleave
    for n in range(count):
        # A long field makes each line several KiB: a torn or interleaved write would show.
        fields = seed_like(n, tag)
        fields["full_completion"] = f"[assistant] {tag}:{n} " + "x" * 5000 + "\n"
        log.append(fields, {"example_id": f"ex-{tag}-{n}", "prompt_template": "t", "completion_chars": n})


def read_lines(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


class MultiProcessTest(unittest.TestCase):
    def run_writers(self, method: str) -> None:
        ctx = multiprocessing.get_context(method)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "run" / "generations.jsonl"
            log = RolloutLog(path, batch_size=BATCH, start_step=0)
            gate = ctx.Event()
            procs = [ctx.Process(target=_writer, args=(log, tag, gate, PER_PROCESS)) for tag in range(PROCESSES)]
            for p in procs:
                p.start()
            gate.set()
            for p in procs:
                p.join(120)
                self.assertEqual(p.exitcode, 0)
            records = read_lines(path)
            total = PROCESSES * PER_PROCESS
            self.assertEqual(len(records), total)
            self.assertEqual([r["index"] for r in records], list(range(total)))
            self.assertEqual([r["step"] for r in records], [i // BATCH for i in range(total)])
            self.assertEqual(len({r["pid"] for r in records}), PROCESSES)
            for r in records:
                self.assertEqual(tuple(r), SEED_KEYS + ADDED_KEYS)
                tag, n = r["full_completion"].split(" ")[1].split(":")
                self.assertEqual(r["example_id"], f"ex-{tag}-{n}")  # no line mixes two records
            # Each writer's own records stay in its own order; ts follows file order.
            for tag in range(PROCESSES):
                mine = [int(r["example_id"].split("-")[2]) for r in records if r["example_id"].startswith(f"ex-{tag}-")]
                self.assertEqual(mine, list(range(PER_PROCESS)))
            self.assertEqual([r["ts"] for r in records], sorted(r["ts"] for r in records))
            self.assertEqual(log.count_path.read_text().split(), [str(total), str(path.stat().st_size)])

    def test_four_spawned_processes(self):
        self.run_writers("spawn")

    def test_four_forked_processes(self):
        self.run_writers("fork")


class SingleProcessTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = Path(self.tmp.name) / "generations.jsonl"

    def tearDown(self):
        self.tmp.cleanup()

    def test_start_step_and_no_batch_size(self):
        log = RolloutLog(self.path, batch_size=3, start_step=5)
        steps = [log.append(seed_like(i, 0))["step"] for i in range(7)]
        self.assertEqual(steps, [5, 5, 5, 6, 6, 6, 7])
        other = RolloutLog(Path(self.tmp.name) / "b.jsonl")
        self.assertIsNone(other.append(seed_like(0, 0))["step"])

    def test_invalid_arguments(self):
        for kwargs in ({"batch_size": 0}, {"batch_size": True}, {"batch_size": 2.0}, {"start_step": -1}):
            with self.subTest(kwargs=kwargs), self.assertRaises(ValueError):
                RolloutLog(self.path, **kwargs)

    def test_seed_coercion_and_unicode(self):
        log = RolloutLog(self.path)
        fields = seed_like(0, 0)
        fields["ground_truth"] = True
        fields["p_yes_extracted"] = None
        fields["full_prompt"] = ["not", "primitive"]
        fields["parsed_answer"] = "naïve ☃ \ud800 lone surrogate"
        rec = log.append(fields)
        line = self.path.read_bytes()
        self.assertIn("naïve ☃".encode("utf-8"), line)  # ensure_ascii=False, as the seed
        back = read_lines(self.path)[0]
        self.assertIs(back["ground_truth"], True)
        self.assertIsNone(back["p_yes_extracted"])
        self.assertEqual(back["full_prompt"], "['not', 'primitive']")
        self.assertEqual(back["parsed_answer"], "naïve ☃ \ud800 lone surrogate")
        self.assertEqual(rec["index"], 0)

    def test_resume_counts_existing_lines_without_sidecar(self):
        self.path.write_text('{"a": 1}\n{"a": 2}\n')  # e.g. a seed-made file
        self.assertEqual(RolloutLog(self.path).append(seed_like(0, 0))["index"], 2)

    def test_sidecar_mismatch_and_torn_line_recount(self):
        log = RolloutLog(self.path)
        for i in range(3):
            log.append(seed_like(i, 0))
        with open(self.path, "ab") as f:
            f.write(b'{"torn": ')  # a writer killed mid-line
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rec = log.append(seed_like(9, 0))
        self.assertEqual(rec["index"], 4)  # the torn line keeps line number 3
        lines = self.path.read_text().splitlines()
        self.assertEqual(len(lines), 5)
        self.assertEqual(lines[3], '{"torn": ')
        self.assertEqual(json.loads(lines[4])["index"], 4)
        self.assertIn("recounted", err.getvalue())

    def test_deleted_log_restarts_at_zero(self):
        log = RolloutLog(self.path)
        log.append(seed_like(0, 0))
        log.append(seed_like(1, 0))
        os.remove(self.path)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(log.append(seed_like(2, 0))["index"], 0)
        self.assertIn("index restarts at 0", err.getvalue())

    def test_progress_line_every_1000(self):
        log = RolloutLog(self.path)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            for i in range(1001):
                log.append({"n": i})
        self.assertEqual(err.getvalue(), f"[calibrated_qa] Wrote 1000 records to {self.path}\n")

    def test_write_error_is_loud_and_raised(self):
        blocker = Path(self.tmp.name) / "a-file"
        blocker.write_text("")
        log = RolloutLog(blocker / "generations.jsonl")
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(OSError):
            log.append(seed_like(0, 0))
        self.assertIn("[calibrated_qa] LOG ERROR writing", err.getvalue())


if __name__ == "__main__":
    unittest.main()
