import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';

import { describeResults, describeResultsDirectory, ResultsSetError, type ResultFile } from '@brier/results';
import { Command } from 'commander';

import { CliError, write, type CliIo } from '../cli-io.js';
import { positiveInteger } from '../options.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

interface ImportOptions {
  api?: string;
  name?: string;
  batchSize?: number;
  maxSteps?: number;
}

/** What POST /v1/imports answers (the run, and what was read). */
interface ImportAnswer {
  id: string;
  name: string;
  status: string;
  import?: {
    rolloutSource: string | null;
    rollouts: number;
    steps: number;
    orchestratorSteps: number;
    seconds: number;
  };
}

interface ErrorAnswer {
  statusCode?: number;
  message?: string | { path: string; message: string }[];
  detail?: string;
  runId?: string;
}

export function importCommand(io: CliIo, env: NodeJS.ProcessEnv = process.env): Command {
  return new Command('import')
    .description(
      'import a prime-rl results directory (or its files) into a Brier API as an import run: generations.jsonl[.gz] or calibration_metrics.csv, and orchestrator.stdout',
    )
    .argument('<paths...>', 'a results directory, or result files')
    .option('--api <url>', `the Brier API (default: $BRIER_API_URL or ${DEFAULT_API_URL})`)
    .option('--name <name>', 'the run name (default: the directory name)')
    .option(
      '--batch-size <n>',
      'rollouts per step where the file records no step (default 1024)',
      positiveInteger,
    )
    .option('--max-steps <n>', 'only the first n steps', positiveInteger)
    .addHelpText('after', '\nThe API token (admin or researcher) is read from $BRIER_API_TOKEN.')
    .action((paths: string[], options: ImportOptions) => runImport(paths, options, io, env));
}

/** The result files among `paths` (directories listed, not recursed); exit 2 when there are none. */
async function collectFiles(paths: readonly string[]): Promise<{ files: ResultFile[]; defaultName: string }> {
  const files: ResultFile[] = [];
  let defaultName: string | null = null;
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError(
        `${path}: ${code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`,
      );
    }
    if (info.isDirectory()) {
      try {
        const description = await describeResultsDirectory(path);
        files.push(...description.files.map(({ name, path: filePath }) => ({ name, path: filePath })));
      } catch (error) {
        if (error instanceof ResultsSetError) throw new CliError(error.message);
        throw error;
      }
      defaultName ??= basename(path.replace(/\/+$/, ''));
    } else {
      files.push({ name: basename(path), path });
    }
  }
  let description;
  try {
    description = describeResults(files);
  } catch (error) {
    if (error instanceof ResultsSetError) throw new CliError(error.message);
    throw error;
  }
  // cot_samples.txt is display text the API does not read: no need to upload it.
  const upload = description.files.filter((file) => file.kind !== 'cotSamples');
  return { files: upload, defaultName: defaultName ?? basename(upload[0]?.path ?? 'import') };
}

function apiUrl(options: ImportOptions, env: NodeJS.ProcessEnv): URL {
  const raw = options.api ?? (env['BRIER_API_URL'] || DEFAULT_API_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--api ${raw}: not a URL (e.g. ${DEFAULT_API_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`--api ${raw}: must be http(s)://`);
  return url;
}

/** A run name the API accepts (letters, digits, spaces, . _ -), from a directory name. */
function runName(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._ -]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100)
    .trim();
  return cleaned === '' ? 'import' : cleaned;
}

function describeError(status: number, body: ErrorAnswer | null, text: string): string {
  if (!body) return `the API answered ${status}: ${text.slice(0, 500)}`;
  const lines: string[] = [];
  if (typeof body.message === 'string') lines.push(body.message);
  else if (Array.isArray(body.message))
    lines.push(...body.message.map((m) => (m.path ? `${m.path}: ${m.message}` : m.message)));
  if (body.detail) lines.push(body.detail);
  if (body.runId) lines.push(`run ${body.runId} is marked failed`);
  return `the API answered ${status}:\n  ${lines.join('\n  ')}`;
}

export async function runImport(
  paths: string[],
  options: ImportOptions,
  io: CliIo,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const base = apiUrl(options, env);
  const { files, defaultName } = await collectFiles(paths);
  const form = new FormData();
  form.append('name', options.name ?? runName(defaultName));
  if (options.batchSize !== undefined) form.append('batch_size', String(options.batchSize));
  if (options.maxSteps !== undefined) form.append('max_steps', String(options.maxSteps));
  let bytes = 0;
  for (const file of files) {
    const blob = await openAsBlob(file.path);
    bytes += blob.size;
    form.append('files', blob, file.name);
  }
  const endpoint = new URL('/v1/imports', base);
  await write(
    io.stderr,
    `brier import: uploading ${files.map((f) => f.name).join(', ')} (${(bytes / 2 ** 20).toFixed(1)} MB) to ${endpoint.origin}\n`,
  );
  const token = env['BRIER_API_TOKEN'];
  if (!token)
    throw new CliError('set BRIER_API_TOKEN to an API token (brier tokens create; docs/security.md)');
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${token}` },
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(
      `cannot reach the Brier API at ${base.origin} (${cause?.code ?? cause?.message ?? (error as Error).message}): ` +
        'is it running (npm start)? Set --api or BRIER_API_URL',
      1,
    );
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  if (response.status !== 201)
    throw new CliError(describeError(response.status, body as ErrorAnswer | null, text), 1);
  const run = body as ImportAnswer;
  const summary = run.import;
  await write(io.stdout, `${run.id}\n`);
  await write(
    io.stderr,
    `brier import: run ${run.id} "${run.name}" ${run.status}: ` +
      (summary
        ? `${summary.rollouts} rollouts in ${summary.steps} steps from ${summary.rolloutSource ?? 'no rollout file'}, ` +
          `${summary.orchestratorSteps} orchestrator steps, ${summary.seconds} s`
        : 'imported') +
      ` — ${new URL(`/v1/runs/${run.id}`, base).href}\n`,
  );
}
