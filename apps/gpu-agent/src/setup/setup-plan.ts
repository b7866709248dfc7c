import { isAbsolute, join } from 'node:path';

import { UnknownPrimeRlVersionError } from '../prime-rl/adapter-registry.js';
import { PRIME_RL_PINS, PRIME_RL_REPOSITORY } from '../prime-rl/prime-rl-pins.js';

/** A command that decides whether a step runs: its exit status only (0 = succeeded). */
export interface SetupCheck {
  command: string;
  args: string[];
  cwd?: string;
  /** For people: what success of the check means. */
  description: string;
}

/** One command of the host setup: a program and an argument array, never a shell string. */
export interface SetupStep {
  id: string;
  description: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Skip the step when this check succeeds (the work is already done). */
  skipIf?: SetupCheck;
  /** Run the step only when this check succeeds. */
  onlyIf?: SetupCheck;
  /** The step's stdout, trimmed, must be exactly this (a commit, an import's output). */
  expectStdout?: string;
}

export interface SetupPlan {
  primeRl: { version: string; sha: string; repository: string; dir: string };
  envDir: string;
  /** Prepended to PATH for every step and check (where the uv installer puts uv). */
  pathPrepend: string[];
  steps: SetupStep[];
}

export interface SetupPlanOptions {
  /** prime-rl version to install; must have a pin (PRIME_RL_PINS). */
  version: string;
  /** Where the prime-rl checkout goes (absolute). */
  primeRlDir: string;
  /** The calibrated_qa package directory inside a Brier checkout (absolute). */
  envDir: string;
  /** The home directory uv installs into (~/.local/bin). */
  homeDir: string;
  /** Where the uv installer script is downloaded (absolute). */
  downloadDir: string;
  /** Run apt-get through sudo (not needed as root). */
  sudo: boolean;
  /** Leave out the apt steps (a host image that has the packages). */
  skipApt?: boolean;
  /** The first 20 characters of the default prompt's instructions, which the import check prints. */
  expectedInstructionsPrefix?: string;
}

/** What the seed's setup_runpod.sh installed (shared/docs/prime-rl.md §7). */
export const APT_PACKAGES = ['build-essential', 'git', 'curl', 'tmux', 'ca-certificates'] as const;
export const UV_INSTALLER_URL = 'https://astral.sh/uv/install.sh';
/** The seed launcher's check that the env prime-rl will load is the one just installed. */
export const IMPORT_CHECK = 'import calibrated_qa, verifiers; print(calibrated_qa.INSTRUCTIONS[:20])';
/**
 * prime-rl main loads the env as a verifiers v1 taskset: resolve it the way its env server does
 * (verifiers/v1/utils/loaders.py at a60a606: the one Taskset subclass the package exports).
 */
export const IMPORT_CHECK_V1 =
  'import calibrated_qa; from verifiers.v1.utils.loaders import taskset_class; ' +
  'taskset_class("calibrated-qa"); print(calibrated_qa.INSTRUCTIONS[:20])';

function absolute(path: string, what: string): string {
  if (!isAbsolute(path) || path.includes('\0')) {
    throw new Error(`${what} must be an absolute path (got ${JSON.stringify(path)})`);
  }
  return path;
}

/**
 * The host setup that replaces the seed's setup_runpod.sh, as data: apt packages, uv, a prime-rl
 * checkout at the pinned commit (verified), `uv sync --all-extras --locked --no-dev`, then the
 * calibrated-qa environment reinstalled from this repository and an import check. Pure: a dry run
 * prints it (formatSetupPlan), runSetupPlan executes it.
 */
