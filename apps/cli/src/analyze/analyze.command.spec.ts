import { scoreCompletion } from '@brier/calibration';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bufferedIo } from '../../test/buffered-io.js';
import { runCli } from '../program.js';

const SEED_CSV = new URL('../../../../examples/seed-run/calibration_metrics.csv', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'brier-analyze-'));

/** A generations.jsonl in the seed's format: `steps` blocks of `perStep` rollouts. */
function generationsFile(
  name: string,
  steps: number,
  perStep: number,
  extraLines: Record<number, string> = {},
) {
  const lines: string[] = [];
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < perStep; i++) {
      const truth = i % 2 === 0 ? 'true' : 'false';
      const completion = `${'Reasoning goes here. '.repeat(20 + s)}\nANSWER: YES with ${(s * 10 + i * 7) % 101}% probability`;
      const score = scoreCompletion(completion, truth);
      lines.push(
        JSON.stringify({
          full_prompt: '[user] q\n',
          ground_truth: truth,
          p_yes: score.pYes,
          p_yes_extracted: score.pYesExtracted,
          parseable: score.parseable,
          brier_score: score.brier,
          reward: score.reward,
          length_penalty: score.lengthPenalty,
          approx_tokens: score.approxTokens,
          parsed_answer: score.answerText,
          full_completion: `[assistant] ${completion}\n`,
        }),
      );
    }
  }
  for (const [at, text] of Object.entries(extraLines)) lines.splice(Number(at) - 1, 0, text);
  const path = join(dir, name);
  const body = `${lines.join('\n')}\n`;
  writeFileSync(path, name.endsWith('.gz') ? gzipSync(body) : body);
  return path;
}

async function analyze(...args: string[]) {
  const io = bufferedIo();
  const code = await runCli(['analyze', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('brier analyze', () => {
  it("reproduces the seed's step 0 and 49 from its CSV as JSON", async () => {
    const { code, out, err } = await analyze(SEED_CSV, '--format', 'json');
    expect(code).toBe(0);
    const rows = JSON.parse(out) as Record<string, number | null>[];
    expect(rows).toHaveLength(50);
    expect(Object.keys(rows[0]!).slice(0, 10)).toEqual([
      'step',
      'n',
      'parse_rate',
      'reward',
      'brier',
      'ece',
      'ece_top_label',
      'mce',
      'accuracy',
      'mean_length',
    ]);
    expect(rows[0]!['reward']).toBeCloseTo(0.3688109115600598, 12);
    expect(rows[49]!['ece']).toBeCloseTo(0.04017578124999965, 12);
    expect(rows[49]!['mean_length']).toBeNull();
    expect(err).toContain('parse_rate is inferred');
  });

  it('writes CSV with the documented header and a table by default', async () => {
    const csv = await analyze(SEED_CSV, '--format', 'csv', '--max-steps', '3');
    expect(csv.out.split('\n')[0]).toBe(
      'step,n,parse_rate,reward,brier,ece,ece_top_label,mce,accuracy,mean_length',
    );
    expect(csv.out.trim().split('\n')).toHaveLength(4);
    const table = await analyze(SEED_CSV, '--max-steps', '2');
    expect(table.out).toMatch(/^step +n +parse_rate/);
    expect(table.out).toContain('0.3688');
  });

  it('groups a generations file by blocks of --batch-size lines, plain or gzipped', async () => {
    const plain = generationsFile('g.jsonl', 3, 16);
    const gz = generationsFile('g.jsonl.gz', 3, 16);
    const a = JSON.parse((await analyze(plain, '--format', 'json', '--batch-size', '16')).out) as {
      n: number;
    }[];
    const b = JSON.parse((await analyze(gz, '--format', 'json', '--batch-size', '16')).out) as {
      n: number;
    }[];
    expect(a.map((r) => r.n)).toEqual([16, 16, 16]);
    expect(b).toEqual(a);
    const halves = JSON.parse(
      (await analyze(plain, '--format', 'json', '--batch-size', '8')).out,
    ) as unknown[];
    expect(halves).toHaveLength(6);
  });

  it('reports malformed lines with their numbers and keeps going', async () => {
    const path = generationsFile('bad.jsonl', 2, 8, {
      3: '{"p_yes": ',
      5: '{"p_yes": 2, "parseable": true}',
    });
    const { code, out, err } = await analyze(path, '--format', 'json', '--batch-size', '8');
    expect(code).toBe(0);
    expect((JSON.parse(out) as { n: number }[]).map((r) => r.n)).toEqual([8, 8]);
    expect(err).toContain('skipped 2 malformed line(s)');
    expect(err).toMatch(/line 3: .*JSON/);
    expect(err).toContain('line 5: ground_truth is missing');
  });

  it("draws the seed's two figures as SVG", async () => {
    const plots = join(dir, 'plots');
    const { code, err } = await analyze(SEED_CSV, '--plots', plots, '--format', 'csv');
    expect(code).toBe(0);
    expect(err).toContain('metrics_over_steps.svg');
    const curves = readFileSync(join(plots, 'calibration_curves.svg'), 'utf8');
    expect(curves.startsWith('<svg')).toBe(true);
    expect(curves).toContain('Steps 0–4 (n=5120)');
    expect(curves).toContain('Steps 45–49 (n=5120)');
    expect(readFileSync(join(plots, 'metrics_over_steps.svg'), 'utf8')).toContain('Mean Brier score');
  });

  it('rejects bad input with exit code 2 and a message naming the problem', async () => {
    const missing = await analyze(join(dir, 'nope.jsonl'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such file');
    const wrongType = await analyze(join(dir, 'x.txt'));
    expect(wrongType.err).toContain('expected generations.jsonl');
    const badFormat = await analyze(SEED_CSV, '--format', 'xml');
    expect(badFormat.code).toBe(2);
    expect(badFormat.err).toContain('Allowed choices are table, csv, json');
    const badBatch = await analyze(SEED_CSV, '--batch-size', '0');
    expect(badBatch.code).toBe(2);
    expect(badBatch.err).toContain('expected a positive integer, got "0"');
  });
});
