import { codePointLength, codePointPrefix } from '../text/python-text.js';

/**
 * A versioned prompt, stored as data in configs/prompts/<name>.json. A model trained on a prompt
 * must be evaluated on the same bytes, so templates are never edited: a change is a new name.
 */
export interface PromptTemplate {
  name: string;
  description: string;
  instructions: string;
  /** With {instructions}, {passage} and {question} placeholders, substituted in one pass. */
  template: string;
  /** Passages longer than this many characters are cut and get `passageEllipsis`; null: never cut. */
  passageMaxChars: number | null;
  passageEllipsis: string;
}

export interface PromptInput {
  question: string;
  passage?: string | null;
}

const PLACEHOLDER = /\{(instructions|passage|question)\}/g;

/** The passage as the seed put it in the prompt: cut to the first N characters plus '...'. */
export function cutPassage(passage: string, template: PromptTemplate): string {
  const max = template.passageMaxChars;
  if (max === null || codePointLength(passage) <= max) return passage;
  return codePointPrefix(passage, max) + template.passageEllipsis;
}

/** The user message for one question, byte-exact with the seed's f-string. */
export function renderPrompt(template: PromptTemplate, input: PromptInput): string {
  const values: Record<string, string> = {
    instructions: template.instructions,
    passage: cutPassage(input.passage ?? '', template),
    question: input.question,
  };
  return template.template.replace(PLACEHOLDER, (_, key: string) => values[key]!);
}

/** Problems with a template loaded from disk, one message each; empty when it is usable. */
export function promptTemplateErrors(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['template must be a JSON object'];
  const t = value as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of ['name', 'description', 'instructions', 'template', 'passageEllipsis']) {
    if (typeof t[key] !== 'string') errors.push(`${key} must be a string`);
  }
  const max = t['passageMaxChars'];
  if (max !== null && !(Number.isInteger(max) && (max as number) > 0)) {
    errors.push('passageMaxChars must be a positive integer or null');
  }
  if (typeof t['template'] === 'string' && !t['template'].includes('{question}')) {
    errors.push('template must contain {question}');
  }
  return errors;
}
