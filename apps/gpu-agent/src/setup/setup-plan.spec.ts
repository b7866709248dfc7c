import { describe, expect, it } from 'vitest';

import { UnknownPrimeRlVersionError } from '../prime-rl/adapter-registry.js';
import { formatSetupPlan, shellQuote } from './format-setup-plan.js';
import { defaultInstructionsPrefix, hostSetupOptions } from './setup-defaults.js';
import { buildSetupPlan, IMPORT_CHECK, IMPORT_CHECK_V1, type SetupPlanOptions } from './setup-plan.js';
import { runSetupPlan } from './setup-runner.js';

const OPTIONS: SetupPlanOptions = {
  version: 'v0.4.0',
  primeRlDir: '/opt/prime-rl',
  envDir: '/srv/brier/apps/gpu-agent/environments/calibrated_qa',
  homeDir: '/home/agent',
  downloadDir: '/tmp/brier-agent-setup',
  sudo: true,
  expectedInstructionsPrefix: 'Read the passage bel',
};

const DRY_RUN = `Host setup plan: prime-rl v0.4.0 (f870f3cbd8de5b731d880d8715bf76e983337862) from https://github.com/PrimeIntellect-ai/prime-rl.git
  checkout: /opt/prime-rl
  environment: /srv/brier/apps/gpu-agent/environments/calibrated_qa
  Each step runs one program with its arguments (no shell); PATH starts with /home/agent/.local/bin.

 1. Refresh the apt package index  [apt-update]
    $ sudo apt-get update
    env: DEBIAN_FRONTEND=noninteractive
 2. Install the build tools, git and curl  [apt-install]
    $ sudo apt-get install -y --no-install-recommends build-essential git curl tmux ca-certificates
    env: DEBIAN_FRONTEND=noninteractive
 3. Check that the NVIDIA driver answers  [nvidia-driver]
    $ nvidia-smi -L
 4. Download the uv installer  [uv-download]
    $ curl --proto =https --tlsv1.2 -LsSf --create-dirs https://astral.sh/uv/install.sh -o /tmp/brier-agent-setup/uv-install.sh
    skipped if: uv --version  — uv is already installed
 5. Install uv into /home/agent/.local/bin (shell profiles left alone)  [uv-install]
    $ sh /tmp/brier-agent-setup/uv-install.sh
    env: UV_INSTALL_DIR=/home/agent/.local/bin
    env: UV_NO_MODIFY_PATH=1
    skipped if: uv --version  — uv is already installed
 6. Clone prime-rl  [clone]
    $ git clone https://github.com/PrimeIntellect-ai/prime-rl.git /opt/prime-rl
    skipped if: git -C /opt/prime-rl rev-parse --git-dir  — the checkout exists
 7. Fetch tags and commits (an existing checkout may predate the pin)  [fetch]
    $ git -C /opt/prime-rl fetch --tags origin
 8. Check out prime-rl v0.4.0 at its pinned commit  [checkout]
    $ git -C /opt/prime-rl checkout --detach f870f3cbd8de5b731d880d8715bf76e983337862
 9. Verify the checkout is exactly the pinned commit  [verify-commit]
    $ git -C /opt/prime-rl rev-parse HEAD
    expects output: "f870f3cbd8de5b731d880d8715bf76e983337862"
10. Install prime-rl's locked dependencies (exact: removes anything not in the lock)  [uv-sync]
    $ uv sync --all-extras --locked --no-dev
    in: /opt/prime-rl
11. Remove any calibrated-qa already installed  [remove-env]
    $ uv pip uninstall calibrated-qa
    in: /opt/prime-rl
    only if: uv pip show calibrated-qa (in /opt/prime-rl)  — calibrated-qa is installed
12. Install the calibrated-qa environment from this repository (rebuilt, never a cached wheel)  [install-env]
    $ uv pip install --reinstall-package calibrated-qa --refresh-package calibrated-qa /srv/brier/apps/gpu-agent/environments/calibrated_qa
    in: /opt/prime-rl
13. Check that prime-rl can import the environment and verifiers  [import-check]
    $ uv run --no-sync python -c 'import calibrated_qa, verifiers; print(calibrated_qa.INSTRUCTIONS[:20])'
    in: /opt/prime-rl
    expects output: "Read the passage bel"
`;

