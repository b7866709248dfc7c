import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  classifyOrchestratorLine,
  OrchestratorLogParser,
  parseDuration,
  parseOrchestratorLine,
  readOrchestratorLog,
  type OrchestratorEvent,
} from './orchestrator-log.js';

const SEED_LOG = new URL('../../../examples/seed-run/orchestrator.stdout', import.meta.url).pathname;

/** The stored copy's length, and the original's (examples/seed-run/README.md). */
const ORIGINAL_LENGTH = 70_310;
const ORIGINAL_CARRIAGE_RETURNS = 200;

const LOGURU_LINE = /^(\d{2}:\d{2}:\d{2}) ( *(?:INFO|SUCCESS|WARNING)) (.*)$/;
const LEVEL_COLOUR: Record<string, string> = {
  INFO: '\x1b[1m',
  SUCCESS: '\x1b[32m\x1b[1m',
  WARNING: '\x1b[33m\x1b[1m',
};
const TQDM_START =
  /(?:Generating rollouts \(train\)|Generating train split|Generating validation split|Filter|Map): +\d+%\|/g;

/**
 * The live log rebuilt from the stored copy: loguru's colours as prime-rl's format renders them
 * (`<dim>{time}</dim> <level>{level: >7}</level> <level>\x1b[22m{message}\x1b[0m</level>`) and a
 * '\r' before every tqdm update.
 */
function liveVariant(stored: string): string {
  return stored
    .split('\n')
    .map((line) => {
      const match = LOGURU_LINE.exec(line);
      if (match) {
        const [, time, level = '', message] = match;
        const colour = LEVEL_COLOUR[level.trim()] ?? '';
        return `\x1b[2m${time}\x1b[0m ${colour}${level}\x1b[0m ${colour}\x1b[22m${message}\x1b[0m\x1b[0m`;
      }
      return line.replace(TQDM_START, (start) => `\r${start}`);
    })
    .join('\n');
}

function parseText(text: string): { parser: OrchestratorLogParser; events: OrchestratorEvent[] } {
  const parser = new OrchestratorLogParser();
  const events: OrchestratorEvent[] = [];
  for (const line of text.split('\n')) {
    const event = parser.push(line.replace(/\r$/, ''));
    if (event) events.push(event);
  }
  return { parser, events };
}

let stored = '';
let dir = '';