export function buildSetupPlan(options: SetupPlanOptions): SetupPlan {
  const pin = PRIME_RL_PINS[options.version];
  if (pin === undefined) throw new UnknownPrimeRlVersionError(options.version);
  const dir = absolute(options.primeRlDir, 'primeRlDir');
  const envDir = absolute(options.envDir, 'envDir');
  const installer = join(absolute(options.downloadDir, 'downloadDir'), 'uv-install.sh');
  const uvBin = join(absolute(options.homeDir, 'homeDir'), '.local', 'bin');
  const apt = (args: string[]): Pick<SetupStep, 'command' | 'args'> =>
    options.sudo ? { command: 'sudo', args: ['apt-get', ...args] } : { command: 'apt-get', args };
  const uvInstalled: SetupCheck = {
    command: 'uv',
    args: ['--version'],
    description: 'uv is already installed',
  };

  const steps: SetupStep[] = [];
  if (!options.skipApt) {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    steps.push(
      { id: 'apt-update', description: 'Refresh the apt package index', ...apt(['update']), env },
      {
        id: 'apt-install',
        description: 'Install the build tools, git and curl',
        ...apt(['install', '-y', '--no-install-recommends', ...APT_PACKAGES]),
        env,
      },
    );
  }
  steps.push(
    {
      id: 'nvidia-driver',
      description: 'Check that the NVIDIA driver answers',
      command: 'nvidia-smi',
      args: ['-L'],
    },
    {
      id: 'uv-download',
      description: 'Download the uv installer',
      command: 'curl',
      args: ['--proto', '=https', '--tlsv1.2', '-LsSf', '--create-dirs', UV_INSTALLER_URL, '-o', installer],
      skipIf: uvInstalled,
    },
    {
      id: 'uv-install',
      description: `Install uv into ${uvBin} (shell profiles left alone)`,
      command: 'sh',
      args: [installer],
      env: { UV_INSTALL_DIR: uvBin, UV_NO_MODIFY_PATH: '1' },
      skipIf: uvInstalled,
    },
    {
      id: 'clone',
      description: 'Clone prime-rl',
      command: 'git',
      args: ['clone', PRIME_RL_REPOSITORY, dir],
      skipIf: {
        command: 'git',
        args: ['-C', dir, 'rev-parse', '--git-dir'],
        description: 'the checkout exists',
      },
    },
    {
      id: 'fetch',
      description: 'Fetch tags and commits (an existing checkout may predate the pin)',
      command: 'git',
      args: ['-C', dir, 'fetch', '--tags', 'origin'],
    },
    {
      id: 'checkout',
      description: `Check out prime-rl ${pin.version} at its pinned commit`,
      command: 'git',
      args: ['-C', dir, 'checkout', '--detach', pin.sha],
    },
    {
      id: 'verify-commit',
      description: 'Verify the checkout is exactly the pinned commit',
      command: 'git',
      args: ['-C', dir, 'rev-parse', 'HEAD'],
      expectStdout: pin.sha,
    },
    ...submoduleSteps(dir, pin.submodules),
    {
      id: 'uv-sync',
      description: "Install prime-rl's locked dependencies (exact: removes anything not in the lock)",
      command: 'uv',
      args: ['sync', '--all-extras', '--locked', '--no-dev'],
      cwd: dir,
    },
    {
      id: 'remove-env',
      description: 'Remove any calibrated-qa already installed',
      command: 'uv',
      args: ['pip', 'uninstall', 'calibrated-qa'],
      cwd: dir,
      onlyIf: {
        command: 'uv',
        args: ['pip', 'show', 'calibrated-qa'],
        cwd: dir,
        description: 'calibrated-qa is installed',
      },
    },
    {
      id: 'install-env',
      description:
        'Install the calibrated-qa environment from this repository (rebuilt, never a cached wheel)',
      command: 'uv',
      args: [
        'pip',
        'install',
        '--reinstall-package',
        'calibrated-qa',
        '--refresh-package',
        'calibrated-qa',
        envDir,
      ],
      cwd: dir,
    },
    {
      id: 'import-check',
      description: 'Check that prime-rl can import the environment and verifiers',
      command: 'uv',
      args: ['run', '--no-sync', 'python', '-c', pin.envApi === 'v1' ? IMPORT_CHECK_V1 : IMPORT_CHECK],
      cwd: dir,
      ...(options.expectedInstructionsPrefix === undefined
        ? {}
        : { expectStdout: options.expectedInstructionsPrefix.trim() }),
    },
  );
  return {
    primeRl: { version: pin.version, sha: pin.sha, repository: PRIME_RL_REPOSITORY, dir },
    envDir,
    pathPrepend: [uvBin],
    steps,
  };
}

/**
 * v0.6.0 and main take verifiers, renderers and more from git submodules whose URLs are git@github.com
 * (no SSH key on a fresh host): fetch them over https, as prime-rl's own install.sh does.
 */
function submoduleSteps(dir: string, submodules: readonly string[]): SetupStep[] {
  if (submodules.length === 0) return [];
  return [
    {
      id: 'submodules',
      description: `Fetch the pinned submodules over https (${submodules.join(', ')})`,
      command: 'git',
      args: [
        '-C',
        dir,
        '-c',
        'url.https://github.com/.insteadOf=git@github.com:',
        'submodule',
        'update',
        '--init',
        '--',
        ...submodules,
      ],
    },
  ];
}
