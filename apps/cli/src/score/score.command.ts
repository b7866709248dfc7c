import {
  lengthPenaltyConfigError,
  scoreCompletion,
  SEED_LENGTH_PENALTY,
  type LengthPenaltyConfig,
} from '@brier/calibration';
import { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CliError, write, type CliIo } from '../cli-io.js';
import { fraction, positiveInteger } from '../options.js';

interface ScoreOptions {
  maxTokens: number;
  lowFraction: number;
  highFraction: number;
}

export function scoreCommand(io: CliIo): Command {
  return new Command('score')
    .description(
      'score completions the seed\'s way: JSONL of {"completion", "answer", "max_tokens"?} in, the same records with parseable, p_yes, brier, length_penalty, reward out',
    )
    .argument('[file]', 'JSONL input (default: standard input)')
    .option(
      '--max-tokens <n>',
      'default max_tokens for records without one',
      positiveInteger,
      SEED_LENGTH_PENALTY.maxTokens,
    )
    .option(
      '--low-fraction <x>',
      'short-answer bound, as a fraction of max_tokens',
      fraction,
      SEED_LENGTH_PENALTY.lowFraction,
    )
    .option(
      '--high-fraction <x>',
      'long-answer bound, as a fraction of max_tokens',
      fraction,
      SEED_LENGTH_PENALTY.highFraction,
    )
    .action((file: string | undefined, options: ScoreOptions) => runScore(file, options, io));
}

function recordError(record: unknown): string | null {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return 'not a JSON object';
  const r = record as Record<string, unknown>;
  if (typeof r['completion'] !== 'string') return '"completion" must be a string';
  if (!('answer' in r)) return '"answer" is missing';
  const maxTokens = r['max_tokens'];
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && (maxTokens as number) > 0)) {
    return '"max_tokens" must be a positive integer';
  }
  return null;
}

export async function runScore(file: string | undefined, options: ScoreOptions, io: CliIo): Promise<void> {
  const base: LengthPenaltyConfig = { ...options };
  const configError = lengthPenaltyConfigError(base);
  if (configError) throw new CliError(configError);
  const input = file === undefined || file === '-' ? io.stdin : createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let number = 0;
  let bad = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      bad++;
      await write(io.stderr, `brier score: line ${number}: not JSON (${(error as Error).message})\n`);
      continue;
    }
    const problem = recordError(record);
    if (problem) {
      bad++;
      await write(io.stderr, `brier score: line ${number}: ${problem}\n`);
      continue;
    }
    const config = { ...base, maxTokens: (record['max_tokens'] as number | undefined) ?? base.maxTokens };
    const score = scoreCompletion(record['completion'] as string, record['answer'], config);
    const out = {
      ...record,
      parseable: score.parseable,
      p_yes: score.pYes,
      brier: score.brier,
      length_penalty: score.lengthPenalty,
      reward: score.reward,
    };
    await write(io.stdout, `${JSON.stringify(out)}\n`);
  }
  if (bad > 0) throw new CliError(`${bad} of ${number} line(s) could not be scored`, 1);
}
