import type { SetupCheck, SetupPlan, SetupStep } from './setup-plan.js';

/** A word as a POSIX shell would need it, for showing a command to a person (nothing runs it). */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map(shellQuote).join(' ');
}

function check(label: string, c: SetupCheck): string {
  const where = c.cwd === undefined ? '' : ` (in ${c.cwd})`;
  return `    ${label}: ${commandLine(c.command, c.args)}${where}  — ${c.description}`;
}

function stepLines(step: SetupStep, number: number): string[] {
  const lines = [`${String(number).padStart(2)}. ${step.description}  [${step.id}]`];
  lines.push(`    $ ${commandLine(step.command, step.args)}`);
  if (step.cwd !== undefined) lines.push(`    in: ${step.cwd}`);
  for (const [name, value] of Object.entries(step.env ?? {}))
    lines.push(`    env: ${name}=${shellQuote(value)}`);
  if (step.skipIf) lines.push(check('skipped if', step.skipIf));
  if (step.onlyIf) lines.push(check('only if', step.onlyIf));
  if (step.expectStdout !== undefined) lines.push(`    expects output: ${JSON.stringify(step.expectStdout)}`);
  return lines;
}

/** The plan as a dry run prints it: what would run, in order, and nothing else. */
export function formatSetupPlan(plan: SetupPlan): string {
  const { primeRl } = plan;
  const head = [
    `Host setup plan: prime-rl ${primeRl.version} (${primeRl.sha}) from ${primeRl.repository}`,
    `  checkout: ${primeRl.dir}`,
    `  environment: ${plan.envDir}`,
    `  Each step runs one program with its arguments (no shell); PATH starts with ${plan.pathPrepend.join(':')}.`,
    '',
  ];
  return [...head, ...plan.steps.flatMap((step, i) => stepLines(step, i + 1)), ''].join('\n');
}
