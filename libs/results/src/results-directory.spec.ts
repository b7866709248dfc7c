import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { describeResults, describeResultsDirectory, ResultsSetError } from './results-directory.js';

const SEED_DIR = new URL('../../../examples/seed-run', import.meta.url).pathname;

const file = (name: string) => ({ name, path: `/runs/r1/${name}` });

function errorOf(fn: () => unknown): ResultsSetError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ResultsSetError) return error;
    throw error;
  }
  throw new Error('expected a ResultsSetError');
}

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'results-directory-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('describeResults', () => {
  it('prefers generations over the metrics CSV and lists the rest', () => {
    const result = describeResults([
      file('calibration_metrics.csv'),
      file('orchestrator.stdout'),
      file('generations.jsonl'),
      file('cot_samples.txt'),
      file('notes.md'),
    ]);
    expect(result.rolloutSource).toEqual({
      name: 'generations.jsonl',
      path: '/runs/r1/generations.jsonl',
      kind: 'generations',
      compressed: false,
    });
    expect(result.rolloutsHaveText).toBe(true);
    expect(result.metricsCsv?.path).toBe('/runs/r1/calibration_metrics.csv');
    expect(result.orchestratorLog?.path).toBe('/runs/r1/orchestrator.stdout');
    expect(result.cotSamples?.kind).toBe('cotSamples');
    expect(result.files.map((f) => f.name)).toEqual([
      'calibration_metrics.csv',
      'orchestrator.stdout',
      'generations.jsonl',
      'cot_samples.txt',
    ]);
    expect(result.ignored).toEqual([{ ...file('notes.md'), reason: 'not a result file name' }]);
  });

  it('falls back to the metrics CSV, which has no text', () => {
    const result = describeResults([file('calibration_metrics.csv'), file('cot_samples.txt')]);
    expect(result.rolloutSource?.kind).toBe('metricsCsv');
    expect(result.rolloutsHaveText).toBe(false);
    expect(result.generations).toBeNull();
    expect(result.orchestratorLog).toBeNull();
  });

  it('accepts gzipped generations, and reads the plain file when both exist', () => {
    expect(describeResults([file('generations.jsonl.gz')]).rolloutSource).toMatchObject({
      kind: 'generations',
      compressed: true,
    });
    const both = describeResults([file('generations.jsonl.gz'), file('generations.jsonl')]);
    expect(both.rolloutSource?.name).toBe('generations.jsonl');
    expect(both.files.map((f) => f.name)).toEqual(['generations.jsonl']);
    expect(both.ignored).toEqual([
      { ...file('generations.jsonl.gz'), reason: 'superseded by generations.jsonl' },
    ]);
  });

  it('accepts an orchestrator log alone, with no rollout source', () => {
    const result = describeResults([file('orchestrator.stdout')]);
    expect(result.rolloutSource).toBeNull();
    expect(result.orchestratorLog?.kind).toBe('orchestratorLog');
  });

  it('matches names case-sensitively and never guesses', () => {
    const result = describeResults([file('Generations.jsonl'), file('calibration_metrics.csv')]);
    expect(result.rolloutSource?.kind).toBe('metricsCsv');
    expect(result.ignored).toEqual([
      {
        ...file('Generations.jsonl'),
        reason: 'not a result file name (names are case-sensitive: generations.jsonl?)',
      },
    ]);
  });

  it('rejects an empty set', () => {
    const error = errorOf(() => describeResults([]));
    expect(error.code).toBe('empty');
    expect(error.message).toMatch(/No result files given: expected generations\.jsonl/);
  });

  it('rejects a set with no recognised name, naming what it got', () => {
    const error = errorOf(() => describeResults([file('ORCHESTRATOR.STDOUT'), file('rollouts.bin')]));
    expect(error.code).toBe('unrecognised');
    expect(error.message).toContain(
      'None of the 2 file(s) is a prime-rl result (ORCHESTRATOR.STDOUT, rollouts.bin)',
    );
    expect(error.message).toContain('names are case-sensitive (ORCHESTRATOR.STDOUT)');
  });

  it('rejects a set with nothing readable, and duplicate names', () => {
    expect(errorOf(() => describeResults([file('cot_samples.txt')])).code).toBe('no-data');
    const duplicate = errorOf(() =>
      describeResults([
        file('generations.jsonl'),
        { name: 'generations.jsonl', path: '/other/generations.jsonl' },
      ]),
    );
    expect(duplicate.code).toBe('duplicate-name');
  });
});

describe('describeResultsDirectory', () => {
  it('recognises the seed run', async () => {
    const result = await describeResultsDirectory(SEED_DIR);
    expect(result.rolloutSource?.path).toBe(join(SEED_DIR, 'calibration_metrics.csv'));
    expect(result.orchestratorLog?.path).toBe(join(SEED_DIR, 'orchestrator.stdout'));
    expect(result.cotSamples?.name).toBe('cot_samples.txt');
    expect(result.ignored.map((f) => f.name)).toEqual(['README.md']);
  });

  it('lists files only (following links), and rejects a directory without files', async () => {
    const run = join(dir, 'run');
    await mkdir(join(run, 'checkpoints'), { recursive: true });
    await writeFile(join(dir, 'elsewhere.jsonl'), '');
    await symlink(join(dir, 'elsewhere.jsonl'), join(run, 'generations.jsonl'));
    const result = await describeResultsDirectory(run);
    expect(result.rolloutSource?.path).toBe(join(run, 'generations.jsonl'));
    expect(result.ignored).toEqual([]);

    const empty = join(dir, 'empty');
    await mkdir(join(empty, 'logs'), { recursive: true });
    await expect(describeResultsDirectory(empty)).rejects.toMatchObject({ code: 'empty' });
  });
});