describe('the host setup plan', () => {
  it('prints as a dry run: every command, where it runs, what skips it and what it must print', () => {
    expect(formatSetupPlan(buildSetupPlan(OPTIONS))).toBe(DRY_RUN);
  });

  it('is what the dry run of the runner writes, and runs nothing', async () => {
    let written = '';
    const report = await runSetupPlan(buildSetupPlan(OPTIONS), {
      dryRun: true,
      write: (text) => (written += text),
      env: { PATH: '' }, // nothing could run even if it tried
    });
    expect(written).toBe(DRY_RUN);
    expect(report.steps.every((step) => step.outcome === 'planned')).toBe(true);
    expect(report.steps).toHaveLength(13);
  });

  it('runs programs with argument arrays, never a shell command string', () => {
    for (const step of buildSetupPlan(OPTIONS).steps) {
      expect(step.args.every((arg) => typeof arg === 'string')).toBe(true);
      expect(['bash', 'zsh']).not.toContain(step.command);
      expect(step.command === 'sh' && step.args[0] === '-c').toBe(false);
    }
  });

  it('drops sudo as root and the apt steps when asked', () => {
    const root = buildSetupPlan({ ...OPTIONS, sudo: false });
    expect(root.steps[0]).toMatchObject({ command: 'apt-get', args: ['update'] });
    const noApt = buildSetupPlan({ ...OPTIONS, skipApt: true });
    expect(noApt.steps.map((s) => s.id)).toEqual([
      'nvidia-driver',
      'uv-download',
      'uv-install',
      'clone',
      'fetch',
      'checkout',
      'verify-commit',
      'uv-sync',
      'remove-env',
      'install-env',
      'import-check',
    ]);
  });

  it('keeps awkward paths as single arguments', () => {
    const plan = buildSetupPlan({ ...OPTIONS, primeRlDir: "/opt/prime rl's; rm -rf ~" });
    const clone = plan.steps.find((s) => s.id === 'clone');
    expect(clone?.args).toEqual([
      'clone',
      'https://github.com/PrimeIntellect-ai/prime-rl.git',
      "/opt/prime rl's; rm -rf ~",
    ]);
    expect(formatSetupPlan(plan)).toContain(
      "$ git clone https://github.com/PrimeIntellect-ai/prime-rl.git '/opt/prime rl'\\''s; rm -rf ~'",
    );
    expect(shellQuote('')).toBe("''");
  });

  it("checks out v0.6.0's pinned commit and fetches its submodules over https before uv sync", () => {
    const plan = buildSetupPlan({ ...OPTIONS, version: 'v0.6.0' });
    const ids = plan.steps.map((step) => step.id);
    expect(ids.indexOf('submodules')).toBe(ids.indexOf('verify-commit') + 1);
    expect(ids.indexOf('uv-sync')).toBe(ids.indexOf('submodules') + 1);
    const text = formatSetupPlan(plan);
    expect(text).toContain('prime-rl v0.6.0 (38494ccb4140897b1c9e7a9ba8da59dcd8940d47)');
    expect(text).toContain(
      '$ git -C /opt/prime-rl checkout --detach 38494ccb4140897b1c9e7a9ba8da59dcd8940d47',
    );
    expect(text).toContain(
      '$ git -C /opt/prime-rl -c url.https://github.com/.insteadOf=git@github.com: submodule update --init -- ' +
        'deps/verifiers deps/renderers deps/pydantic-config deps/research-environments',
    );
    expect(buildSetupPlan(OPTIONS).steps.map((step) => step.id)).not.toContain('submodules');
  });

  it("checks out main-559b447's pinned commit with its submodules and checks the v1 taskset loads", () => {
    const plan = buildSetupPlan({ ...OPTIONS, version: 'main-559b447' });
    const ids = plan.steps.map((step) => step.id);
    expect(ids.indexOf('submodules')).toBe(ids.indexOf('verify-commit') + 1);
    expect(ids.indexOf('uv-sync')).toBe(ids.indexOf('submodules') + 1);
    expect(ids.slice(-2)).toEqual(['install-env', 'import-check']);
    const text = formatSetupPlan(plan);
    expect(text).toContain('prime-rl main-559b447 (559b44772e471d1538537b8805cc77f3824a5e64)');
    expect(text).toContain(
      '$ git -C /opt/prime-rl checkout --detach 559b44772e471d1538537b8805cc77f3824a5e64',
    );
    expect(text).toContain(
      '$ git -C /opt/prime-rl -c url.https://github.com/.insteadOf=git@github.com: submodule update --init -- ' +
        'deps/verifiers deps/renderers deps/prime-envs deps/pydantic-config',
    );
    const importCheck = plan.steps.find((step) => step.id === 'import-check');
    expect(importCheck?.args).toEqual(['run', '--no-sync', 'python', '-c', IMPORT_CHECK_V1]);
    expect(IMPORT_CHECK_V1).toContain('taskset_class("calibrated-qa")');
    const v060Check = buildSetupPlan({ ...OPTIONS, version: 'v0.6.0' }).steps.find(
      (step) => step.id === 'import-check',
    );
    expect(v060Check?.args.at(-1)).toBe(IMPORT_CHECK);
  });

  it('refuses a version without a pin and relative paths', () => {
    expect(() => buildSetupPlan({ ...OPTIONS, version: 'main' })).toThrow(UnknownPrimeRlVersionError);
    expect(() => buildSetupPlan({ ...OPTIONS, primeRlDir: 'prime-rl' })).toThrow(
      /primeRlDir must be an absolute path/,
    );
    expect(() => buildSetupPlan({ ...OPTIONS, envDir: '-rf' })).toThrow(/envDir must be an absolute path/);
  });

  it("defaults to this host and this checkout's environment and prompt", () => {
    const options = hostSetupOptions({ version: 'v0.4.0', primeRlDir: '/opt/prime-rl' });
    expect(options.envDir).toMatch(/\/apps\/gpu-agent\/environments\/calibrated_qa$/);
    expect(options.expectedInstructionsPrefix).toBe('Read the passage bel');
    expect(defaultInstructionsPrefix()).toHaveLength(20);
    expect(options.sudo).toBe(process.getuid?.() !== 0);
  });
});
