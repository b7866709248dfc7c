"""The rendered prompt equals the seed's literal text, byte for byte."""

from __future__ import annotations

import json
import tempfile
import tomllib
import unittest
from pathlib import Path
from unittest import mock

from calibrated_qa import prompts
from calibrated_qa.prompts import load_template

from .fakes import ENV_DIR, REPO_ROOT

# Pinned from docs/seed-spec.md §1 (the seed's calibrated_qa.py INSTRUCTIONS). Never edit.
SEED_INSTRUCTIONS = (
    "Read the passage below, then answer the question.\n"
    "First, reason about the answer in 1-3 sentences.\n"
    "Then, write your final answer on a new line in this exact format:\n"
    "ANSWER: YES with XX% probability\n"
    "or\n"
    "ANSWER: NO with XX% probability\n"
    "where XX is your confidence from 0 to 100. Only give ONE answer line.\n"
    "\n"
    "Example:\n"
    "Passage: Persian, also known as Farsi, is one of the Western Iranian languages. "
    "Dari is the variety of Persian spoken in Afghanistan.\n"
    "Question: Do Iran and Afghanistan speak the same language?\n"
    "Reasoning: The passage says Dari is a variety of Persian/Farsi. Since Dari is a variety "
    "of the same language, they essentially speak the same language, though the dialects "
    "differ. I'm quite confident.\n"
    "ANSWER: YES with 90% probability\n"
    "\n"
    "Example:\n"
    "Passage: The Elder Scrolls Online is a massively multiplayer online role-playing game. "
    "Skyrim is the fifth installment in The Elder Scrolls series, a single-player RPG.\n"
    "Question: Is Elder Scrolls Online the same as Skyrim?\n"
    "Reasoning: The passage clearly states ESO is an MMO while Skyrim is a single-player RPG. "
    "They are different games in the same franchise.\n"
    "ANSWER: NO with 95% probability\n"
)


def seed_message(passage: str, question: str) -> str:
    """The seed's _build_question, verbatim in behaviour."""
    if len(passage) > 1500:
        passage = passage[:1500] + "..."
    return f"{SEED_INSTRUCTIONS}\nPassage: {passage}\n\nQuestion: {question}?"


class PassageTemplateTest(unittest.TestCase):
    def setUp(self):
        self.t = load_template("boolq-passage-v1")

    def test_instructions_are_the_seeds(self):
        self.assertEqual(self.t.instructions, SEED_INSTRUCTIONS)
        self.assertTrue(self.t.instructions.endswith("probability\n"))
        self.assertEqual(self.t.passage_max_chars, 1500)
        self.assertEqual(self.t.passage_ellipsis, "...")

    def test_render_equals_seed_literal(self):
        passage = "Ethanol fuel is fuel. It burns."
        question = "does ethanol burn"
        got = self.t.render(question=question, passage=passage)
        self.assertEqual(got, seed_message(passage, question))
        self.assertEqual(got.encode("utf-8"), seed_message(passage, question).encode("utf-8"))
        # Spot-check the joins the spec describes: a blank line before Passage, '?' appended.
        self.assertIn("probability\n\nPassage: Ethanol", got)
        self.assertTrue(got.endswith("\n\nQuestion: does ethanol burn?"))

    def test_passage_cut_at_1500(self):
        exact = "a" * 1500
        long = "b" * 1499 + "cd"
        self.assertEqual(self.t.render("q", exact), seed_message(exact, "q"))
        self.assertIn("Passage: " + exact + "\n\n", self.t.render("q", exact))
        got = self.t.render("q", long)
        self.assertEqual(got, seed_message(long, "q"))
        self.assertIn("Passage: " + "b" * 1499 + "c...\n\n", got)

    def test_placeholders_inside_values_are_not_substituted(self):
        passage = "Literal {question} and {instructions} and {passage} and {} and {0} stay."
        question = "is {passage} kept"
        got = self.t.render(question=question, passage=passage)
        self.assertEqual(got, seed_message(passage, question))
        self.assertEqual(got.count("{question}"), 1)

    def test_unicode_and_empty_passage(self):
        for passage in ("Café – naïve ☃", ""):
            self.assertEqual(self.t.render("q", passage), seed_message(passage, "q"))


class NoPassageTemplateTest(unittest.TestCase):
    def test_render(self):
        t = load_template("boolq-no-passage-v1")
        self.assertTrue(t.instructions.startswith("Answer the following question.\n"))
        self.assertIn("ANSWER: YES with 80% probability\n", t.instructions)
        self.assertNotIn("Passage", t.instructions)
        self.assertIsNone(t.passage_max_chars)
        self.assertEqual(t.render("is it", "ignored passage"), f"{t.instructions}\nQuestion: is it?")


class LoaderTest(unittest.TestCase):
    def test_package_folder_first_then_repo(self):
        self.assertEqual(prompts.REPO_PROMPTS_DIR, REPO_ROOT / "configs" / "prompts")
        with tempfile.TemporaryDirectory() as tmp:
            data = json.loads((REPO_ROOT / "configs/prompts/boolq-passage-v1.json").read_text())
            data["instructions"] = "PACKAGED\n"
            (Path(tmp) / "boolq-passage-v1.json").write_text(json.dumps(data))
            with mock.patch.object(prompts, "PACKAGE_PROMPTS_DIR", Path(tmp)):
                self.assertEqual(load_template("boolq-passage-v1").instructions, "PACKAGED\n")
                # Not in the package folder: falls back to the repo's copy.
                self.assertEqual(load_template("boolq-no-passage-v1").name, "boolq-no-passage-v1")

    def test_bad_names_and_missing(self):
        for name in ("../boolq-passage-v1", "a/b", "", ".hidden"):
            with self.subTest(name=name), self.assertRaises(ValueError):
                load_template(name)
        with self.assertRaises(FileNotFoundError):
            load_template("no-such-template-v9")

    def test_name_must_match_file(self):
        with self.assertRaises(ValueError):
            prompts.parse_template({"name": "x", "instructions": "", "template": ""}, expected_name="y")

    def test_wheel_force_include_points_at_the_repo_prompts(self):
        with open(ENV_DIR / "pyproject.toml", "rb") as f:
            project = tomllib.load(f)
        self.assertEqual(project["project"]["name"], "calibrated-qa")
        self.assertIn("verifiers>=0.1.8", project["project"]["dependencies"])
        forced = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
        self.assertEqual(len(forced), 1)
        (source, target), = forced.items()
        self.assertEqual((ENV_DIR / source).resolve(), REPO_ROOT / "configs" / "prompts")
        self.assertEqual(target, "calibrated_qa/prompts")


if __name__ == "__main__":
    unittest.main()
