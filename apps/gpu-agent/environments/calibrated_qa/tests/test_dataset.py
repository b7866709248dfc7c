"""BoolQ reading (both shapes), stable ids, the seed's balancing, the env rows."""

from __future__ import annotations

import hashlib
import random
import tempfile
import unittest
from collections import Counter
import sys
from pathlib import Path
from unittest import mock

from calibrated_qa.dataset import (
    balance,
    build_dataset,
    example_id,
    normalize_row,
    read_boolq_jsonl,
    split_title,
    to_env_row,
)
from calibrated_qa.prompts import load_template

from .fakes import FIXTURES, REPO_ROOT, FakeDataset, concatenate, fake_datasets_module

# The BoolQ validation split (SuperGLUE packaging): the repo's shipped copy once it lands,
# else the shared copy beside the checkout (CI) or at its usual place.
VAL_CANDIDATES = (
    REPO_ROOT / "data" / "boolq" / "val.jsonl",
    REPO_ROOT.parent / "shared" / "data" / "boolq" / "val.jsonl",
    Path("/work/shared/data/boolq/val.jsonl"),
)
SHARED_VAL = next((p for p in VAL_CANDIDATES if p.exists()), VAL_CANDIDATES[-1])
SUPERGLUE_FIXTURE = FIXTURES / "boolq-superglue-sample.jsonl"
# (question, title-free passage, id), also pinned in libs/boolq/src/example.spec.ts.
SHARED_ID_VECTORS = (
    ("is it", "Some text.", "boolq-35a4ee78db2ceb4c"),
    ("is a -- b a dash", "A dash -- like this -- is punctuation.", "boolq-c8997d091d1e1bf5"),
    ("is café naïve", "Zürich — 日本語 text. 🚲", "boolq-492386e195d6c48b"),
)
# The first two records of data/boolq/val.jsonl, also pinned in libs/boolq/src/bundled-data.spec.ts.
VAL_FIRST_IDS = ["boolq-2e37d6ab41c70b03", "boolq-871839ede4841286"]
HF_FIXTURE = FIXTURES / "boolq-hf-sample.jsonl"


class IdsAndTitlesTest(unittest.TestCase):
    def test_example_id_recipe(self):
        # Pinned so the TypeScript side can recompute it.
        digest = hashlib.sha256("is it\nSome text.".encode("utf-8")).hexdigest()
        self.assertEqual(example_id("is it", "Some text."), "boolq-" + digest[:16])
        self.assertNotEqual(example_id("is it", "Some text."), example_id("is it", "Some text!"))

    def test_example_id_shared_vectors(self):
        # The same vectors are pinned in libs/boolq/src/example.spec.ts: TypeScript must agree.
        for question, passage, expected in SHARED_ID_VECTORS:
            with self.subTest(question=question):
                self.assertEqual(example_id(question, passage), expected)

    def test_split_title_at_first_separator(self):
        self.assertEqual(split_title("T -- a -- b"), ("T", "a -- b"))
        self.assertEqual(split_title("no title here"), (None, "no title here"))
        self.assertEqual(split_title("T--x"), (None, "T--x"))


class LocalJsonlTest(unittest.TestCase):
    def test_superglue_fixture(self):
        rows = read_boolq_jsonl(SUPERGLUE_FIXTURE)
        self.assertEqual(len(rows), 6)
        self.assertEqual(rows[1]["title"], "Glass frog")
        self.assertEqual(rows[1]["passage"], "Glass frogs are frogs of the family Centrolenidae. The skin on their belly is translucent -- you can see their organs.")
        self.assertEqual([r["answer"] for r in rows], [True, True, False, False, True, True])
        self.assertEqual([r["idx"] for r in rows], list(range(6)))

    def test_both_shapes_agree(self):
        superglue, hf = read_boolq_jsonl(SUPERGLUE_FIXTURE), read_boolq_jsonl(HF_FIXTURE)
        for a, b in zip(superglue, hf):
            self.assertEqual((a["question"], a["passage"], a["answer"]), (b["question"], b["passage"], b["answer"]))
            self.assertIsNone(b["title"])
            self.assertEqual(example_id(a["question"], a["passage"]), example_id(b["question"], b["passage"]))

    @unittest.skipUnless(SHARED_VAL.exists(), "no copy of the BoolQ validation split found")
    def test_shared_validation_split(self):
        rows = read_boolq_jsonl(SHARED_VAL)
        self.assertEqual(len(rows), 3270)
        self.assertEqual(Counter(r["answer"] for r in rows), {True: 2033, False: 1237})
        self.assertEqual(rows[0]["title"], "Ethanol fuel")
        self.assertTrue(rows[0]["passage"].startswith("All biomass goes through"))
        self.assertEqual(rows[0]["question"], "does ethanol take more energy make that produces")
        self.assertIs(rows[0]["answer"], False)
        self.assertTrue(all(r["title"] for r in rows))
        self.assertEqual([r["idx"] for r in rows], list(range(3270)))
        # Ids are what downstream joins on: check they are unique on a real split, and pin the
        # first two so the TypeScript loader (which pins the same) cannot drift from this rule.
        ids = [example_id(r["question"], r["passage"]) for r in rows]
        self.assertEqual(len(set(ids)), 3270)
        self.assertEqual(ids[:2], VAL_FIRST_IDS)
        self.assertEqual(ids[17], "boolq-9fcb0a9f05e91c38")  # idx 17, whose text holds more " -- "

    def test_bad_rows_are_loud(self):
        cases = [
            {"question": "q", "passage": "p"},  # unlabelled (SuperGLUE test split)
            {"question": "q", "passage": "p", "label": "maybe"},
            {"question": "q", "passage": "p", "answer": 1},
            {"question": None, "passage": "p", "answer": True},
        ]
        for obj in cases:
            with self.subTest(obj=obj), self.assertRaises(ValueError):
                normalize_row(obj)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bad.jsonl"
            path.write_text('{"question": "q", "passage": "p", "answer": true}\n\nnot json\n')
            with self.assertRaisesRegex(ValueError, r"bad.jsonl:3"):
                read_boolq_jsonl(path)

    def test_label_spellings(self):
        for label, want in (("true", True), ("False", False), (True, True), ("TRUE", True)):
            self.assertIs(normalize_row({"question": "q", "passage": "T -- p", "label": label})["answer"], want)


