import 'reflect-metadata';

import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';

import { flattenValidationErrors, RUN_REQUEST_VALIDATOR_OPTIONS } from '../runs/validate-run-request.js';
import { AgentHeartbeatDto } from './agent-heartbeat.dto.js';
import { relativePathProblem, utf8Bytes } from './agent-limits.js';
import { FinishRunDto } from './finish-run.dto.js';
import { RegisterAgentDto } from './register-agent.dto.js';
import { AppendRunLogsDto } from './run-logs.dto.js';

const LEASE = '6f1c1a52-4a8e-4d43-9a3f-1f1d2b3c4d5e';

/** The problems' paths, as the API's global ValidationPipe reports them. */
function problems<T extends object>(cls: new () => T, body: unknown): string[] {
  const errors = validateSync(plainToInstance(cls, body) as object, RUN_REQUEST_VALIDATOR_OPTIONS);
  return flattenValidationErrors(errors).map((e) => e.path);
}

const gpu = {
  index: 0,
  uuid: 'GPU-1',
  name: 'A100',
  memoryTotalMiB: 80,
  memoryUsedMiB: 0,
  driverVersion: '550',
};

describe('relativePathProblem', () => {
  it.each([
    ['outputs/checkpoints/step_20/trainer', null],
    ['weights/step_5', null],
    ['../etc', 'must not contain ".." segments'],
    ['a/../../b', 'must not contain ".." segments'],
    ['/abs/path', 'must be relative to the run directory'],
    ['C:/x', 'must be relative to the run directory'],
    ['a\\b', 'must use / as separator'],
    ['a//b', 'must not contain empty or "." segments'],
    ['./a', 'must not contain empty or "." segments'],
    ['a/\u0000', 'must not contain control characters'],
    ['', 'must not be empty'],
  ])('%j → %j', (path, problem) => {
    expect(relativePathProblem(path)).toBe(problem);
  });

  it('allows names that merely contain dots', () => {
    expect(relativePathProblem('step..5/a.b')).toBeNull();
  });
});

describe('utf8Bytes', () => {
  it('counts like Buffer.byteLength, surrogate pairs included', () => {
    for (const text of ['', 'abc', 'é', '€', '😀', 'a😀é€', '\ud800x']) {
      expect(utf8Bytes(text), text).toBe(Buffer.byteLength(text, 'utf8'));
    }
  });
});

describe('the agent DTOs', () => {
  it('accept a registration and refuse repeated GPU indices, unknown fields and upper-case labels', () => {
    const ok = { name: 'gpu-01', hostname: 'gpu-01.lan', version: '0.1.0', labels: ['a100'], gpus: [gpu] };
    expect(problems(RegisterAgentDto, ok)).toEqual([]);
    expect(problems(RegisterAgentDto, { ...ok, gpus: [gpu, gpu] })).toEqual(['gpus']);
    expect(problems(RegisterAgentDto, { ...ok, labels: ['A100'] })).toEqual(['labels']);
    expect(problems(RegisterAgentDto, { ...ok, token: 'x' })).toEqual(['token']);
    expect(problems(RegisterAgentDto, { ...ok, gpus: [{ ...gpu, index: 64 }] })).toEqual(['gpus.0.index']);
  });

  it('refuse a heartbeat that reports one run twice', () => {
    const run = { runId: LEASE, leaseToken: LEASE };
    expect(problems(AgentHeartbeatDto, { incarnation: LEASE, gpus: [], runs: [run] })).toEqual([]);
    expect(problems(AgentHeartbeatDto, { incarnation: LEASE, gpus: [], runs: [run, run] })).toEqual(['runs']);
  });

  it('bound log batches: lines, bytes per line (UTF-8), no NUL', () => {
    const batch = { leaseToken: LEASE, attempt: 1, stream: 'stdout', firstSeq: 0 };
    expect(problems(AppendRunLogsDto, { ...batch, lines: ['€'.repeat(5461)] })).toEqual([]); // 16,383 bytes
    expect(problems(AppendRunLogsDto, { ...batch, lines: ['€'.repeat(5462)] })).toEqual(['lines']); // 16,386
    expect(problems(AppendRunLogsDto, { ...batch, lines: [] })).toEqual(['lines']);
    expect(problems(AppendRunLogsDto, { ...batch, lines: Array(5001).fill('') })).toEqual(['lines']);
    expect(problems(AppendRunLogsDto, { ...batch, lines: ['a\u0000'] })).toEqual(['lines']);
    expect(problems(AppendRunLogsDto, { ...batch, firstSeq: -1, lines: ['a'] })).toEqual(['firstSeq']);
  });

  it('require an error for a failed finish, and bound its stderr tail to 8 KiB', () => {
    expect(problems(FinishRunDto, { leaseToken: LEASE, outcome: 'succeeded', exitCode: 0 })).toEqual([]);
    expect(problems(FinishRunDto, { leaseToken: LEASE, outcome: 'failed', exitCode: 1 })).toEqual(['error']);
    const error = { message: 'boom', retryable: false, stderrTail: 'x'.repeat(8 * 1024 + 1) };
    expect(problems(FinishRunDto, { leaseToken: LEASE, outcome: 'failed', error })).toEqual([
      'error.stderrTail',
    ]);
    expect(problems(FinishRunDto, { leaseToken: LEASE, outcome: 'cancelled', signal: 'SIGINT' })).toEqual([]);
    expect(problems(FinishRunDto, { leaseToken: LEASE, outcome: 'cancelled', signal: 'kill' })).toEqual([
      'signal',
    ]);
  });
});
