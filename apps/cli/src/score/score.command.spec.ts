import { describe, expect, it } from 'vitest';
import { bufferedIo } from '../../test/buffered-io.js';
import { runCli } from '../program.js';

async function score(stdin: string, ...args: string[]) {
  const io = bufferedIo(stdin);
  const code = await runCli(['score', ...args], io);
  return {
    code,
    lines: io
      .out()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>),
    err: io.err(),
  };
}

describe('brier score', () => {
  it('adds the seed scores to each record, keeping its fields', async () => {
    const input = [
      { id: 'a', completion: 'x'.repeat(238) + 'ANSWER: YES with 80% probability', answer: false },
      { id: 'b', completion: 'ANSWER: NO with 90% probability', answer: 'false', max_tokens: 64 },
    ];
    const { code, lines } = await score(input.map((r) => JSON.stringify(r)).join('\n'));
    expect(code).toBe(0);
    expect(lines[0]).toMatchObject({ id: 'a', parseable: true, p_yes: 0.8, length_penalty: -0.3408203125 });
    expect((lines[0]!['reward'] as number).toFixed(4)).toBe('0.0192');
    expect(lines[1]).toMatchObject({
      id: 'b',
      p_yes: 0.09999999999999998,
      length_penalty: -0.39453125,
      max_tokens: 64,
    });
  });

  it('reports bad lines by number, scores the rest and exits 1', async () => {
    const stdin = [
      '{"completion": "YES with 70%", "answer": true}',
      'not json',
      '{"answer": true}',
      '{"completion": "", "answer": 1, "max_tokens": -3}',
    ].join('\n');
    const { code, lines, err } = await score(stdin);
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(err).toContain('line 2: not JSON');
    expect(err).toContain('line 3: "completion" must be a string');
    expect(err).toContain('line 4: "max_tokens" must be a positive integer');
    expect(err).toContain('3 of 4 line(s) could not be scored');
  });

  it('validates the penalty bounds', async () => {
    const { code, err } = await score('', '--low-fraction', '0.9', '--high-fraction', '0.5');
    expect(code).toBe(2);
    expect(err).toContain('need 0 <= lowFraction < highFraction < 1');
  });
});
