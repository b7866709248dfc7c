import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { CliError, write, type CliIo } from '../cli-io.js';
import { positiveInteger } from '../options.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from './format-output.js';
import { loadSteps } from './load-steps.js';
import { stepRows } from './step-rows.js';

/** Files smaller than this finish before a progress bar would be worth drawing. */
const PROGRESS_MIN_BYTES = 16 << 20;
const MALFORMED_SHOWN = 20;

interface AnalyzeOptions {
  format: OutputFormat;
  plots?: string;
  batchSize?: number;
  groupSize: number;
  maxSteps?: number;
}

export function analyzeCommand(io: CliIo): Command {
  return new Command('analyze')
    .description("per-step calibration metrics of a results file (the seed's analyze_calibration.py)")
    .argument('<file>', 'generations.jsonl, generations.jsonl.gz or calibration_metrics.csv')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('--plots <dir>', "also write the seed's figures as SVG into this folder")
    .option(
      '--batch-size <n>',
      'rollouts per step (default: the step the file records, else 1024)',
      positiveInteger,
    )
    .option('--group-size <n>', 'steps pooled per reliability diagram', positiveInteger, 5)
    .option('--max-steps <n>', 'only the first n steps', positiveInteger)
    .action((file: string, options: AnalyzeOptions) => runAnalyze(file, options, io));
}

export async function runAnalyze(file: string, options: AnalyzeOptions, io: CliIo): Promise<void> {
  const bar = new SingleBar({
    stream: io.stderr,
    format: 'reading [{bar}] {percentage}% | {value}/{total} MB',
    hideCursor: true,
  });
  let barStarted = false;
  const loaded = await loadSteps(file, {
    batchSize: options.batchSize,
    maxSteps: options.maxSteps,
    onProgress: (bytesRead, totalBytes) => {
      if (!io.stderr.isTTY || totalBytes < PROGRESS_MIN_BYTES) return;
      const mb = (b: number) => Math.round(b / 2 ** 20);
      if (!barStarted) bar.start(mb(totalBytes), 0);
      barStarted = true;
      bar.update(mb(bytesRead));
    },
  }).finally(() => barStarted && bar.stop());

  if (loaded.steps.size === 0) throw new CliError(`${file}: no rollouts found`, 1);
  const rows = stepRows(loaded.steps);
  await write(io.stdout, formatRows(rows, options.format));

  if (loaded.malformed.length > 0) {
    const shown = loaded.malformed.slice(0, MALFORMED_SHOWN).map((m) => `  line ${m.line}: ${m.error}`);
    const more = loaded.malformed.length - shown.length;
    await write(
      io.stderr,
      `brier: skipped ${loaded.malformed.length} malformed line(s) of ${file}:\n${shown.join('\n')}\n${more > 0 ? `  … and ${more} more\n` : ''}`,
    );
  }
  if (loaded.parseInferred) {
    await write(
      io.stderr,
      "brier: parse_rate is inferred: the seed's CSV marks every row parseable, so rows with p=0.5, Brier=0.25 and reward <= 0 count as unparseable.\n",
    );
  }
  if (options.plots !== undefined) {
    // vega is only loaded when figures are asked for: it costs ~0.3 s of start-up.
    const { writePlots } = await import('./plots.js');
    const written = await writePlots(options.plots, rows, loaded.steps, options.groupSize);
    await write(io.stderr, `brier: wrote ${written.join(', ')}\n`);
  }
}
