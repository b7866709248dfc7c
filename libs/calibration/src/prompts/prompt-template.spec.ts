import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { promptTemplateErrors, renderPrompt, type PromptTemplate } from './prompt-template.js';

const load = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../../configs/prompts/${name}.json`, import.meta.url), 'utf8'),
  ) as PromptTemplate;

// docs/seed-spec.md §1, byte for byte.
const SEED_INSTRUCTIONS = `Read the passage below, then answer the question.
First, reason about the answer in 1-3 sentences.
Then, write your final answer on a new line in this exact format:
ANSWER: YES with XX% probability
or
ANSWER: NO with XX% probability
where XX is your confidence from 0 to 100. Only give ONE answer line.

Example:
Passage: Persian, also known as Farsi, is one of the Western Iranian languages. Dari is the variety of Persian spoken in Afghanistan.
Question: Do Iran and Afghanistan speak the same language?
Reasoning: The passage says Dari is a variety of Persian/Farsi. Since Dari is a variety of the same language, they essentially speak the same language, though the dialects differ. I'm quite confident.
ANSWER: YES with 90% probability

Example:
Passage: The Elder Scrolls Online is a massively multiplayer online role-playing game. Skyrim is the fifth installment in The Elder Scrolls series, a single-player RPG.
Question: Is Elder Scrolls Online the same as Skyrim?
Reasoning: The passage clearly states ESO is an MMO while Skyrim is a single-player RPG. They are different games in the same franchise.
ANSWER: NO with 95% probability
`;

describe('prompt templates', () => {
  const passageTemplate = load('boolq-passage-v1');

  it("renders the seed's passage prompt byte for byte", () => {
    expect(passageTemplate.instructions).toBe(SEED_INSTRUCTIONS);
    expect(renderPrompt(passageTemplate, { passage: 'P.', question: 'is it q' })).toBe(
      `${SEED_INSTRUCTIONS}\nPassage: P.\n\nQuestion: is it q?`,
    );
  });

  it('cuts passages over 1,500 characters (code points) and adds ...', () => {
    const long = '😀'.repeat(1499) + 'ab';
    const prompt = renderPrompt(passageTemplate, { passage: long, question: 'q' });
    expect(prompt).toContain(`Passage: ${'😀'.repeat(1499)}a...\n`);
    const exact = 'x'.repeat(1500);
    expect(renderPrompt(passageTemplate, { passage: exact, question: 'q' })).toContain(
      `${exact}\n\nQuestion`,
    );
  });

  it('substitutes placeholders once: a passage mentioning {question} stays as written', () => {
    const prompt = renderPrompt(passageTemplate, {
      passage: 'see {question} and {instructions}',
      question: 'q',
    });
    expect(prompt).toContain('Passage: see {question} and {instructions}\n');
  });

  it('has a no-passage variant whose example says 80%', () => {
    const noPassage = load('boolq-no-passage-v1');
    const prompt = renderPrompt(noPassage, { question: 'is the sky blue' });
    expect(prompt).toMatch(/^Answer the following question\.\n/);
    expect(prompt).toContain('ANSWER: YES with 80% probability');
    expect(prompt).not.toContain('Passage:');
    expect(prompt.endsWith('\n\nQuestion: is the sky blue?')).toBe(true);
    expect(promptTemplateErrors(noPassage)).toEqual([]);
  });

  it('names what is wrong with a malformed template', () => {
    expect(promptTemplateErrors({ name: 'x', template: 'no placeholder', passageMaxChars: -1 })).toEqual([
      'description must be a string',
      'instructions must be a string',
      'passageEllipsis must be a string',
      'passageMaxChars must be a positive integer or null',
      'template must contain {question}',
    ]);
  });
});
