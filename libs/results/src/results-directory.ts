import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What a prime-rl/seed results directory (or a set of uploaded files) holds, judged by file names
 * alone: nothing here opens a file.
 */

export type ResultFileKind = 'generations' | 'metricsCsv' | 'orchestratorLog' | 'cotSamples';

export interface ResultFile {
  /** The file's name as prime-rl writes it (matched case-sensitively). */
  name: string;
  path: string;
}

export interface RecognisedResultFile extends ResultFile {
  kind: ResultFileKind;
  /** gzip-compressed (generations.jsonl.gz); the readers decompress by the .gz suffix. */
  compressed: boolean;
}

export interface IgnoredResultFile extends ResultFile {
  reason: string;
}

export interface ResultsDescription {
  /** Every recognised file, in the order given (a superseded generations file excluded). */
  files: RecognisedResultFile[];
  /** generations.jsonl or generations.jsonl.gz: rollouts with prompts and completions. */
  generations: RecognisedResultFile | null;
  /** calibration_metrics.csv: rollouts without text. */
  metricsCsv: RecognisedResultFile | null;
  /** orchestrator.stdout: per-step orchestrator numbers. */
  orchestratorLog: RecognisedResultFile | null;
  /** cot_samples.txt: display samples; listed, never read. */
  cotSamples: RecognisedResultFile | null;
  /** Where rollouts come from: generations when present, else the metrics CSV; null when neither. */
  rolloutSource: RecognisedResultFile | null;
  /** The rollout source carries prompt and completion text. */
  rolloutsHaveText: boolean;
  /** Files that are not read, with why. */
  ignored: IgnoredResultFile[];
}

export type ResultsErrorCode = 'empty' | 'unrecognised' | 'no-data' | 'duplicate-name';

export class ResultsSetError extends Error {
  constructor(
    readonly code: ResultsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ResultsSetError';
  }
}

/** The names prime-rl and the seed's environment write, exactly. */
export const RESULT_FILE_NAMES: Readonly<Record<string, { kind: ResultFileKind; compressed: boolean }>> = {
  'generations.jsonl': { kind: 'generations', compressed: false },
  'generations.jsonl.gz': { kind: 'generations', compressed: true },
  'calibration_metrics.csv': { kind: 'metricsCsv', compressed: false },
  'orchestrator.stdout': { kind: 'orchestratorLog', compressed: false },
  'cot_samples.txt': { kind: 'cotSamples', compressed: false },
};

const EXPECTED = 'generations.jsonl (or .jsonl.gz), calibration_metrics.csv, orchestrator.stdout';

function recognise(file: ResultFile): RecognisedResultFile | null {
  const known = Object.hasOwn(RESULT_FILE_NAMES, file.name) ? RESULT_FILE_NAMES[file.name] : undefined;
  return known ? { name: file.name, path: file.path, ...known } : null;
}

function caseHint(name: string): string | null {
  const lower = name.toLowerCase();
  return Object.keys(RESULT_FILE_NAMES).find((known) => known.toLowerCase() === lower) ?? null;
}

/**
 * Describe a set of files: what is present and which file the rollouts come from. Throws
 * ResultsSetError for an empty set, a set with no recognised name, a set with nothing readable
 * (only cot_samples.txt), or two files of the same name.
 */
export function describeResults(files: readonly ResultFile[]): ResultsDescription {
  if (files.length === 0) {
    throw new ResultsSetError('empty', `No result files given: expected ${EXPECTED}.`);
  }
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.name)) {
      throw new ResultsSetError(
        'duplicate-name',
        `Two files are named ${file.name}: give one results directory at a time.`,
      );
    }
    seen.add(file.name);
  }

  const ignored: IgnoredResultFile[] = [];
  const recognised: RecognisedResultFile[] = [];
  for (const file of files) {
    const known = recognise(file);
    if (known) {
      recognised.push(known);
      continue;
    }
    const hint = caseHint(file.name);
    ignored.push({
      name: file.name,
      path: file.path,
      reason: hint ? `not a result file name (names are case-sensitive: ${hint}?)` : 'not a result file name',
    });
  }
  if (recognised.length === 0) {
    const hints = ignored.filter((file) => caseHint(file.name) !== null).map((file) => file.name);
    throw new ResultsSetError(
      'unrecognised',
      `None of the ${files.length} file(s) is a prime-rl result (${files.map((f) => f.name).join(', ')}): ` +
        `expected ${EXPECTED}` +
        (hints.length > 0 ? `; names are case-sensitive (${hints.join(', ')})` : '') +
        '.',
    );
  }

  const byKind = (kind: ResultFileKind) => recognised.filter((file) => file.kind === kind);
  let generations = byKind('generations');
  if (generations.length > 1) {
    // Both generations.jsonl and generations.jsonl.gz: the plain file is read, the other is not.
    const plain = generations.find((file) => !file.compressed) ?? generations[0];
    for (const file of generations) {
      if (file !== plain)
        ignored.push({ name: file.name, path: file.path, reason: `superseded by ${plain?.name}` });
    }
    generations = plain ? [plain] : [];
  }
  const kept = recognised.filter((file) => file.kind !== 'generations' || generations.includes(file));
  const generationsFile = generations[0] ?? null;
  const metricsCsv = byKind('metricsCsv')[0] ?? null;
  const orchestratorLog = byKind('orchestratorLog')[0] ?? null;
  const cotSamples = byKind('cotSamples')[0] ?? null;

  if (!generationsFile && !metricsCsv && !orchestratorLog) {
    throw new ResultsSetError(
      'no-data',
      `Nothing readable: cot_samples.txt holds display samples only; expected ${EXPECTED}.`,
    );
  }
  const rolloutSource = generationsFile ?? metricsCsv;
  return {
    files: kept,
    generations: generationsFile,
    metricsCsv,
    orchestratorLog,
    cotSamples,
    rolloutSource,
    rolloutsHaveText: rolloutSource?.kind === 'generations',
    ignored,
  };
}

/** List a directory's files (not recursing) and describe them. */
export async function describeResultsDirectory(directory: string): Promise<ResultsDescription> {
  const entries = await readdir(directory, { withFileTypes: true });
  const files: ResultFile[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(directory, entry.name);
    const isFile =
      entry.isFile() || (entry.isSymbolicLink() && (await stat(path).catch(() => null))?.isFile());
    if (isFile) files.push({ name: entry.name, path });
  }
  if (files.length === 0) {
    throw new ResultsSetError('empty', `${directory} holds no files: expected ${EXPECTED}.`);
  }
  return describeResults(files);
}
