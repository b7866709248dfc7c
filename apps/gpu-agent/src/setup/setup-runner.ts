import { delimiter } from 'node:path';

import { execa } from 'execa';

import { commandLine, formatSetupPlan } from './format-setup-plan.js';
import type { SetupCheck, SetupPlan, SetupStep } from './setup-plan.js';

export interface SetupRunOptions {
  /** Print the plan and run nothing. */
  dryRun: boolean;
  /** Where progress and the steps' output go (a terminal, a log). */
  write: (text: string) => void;
  /** Per step; `uv sync` on a cold cache downloads gigabytes. Default 60 minutes. */
  stepTimeoutMs?: number;
  /** The environment steps start from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export type SetupStepOutcome = 'planned' | 'done' | 'skipped';

export interface SetupRunReport {
  steps: Array<{ id: string; outcome: SetupStepOutcome }>;
}

/** A step failed; the setup stopped there. */
export class SetupStepError extends Error {
  constructor(
    readonly step: SetupStep,
    readonly number: number,
    readonly exitCode: number | undefined,
    readonly outputTail: string,
    reason: string,
  ) {
    super(
      `setup step ${number} (${step.id}: ${step.description}) failed: ${reason}\n` +
        `  $ ${commandLine(step.command, step.args)}${outputTail ? `\n${outputTail}` : ''}`,
    );
    this.name = 'SetupStepError';
  }
}

const DEFAULT_STEP_TIMEOUT_MS = 60 * 60 * 1000;
const TAIL_CHARS = 4000;

/**
 * Run the plan step by step (or, with dryRun, only print it). Each step is one execa call with an
 * argument array, never a shell; the first failure stops the setup with a SetupStepError naming
 * the step, its command, its exit code and the end of its output.
 */
export async function runSetupPlan(plan: SetupPlan, options: SetupRunOptions): Promise<SetupRunReport> {
  if (options.dryRun) {
    options.write(formatSetupPlan(plan));
    return { steps: plan.steps.map((step) => ({ id: step.id, outcome: 'planned' })) };
  }
  const base = options.env ?? process.env;
  const path = [...plan.pathPrepend, base['PATH'] ?? ''].filter((part) => part !== '').join(delimiter);
  const timeout = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const report: SetupRunReport = { steps: [] };

  for (const [i, step] of plan.steps.entries()) {
    const number = i + 1;
    const env = { ...base, ...step.env, PATH: path };
    const passes = async (c: SetupCheck) =>
      (
        await execa(c.command, c.args, {
          cwd: c.cwd,
          env,
          extendEnv: false,
          reject: false,
          timeout,
          stdin: 'ignore',
        })
      ).exitCode === 0;
    if ((step.skipIf && (await passes(step.skipIf))) || (step.onlyIf && !(await passes(step.onlyIf)))) {
      options.write(`${number}. ${step.description}: skipped\n`);
      report.steps.push({ id: step.id, outcome: 'skipped' });
      continue;
    }
    options.write(`${number}. ${step.description}\n   $ ${commandLine(step.command, step.args)}\n`);
    const subprocess = execa(step.command, step.args, {
      cwd: step.cwd,
      env,
      extendEnv: false,
      reject: false,
      timeout,
      stdin: 'ignore',
      all: true,
    });
    subprocess.all?.on('data', (chunk: Buffer) => options.write(chunk.toString()));
    const result = await subprocess;
    const tail = (typeof result.all === 'string' ? result.all : '').slice(-TAIL_CHARS);
    if (result.failed) {
      const reason = result.timedOut
        ? `no result within ${timeout} ms`
        : result.exitCode !== undefined
          ? `exit code ${result.exitCode}`
          : (result.signal ?? result.code ?? 'could not start');
      throw new SetupStepError(step, number, result.exitCode, tail, reason);
    }
    const stdout = typeof result.stdout === 'string' ? result.stdout.trim() : '';
    if (step.expectStdout !== undefined && stdout !== step.expectStdout) {
      throw new SetupStepError(
        step,
        number,
        result.exitCode,
        tail,
        `expected output ${JSON.stringify(step.expectStdout)}, got ${JSON.stringify(stdout.slice(0, 200))}`,
      );
    }
    report.steps.push({ id: step.id, outcome: 'done' });
  }
  return report;
}
