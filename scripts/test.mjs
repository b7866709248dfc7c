#!/usr/bin/env node
// `npm test`: every test in the repository.
//   1. npm run build, only if a package's dist is missing (vitest itself runs the sources)
//   2. vitest (`vitest run`; extra arguments are passed to it), then the Python environment's
//      unittest suite (`npm run test:py`'s command): both always run
//   3. the last line is exactly `tests: N passed, M failed`, summed over both: CI reads it
// Exits non-zero if either suite failed. Commands run from argument arrays, never a shell.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { distMissing } from './start/build-state.mjs';
import { npm } from './start/processes.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(ROOT);

/** Runs a command, its output passed through (and stderr also collected); resolves { code, stderr }. */
function run(command, args, { collectStderr = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['inherit', 'inherit', collectStderr ? 'pipe' : 'inherit'] });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      process.stderr.write(chunk);
      stderr += chunk;
    });
    child.once('error', (error) => resolve({ code: null, stderr, error }));
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stderr }));
  });
}

function note(text) {
  console.log(`[test] ${text}`);
}

async function buildIfMissing() {
  const missing = distMissing(ROOT);
  if (missing === undefined) return true;
  note(`${missing} is missing: npm run build`);
  const [command, args] = npm(['run', 'build']);
  const { code } = await run(command, args);
  return code === 0;
}

/** vitest with its default reporter on the terminal and the JSON reporter into a temp file. */
async function vitest() {
  const dir = mkdtempSync(join(tmpdir(), 'brier-vitest-'));
  const report = join(dir, 'report.json');
  try {
    const cli = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const args = [
      cli,
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...process.argv.slice(2),
    ];
    const { code, error } = await run(process.execPath, args);
    if (error) note(`vitest could not start: ${error.message}`);
    let passed = 0;
    let failed = 0;
    try {
      const json = JSON.parse(readFileSync(report, 'utf8'));
      passed = json.numPassedTests ?? 0;
      failed = json.numFailedTests ?? 0;
      // A file that fails to load fails without failing any test: count it once.
      for (const file of json.testResults ?? []) {
        const failedTests = (file.assertionResults ?? []).filter((t) => t.status === 'failed').length;
        if (file.status === 'failed' && failedTests === 0) failed += 1;
      }
    } catch {
      note('vitest wrote no JSON report');
    }
    if (code !== 0 && failed === 0) {
      note(`vitest exited ${code} outside any test (e.g. an unhandled error): counted as 1 failure`);
      failed = 1;
    }
    return { ok: code === 0, passed, failed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The command of package.json's test:py script, as an argument array. */
function pythonCommand() {
  const script = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts?.['test:py'];
  if (typeof script !== 'string' || /["'`$|&;<>\\]/.test(script)) {
    throw new Error('package.json "test:py" must be a plain command (no quotes or shell syntax)');
  }
  const [command, ...args] = script.trim().split(/\s+/);
  return [command, args];
}

/** Counts from unittest's summary: "Ran N tests in …" then "OK (skipped=1)" or "FAILED (failures=1, errors=2)". */
function parseUnittest(output) {
  const ran = /^Ran (\d+) tests? in /m.exec(output);
  if (ran === null) return undefined;
  const count = (name) =>
    Number(new RegExp(`[(,]\\s*${name}=(\\d+)`).exec(output.slice(ran.index))?.[1] ?? 0);
  const failed = count('failures') + count('errors') + count('unexpected successes');
  const passed = Number(ran[1]) - failed - count('skipped');
  return { passed, failed };
}

async function python() {
  const [command, args] = pythonCommand();
  const { code, stderr, error } = await run(command, args, { collectStderr: true });
  if (error) note(`${command} could not start: ${error.message}`);
  const counts = parseUnittest(stderr) ?? { passed: 0, failed: 0 };
  if (code !== 0 && counts.failed === 0) {
    note(
      `the Python tests exited ${code ?? 'without starting'} with no failing test counted: counted as 1 failure`,
    );
    counts.failed = 1;
  }
  return { ok: code === 0, ...counts };
}

const built = await buildIfMissing();
if (!built) note('npm run build failed; running the tests anyway');
const ts = await vitest();
const py = await python();
note(`vitest: ${ts.passed} passed, ${ts.failed} failed; python: ${py.passed} passed, ${py.failed} failed`);
console.log(`tests: ${ts.passed + py.passed} passed, ${ts.failed + py.failed} failed`);
process.exit(built && ts.ok && py.ok ? 0 : 1);