class BalanceTest(unittest.TestCase):
    def test_seed_procedure_on_small_dataset(self):
        rows = [{"question": f"q{i}", "passage": f"p{i}", "answer": i % 3 != 0} for i in range(20)]
        ds = FakeDataset(rows)
        out = balance(ds, 42, concatenate)
        self.assertEqual(
            ds.calls,
            ["shuffle(42)", "filter", "filter", "select(7)", "select(7)", "concatenate", "shuffle(42)"],
        )
        self.assertEqual(Counter(r["answer"] for r in out), {True: 7, False: 7})
        # The same result, computed by hand: first n of each class in shuffled order, then
        # [trues + falses] shuffled with the same seed.
        shuffled = list(rows)
        random.Random(42).shuffle(shuffled)
        trues = [r for r in shuffled if r["answer"]][:7]
        falses = [r for r in shuffled if not r["answer"]][:7]
        expected = trues + falses
        random.Random(42).shuffle(expected)
        self.assertEqual(out.rows, expected)

    def test_filter_is_identity_based(self):
        # The seed filtered with `is True`/`is False`: strings never count as a class.
        ds = FakeDataset([{"answer": True}, {"answer": False}, {"answer": "true"}])
        self.assertEqual(len(balance(ds, 1, concatenate)), 2)


class EnvRowsTest(unittest.TestCase):
    def test_to_env_row(self):
        t = load_template("boolq-passage-v1")
        row = read_boolq_jsonl(SUPERGLUE_FIXTURE)[4]
        env_row = to_env_row(row, t)
        self.assertEqual(list(env_row), ["question", "answer", "info", "task"])
        self.assertEqual(env_row["question"], t.render(row["question"], row["passage"]))
        self.assertIn("Question: does the passage contain {instructions}?", env_row["question"])
        self.assertEqual(env_row["answer"], "true")
        self.assertEqual(env_row["info"], {"example_id": example_id(row["question"], row["passage"])})
        self.assertEqual(env_row["task"], "calibrated-qa")

    def test_build_dataset_local_and_hub(self):
        t = load_template("boolq-passage-v1")
        hub_rows = [
            {"question": r["question"], "answer": r["answer"], "passage": r["passage"]}
            for r in read_boolq_jsonl(HF_FIXTURE)
        ]
        fake = fake_datasets_module(hub_rows)
        with mock.patch.dict(sys.modules, {"datasets": fake}):
            local = build_dataset(t, dataset_path=str(SUPERGLUE_FIXTURE), seed=42)
            hub = build_dataset(t, dataset_split="train", seed=42)
            unbalanced = build_dataset(t, dataset_path=str(HF_FIXTURE), balanced=False)
        self.assertEqual(fake.load_calls, [("google/boolq", "train")])
        self.assertEqual(len(local), 4)  # 2 NO items -> 2 + 2
        self.assertEqual(Counter(r["answer"] for r in local), {"true": 2, "false": 2})
        # Same items, same seed, same procedure: identical env rows from either source.
        self.assertEqual(local.rows, hub.rows)
        self.assertEqual([r["answer"] for r in unbalanced], ["true", "true", "false", "false", "true", "true"])
        for r in local:
            self.assertEqual(set(r), {"question", "answer", "info", "task"})
            self.assertTrue(r["info"]["example_id"].startswith("boolq-"))


if __name__ == "__main__":
    unittest.main()
