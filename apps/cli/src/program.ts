import { Command, CommanderError } from 'commander';
import { analyzeCommand } from './analyze/analyze.command.js';
import { CliError, processIo, type CliIo } from './cli-io.js';
import { importCommand } from './import/import.command.js';
import { scoreCommand } from './score/score.command.js';
import { tokensCommand } from './tokens/tokens.command.js';

export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('brier')
    .description('Brier: calibration-RL runs, rollouts and metrics')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    .showHelpAfterError('(run `brier --help` for usage)');
  for (const command of [analyzeCommand(io), scoreCommand(io), importCommand(io), tokensCommand(io)]) {
    program.addCommand(
      command
        .exitOverride()
        .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) }),
    );
  }
  return program;
}

/** Run the CLI and return its exit code: 0 ok, 1 failed, 2 bad usage or input. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliError) {
      io.stderr.write(`brier: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