beforeAll(async () => {
  stored = await readFile(SEED_LOG, 'utf8');
  dir = await mkdtemp(join(tmpdir(), 'orchestrator-log-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readOrchestratorLog on the seed run', () => {
  it('gives exactly 50 steps, 0..49 in order, with the values of the step lines', async () => {
    const log = await readOrchestratorLog(SEED_LOG);
    expect(log.lineCount).toBe(574);
    expect(log.format).toBe('classic');
    expect(log.steps.map((s) => s.step)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(log.steps[0]).toEqual({
      type: 'step',
      format: 'classic',
      step: 0,
      timeSeconds: 8.98,
      reward: 0.3787,
      seqLength: 473.6,
      asyncLevel: 0,
      maxOffPolicyLevel: 0,
      line: 48,
      filtered: { count: 2, total: 1024, reasons: { gibberish: 2 }, enforced: 0 },
      checkpointWaitSeconds: null,
    });
    // 20:52:09 SUCCESS Step 49 | Time: 126.26s | Reward: 0.9110 | Seq. Length: 549.4 tokens/sample | Async Level: 0 | Max. Off-Policy Level: 0
    expect(log.steps[49]).toMatchObject({
      step: 49,
      timeSeconds: 126.26,
      reward: 0.911,
      seqLength: 549.4,
      asyncLevel: 0,
      maxOffPolicyLevel: 0,
      filtered: { count: 10, total: 1024, reasons: { gibberish: 10 } },
    });
    // Step 1: "Orchestrator resumed: checkpoint 1 ready (after 113.12s)", "Detected 1/1024", Max. Off-Policy Level: 1.
    expect(log.steps[1]).toMatchObject({
      timeSeconds: 114,
      reward: 0.3305,
      maxOffPolicyLevel: 1,
      checkpointWaitSeconds: 113.12,
      filtered: { count: 1, total: 1024 },
    });
    // Step 2 logged no "Detected" line: no filter fired.
    expect(log.steps[2]?.filtered).toBeNull();
    expect(log.steps.filter((s) => s.filtered !== null)).toHaveLength(49);
    expect(log.steps.every((s) => s.format === 'classic' && s.throughput === undefined)).toBe(true);
    expect(log.finished).toBe(true);
    expect(log.failures).toEqual([]);
    expect(log.errors).toEqual([]);
    expect(log.maxSteps).toBe(50);
    expect(log.resumedFromStep).toBeNull();
    // Only the verifiers print "The parser and rubric parser are different. …" is unknown.
    expect(log.unknownLineCount).toBe(1);
    expect(log.unknownLines[0]).toMatchObject({ line: 22, reason: 'unrecognised' });
  });

  it('emits the other events of the run', () => {
    const { events } = parseText(stored);
    const count = (type: OrchestratorEvent['type']) => events.filter((e) => e.type === type).length;
    expect(count('step')).toBe(50);
    expect(count('stepStarted')).toBe(50);
    expect(count('filtered')).toBe(49);
    expect(count('checkpointWait')).toBe(49);
    expect(count('checkpointReady')).toBe(49);
    expect(count('envLogWrite')).toBe(48);
    expect(count('fromScratch')).toBe(1);
    expect(count('loopStarted')).toBe(1);
    expect(count('finished')).toBe(1);
    expect(events.find((e) => e.type === 'envLogWrite')).toEqual({
      type: 'envLogWrite',
      time: null,
      level: null,
      env: 'calibrated_qa',
      records: 1000,
      path: '/root/outputs/calibrated-qa-gemma2-2b/rl/generations.jsonl',
    });
    expect(events.find((e) => e.type === 'checkpointWait')).toEqual({
      type: 'checkpointWait',
      time: '19:07:17',
      level: 'INFO',
      checkpoint: 1,
      maxAsyncLevel: 0,
    });
    expect(events.find((e) => e.type === 'finished')).toEqual({
      type: 'finished',
      time: '20:52:11',
      level: 'SUCCESS',
      by: 'orchestrator',
    });
    expect(events[events.length - 1]?.type).toBe('finished');
  });

  it('tracks the current step while streaming', () => {
    const parser = new OrchestratorLogParser();
    const seen: Array<[number | null, number | null]> = [];
    for (const line of stored.split('\n')) {
      const event = parser.push(line);
      if (event?.type === 'stepStarted' || event?.type === 'step') {
        seen.push([parser.currentStep, parser.lastCompletedStep]);
      }
    }
    expect(seen.slice(0, 4)).toEqual([
      [0, null],
      [0, 0],
      [1, 0],
      [1, 1],
    ]);
    expect(parser.lastCompletedStep).toBe(49);
  });
});

describe('the live form of the seed log (ANSI colours, \\r between tqdm updates)', () => {
  it('is rebuilt to the original length', () => {
    const live = liveVariant(stored);
    expect(live.split('\r')).toHaveLength(ORIGINAL_CARRIAGE_RETURNS + 1);
    expect(live).toContain(
      '\x1b[2m19:07:16\x1b[0m \x1b[32m\x1b[1mSUCCESS\x1b[0m \x1b[32m\x1b[1m\x1b[22mStep 0 |',
    );
    expect(live.length).toBe(ORIGINAL_LENGTH);
  });

  it('gives identical events and summary', async () => {
    const live = liveVariant(stored);
    const plain = parseText(stored);
    const coloured = parseText(live);
    expect(coloured.events).toEqual(plain.events);
    expect(coloured.parser.summary()).toEqual(plain.parser.summary());

    const path = join(dir, 'orchestrator.stdout');
    await writeFile(path, live.replaceAll('\n', '\r\n'));
    const fromFile = await readOrchestratorLog(path);
    expect(fromFile.steps).toEqual((await readOrchestratorLog(SEED_LOG)).steps);
    expect(fromFile.unknownLineCount).toBe(1);

    const gz = join(dir, 'orchestrator.stdout.gz');
    await writeFile(gz, gzipSync(live));
    expect((await readOrchestratorLog(gz)).steps).toHaveLength(50);
  });

  it('gives identical events when fed in arbitrary chunks', () => {
    const live = liveVariant(stored);
    const plain = parseText(stored);
    const parser = new OrchestratorLogParser();
    const events: OrchestratorEvent[] = [];
    for (let i = 0; i < live.length; i += 997) events.push(...parser.feed(live.slice(i, i + 997)));
    events.push(...parser.flush());
    expect(events).toEqual(plain.events);
    expect(parser.lineCount).toBe(574);
  });

  it('finds a record or print glued after a tqdm bar (carriage returns lost, newline missing)', () => {
    const lines = stored.split('\n');
    const glued: string[] = [];
    let previousIsBar = false;
    for (const line of lines) {
      if (previousIsBar && line !== '') {
        glued[glued.length - 1] += line;
        previousIsBar = false;
      } else {
        glued.push(line);
        previousIsBar = line.startsWith('Generating rollouts');
      }
    }
    expect(glued.length).toBe(lines.length - 50);
    const plain = parseText(stored).events;
    expect(parseText(glued.join('\n')).events).toEqual(plain);
    expect(parseText(liveVariant(glued.join('\n'))).events).toEqual(plain);
    expect(
      parseOrchestratorLine(
        'Generating rollouts (train): 100%|██████████| 1024/1024 [00:00<00:00, 14084.54it/s]\r' +
          '\x1b[2m20:52:09\x1b[0m \x1b[32m\x1b[1mSUCCESS\x1b[0m \x1b[32m\x1b[1m\x1b[22mStep 49 | Time: 126.26s | Reward: 0.9110 | ' +
          'Seq. Length: 549.4 tokens/sample | Async Level: 0 | Max. Off-Policy Level: 0\x1b[0m\x1b[0m',
      ),
    ).toMatchObject({ type: 'step', step: 49, time: '20:52:09', level: 'SUCCESS', reward: 0.911 });
  });
});

describe('garbage and truncated lines', () => {
  it('are ignored and counted', () => {
    const lines = stored.split('\n');
    const step5 = lines.findIndex((l) => l.includes('SUCCESS Step 5 |'));
    const full = lines[step5] ?? '';
    const damaged = [
      ...lines.slice(0, step5),
      full.slice(0, full.indexOf('Seq. Length') + 8), // truncated inside the step line
      '\x00\x00garbage \u{1F4A9} ~~~',
      '19:07:1',
      'Step 5 | Time: 9.12s | Reward: 0.4x01 | Seq. Length: 1 tokens/sample | Async Level: 0 | Max. Off-Policy Level: 0',
      '{"not": "a loguru record"}',
      '{broken json',
      ...lines.slice(step5 + 1),
    ];
    const { parser } = parseText(damaged.join('\n'));
    const summary = parser.summary();
    expect(summary.steps.map((s) => s.step)).toEqual([
      ...Array.from({ length: 5 }, (_, i) => i),
      ...Array.from({ length: 44 }, (_, i) => i + 6),
    ]);
    expect(summary.unknownLineCount).toBe(1 + 6);
    expect(summary.unknownLines.map((u) => u.reason)).toEqual([
      'unrecognised',
      'malformed-step',
      'unrecognised',
      'unrecognised',
      'malformed-step',
      'unrecognised',
      'unrecognised',
    ]);
    // Step 6's "Detected" line is attached to step 6, not carried over from the broken step 5.
    expect(summary.steps[5]?.step).toBe(6);
  });

  it('stay fast on very long lines', () => {
    const started = performance.now();
    expect(classifyOrchestratorLine('x'.repeat(500_000)).kind).toBe('unknown');
    expect(classifyOrchestratorLine('a: b '.repeat(100_000)).kind).toBe('unknown');
    expect(classifyOrchestratorLine('Map: 3%|▎ | 1/2 ['.repeat(20_000)).kind).toBe('noise');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('keeps noise out of the unknown count', () => {
    for (const line of [
      '',
      '   ',
      'wandb: Run history:',
      '/root/prime-rl/.venv/lib/python3.12/site-packages/tyro/_resolver.py:600: TyroWarning: <class …>',
      '  warnings.warn(',
      '\rGenerating rollouts (train):   0%|          | 0/1024 [00:00<?, ?it/s]\rGenerating rollouts (train):  50%|█████     | 512/1024 [00:02<00:02, 200.1it/s]',
      'Map: 100%|██████████| 7106/7106 [00:00<00:00, 12706.73 examples/s]',
      'Map:  21%|██▏       | 1521/7106 [00:00<00:0',
      'Processing: 12it [00:01, 9.87it/s]',
      '{"timestamp": "2026-08-21T10:00:00.1+00:00", "level": "INFO", "type": "progress", "desc": "x", "current": 1, "total": 2, "percent": 50}',
      '  ╰─ calibrated-qa | Ratio 100.0% | Reward 0.5000',
    ]) {
      expect(classifyOrchestratorLine(line).kind, JSON.stringify(line)).toBe('noise');
    }
    expect(classifyOrchestratorLine('19:06:04    INFO Starting orchestrator')).toEqual({
      kind: 'log',
      time: '19:06:04',
      level: 'INFO',
      message: 'Starting orchestrator',
    });
  });
});

describe('HEAD-format step lines', () => {
  it('parse into the same step event with format head', () => {
    expect(
      parseOrchestratorLine(
        '\x1b[2m10:04:31\x1b[0m \x1b[32m\x1b[1mSUCCESS\x1b[0m \x1b[32m\x1b[1m\x1b[22mStep 12 |   1m 5s | Reward 0.1234 | ' +
          'Trainable 900/1024 (87.9%) | Turns 1.0 | Branches 1.0 | Max Off-Policy 1 | Error 0.0% | Cancelled 0.5% | Truncation 2.1%\x1b[0m\x1b[0m',
      ),
    ).toEqual({
      type: 'step',
      format: 'head',
      time: '10:04:31',
      level: 'SUCCESS',
      step: 12,
      timeSeconds: 65,
      reward: 0.1234,
      trainable: { count: 900, total: 1024 },
      turns: 1,
      branches: 1,
      maxOffPolicyLevel: 1,
      errorRate: 0,
      cancelledRate: 0.005,
      truncationRate: 0.021,
    });
    // v0.6.0's shorter line, a sub-minute duration padded to 7, and a sub-second one.
    expect(
      parseOrchestratorLine(
        '10:00:01 SUCCESS Step 1 |    8.9s | Reward 0.5000 | Trainable 8/8 (100.0%) | Turns 1.0 | Max Off-Policy 0 | Error 0.0% | Truncation 0.0%',
      ),
    ).toMatchObject({ format: 'head', step: 1, timeSeconds: 8.9, reward: 0.5, maxOffPolicyLevel: 0 });
    expect(parseOrchestratorLine('10:00:01 SUCCESS Step 3 |   850ms | Reward 0.2500')).toMatchObject({
      step: 3,
      timeSeconds: 0.85,
      reward: 0.25,
    });
  });

  it('reads durations the way prime-rl writes them', () => {
    expect(parseDuration('850ms')).toBe(0.85);
    expect(parseDuration('   8.9s')).toBe(8.9);
    expect(parseDuration('1m 5s')).toBe(65);
    expect(parseDuration('2h 3m')).toBe(7380);
    expect(parseDuration('1d 3h')).toBe(97200);
    expect(parseDuration('1m5s')).toBeNull();
    expect(parseDuration('')).toBeNull();
  });

  it('reads loguru JSON lines and a tagged or DEBUG-suffixed message', () => {
    expect(
      parseOrchestratorLine(
        JSON.stringify({
          timestamp: '2026-08-21T10:04:31.123456+00:00',
          level: 'SUCCESS',
          message: 'Step 2 | 12s | Reward 0.7000 | Trainable 10/16 (62.5%)',
          module: 'orchestrator',
          function: 'log_train_batch',
          line: 880,
        }),
      ),
    ).toMatchObject({
      type: 'step',
      format: 'head',
      time: '10:04:31',
      step: 2,
      timeSeconds: 12,
      reward: 0.7,
    });
    expect(
      parseOrchestratorLine(
        '10:00:00   DEBUG [orchestrator] Starting orchestrator step 7 [orchestrator.py::324]',
      ),
    ).toEqual({ type: 'stepStarted', time: '10:00:00', level: 'DEBUG', step: 7 });
  });

  it('tell a trainer step line apart', () => {
    const trainer = '10:00:00 SUCCESS Step 3 | 5.2s | Loss 0.0012 | Entropy 0.4 | LR 1.00e-06';
    expect(classifyOrchestratorLine(trainer).kind).toBe('log');
    const classic =
      '10:00:00 SUCCESS Step 3 | Time: 5.20s | Loss: 0.0012 | Entropy: 0.4000 | Grad. Norm: 0.1 | LR: 1.00e-06';
    expect(classifyOrchestratorLine(classic).kind).toBe('log');
  });
});

describe('v0.4.0 classic variants', () => {
  it('parse Val. Reward and Throughput', () => {
    expect(
      parseOrchestratorLine(
        '09:00:00 SUCCESS Step 3 | Time: 10.50s | Reward: 0.4000 | Val. Reward: 0.4200 | Throughput: 1234.5 tokens/s | ' +
          'Seq. Length: 480.0 tokens/sample | Async Level: 1 | Max. Off-Policy Level: 1',
      ),
    ).toEqual({
      type: 'step',
      format: 'classic',
      time: '09:00:00',
      level: 'SUCCESS',
      step: 3,
      timeSeconds: 10.5,
      reward: 0.4,
      valReward: 0.42,
      throughput: 1234.5,
      seqLength: 480,
      asyncLevel: 1,
      maxOffPolicyLevel: 1,
    });
  });

  it('parse filters with several reasons and enforcement', () => {
    expect(
      parseOrchestratorLine(
        '19:07:16    INFO Detected 5/1024 rollouts (gibberish=2, repetition=3), enforced 5',
      ),
    ).toEqual({
      type: 'filtered',
      time: '19:07:16',
      level: 'INFO',
      count: 5,
      total: 1024,
      reasons: { gibberish: 2, repetition: 3 },
      enforced: 5,
    });
  });
});

describe('start, finish and failure lines', () => {
  it('recognise the launcher and orchestrator lines', () => {
    expect(parseOrchestratorLine('20:52:11 SUCCESS RL training finished!')).toMatchObject({
      type: 'finished',
      by: 'launcher',
    });
    expect(parseOrchestratorLine('20:52:11 SUCCESS Training finished!')).toMatchObject({ by: 'launcher' });
    expect(
      parseOrchestratorLine(
        '\x1b[2m20:52:11\x1b[0m \x1b[32m\x1b[1mSUCCESS\x1b[0m \x1b[32m\x1b[1m\x1b[22mOrchestrator finished.\x1b[0m\x1b[0m',
      ),
    ).toMatchObject({ by: 'orchestrator' });
    expect(parseOrchestratorLine('19:30:00   ERROR Error: Orchestrator failed with exit code 1')).toEqual({
      type: 'failed',
      time: '19:30:00',
      level: 'ERROR',
      process: 'Orchestrator',
      exitCode: 1,
    });
    expect(parseOrchestratorLine('19:30:00   ERROR Trainer failed with exit code -9')).toMatchObject({
      process: 'Trainer',
      exitCode: -9,
    });
    expect(parseOrchestratorLine('Error: Inference failed with exit code 137')).toMatchObject({
      type: 'failed',
      time: null,
      process: 'Inference',
      exitCode: 137,
    });
    expect(parseOrchestratorLine('19:30:00   ERROR Terminating all processes...')).toEqual({
      type: 'error',
      time: '19:30:00',
      level: 'ERROR',
      message: 'Terminating all processes...',
    });
    expect(parseOrchestratorLine('10:00:00    INFO Resuming training from checkpoint step 20')).toMatchObject(
      {
        type: 'resumed',
        fromStep: 20,
      },
    );
    expect(
      parseOrchestratorLine('10:00:00    INFO Resuming orchestrator from checkpoint step 20'),
    ).toMatchObject({
      type: 'resumed',
      fromStep: 20,
    });
    expect(
      parseOrchestratorLine(
        '10:00:00    INFO Resuming from step 30, cleaning future rollouts and broadcasts',
      ),
    ).toMatchObject({ type: 'resumed', fromStep: 30 });
    expect(
      parseOrchestratorLine('10:00:00    INFO Training from scratch. Resetting weights to base model'),
    ).toMatchObject({ type: 'fromScratch' });
  });

  it('summarise a failed run and a resumed one', () => {
    const stepLine = (n: number) =>
      `10:00:0${n} SUCCESS Step ${n} | Time: 1.00s | Reward: 0.${n}000 | Seq. Length: 400.0 tokens/sample | Async Level: 0 | Max. Off-Policy Level: 0`;
    const { parser } = parseText(
      [
        stepLine(0),
        stepLine(1),
        stepLine(2),
        '10:00:05   ERROR Error: Orchestrator failed with exit code 1',
        'Traceback (most recent call last):',
        '10:00:06    INFO Resuming training from checkpoint step 1',
        stepLine(1),
        stepLine(2),
        stepLine(3),
      ].join('\n'),
    );
    const summary = parser.summary();
    expect(summary.finished).toBe(false);
    expect(summary.failures).toMatchObject([{ process: 'Orchestrator', exitCode: 1 }]);
    expect(summary.resumedFromStep).toBe(1);
    expect(summary.steps.map((s) => [s.step, s.line])).toEqual([
      [0, 1],
      [1, 7],
      [2, 8],
      [3, 9],
    ]);
    expect(summary.unknownLineCount).toBe(1);
  });
});
