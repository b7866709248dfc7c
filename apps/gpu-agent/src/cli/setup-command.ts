import { resolve } from 'node:path';

import { Command, Option } from 'commander';

import { knownPrimeRlVersions } from '../prime-rl/adapter-registry.js';
import { hostSetupOptions } from '../setup/setup-defaults.js';
import { buildSetupPlan } from '../setup/setup-plan.js';
import { runSetupPlan, SetupStepError } from '../setup/setup-runner.js';

/**
 * `brier-agent setup`: what the seed's setup_runpod.sh did, as a plan of argument-array commands
 * (apt packages, uv, a pinned prime-rl checkout, `uv sync`, the calibrated_qa env, an import
 * check). `--dry-run` prints the plan and runs nothing.
 */
export function setupCommand(): Command {
  return new Command('setup')
    .description("prepare this host to run prime-rl (replaces the seed's setup_runpod.sh)")
    .addOption(
      new Option('--prime-rl-version <version>', 'prime-rl release to install')
        .choices(knownPrimeRlVersions())
        .default(process.env['PRIME_RL_VERSION'] ?? 'v0.4.0'),
    )
    .option(
      '--prime-rl-dir <dir>',
      'where the prime-rl checkout goes',
      process.env['PRIME_RL_DIR'] ?? resolve(process.env['AGENT_WORK_DIR'] ?? './.data/agent', 'prime-rl'),
    )
    .option('--skip-apt', 'leave out apt-get (an image that has the packages)', false)
    .option('--dry-run', 'print the plan and run nothing', false)
    .action(
      async (options: { primeRlVersion: string; primeRlDir: string; skipApt: boolean; dryRun: boolean }) => {
        const plan = buildSetupPlan(
          hostSetupOptions({
            version: options.primeRlVersion,
            primeRlDir: resolve(options.primeRlDir),
            skipApt: options.skipApt,
          }),
        );
        try {
          await runSetupPlan(plan, { dryRun: options.dryRun, write: (text) => process.stdout.write(text) });
        } catch (error) {
          if (error instanceof SetupStepError) {
            process.stderr.write(`brier-agent setup: ${error.message}\n`);
            process.exitCode = 1;
            return;
          }
          throw error;
        }
      },
    );
}
