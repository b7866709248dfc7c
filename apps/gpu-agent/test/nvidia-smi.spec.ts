import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

import { freeGpus } from '../src/gpus/free-gpus.js';
import { NvidiaSmi, NvidiaSmiError } from '../src/gpus/nvidia-smi.repository.js';

// The agent's NvidiaSmi repository against the fake nvidia-smi (test/fixtures/bin), as processes.
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const binDir = join(fixtures, 'bin');
const fakeSmi = join(binDir, 'nvidia-smi');
const state = (name: string) => join(fixtures, 'gpus', name);

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'brier-smi-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** nvidia-smi found on PATH, the way the agent runs it. */
function smiOnPath(stateFile: string, options: { timeoutMs?: number } = {}): NvidiaSmi {
  return new NvidiaSmi({
    ...options,
    env: { PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`, FAKE_NVIDIA_SMI_STATE: stateFile },
  });
}

describe('NvidiaSmi against the fake nvidia-smi', () => {
  it('inventories two H100s with driver and CUDA version', async () => {
    const inventory = await smiOnPath(state('h100x2.json')).inventory();
    expect(inventory).toEqual([
      {
        index: 0,
        uuid: 'GPU-5c1c8d6e-0a7b-4f7e-9d8a-1b2c3d4e5f60',
        name: 'NVIDIA H100 80GB HBM3',
        memoryTotalMiB: 81559,
        memoryUsedMiB: 1,
        driverVersion: '550.54.15',
        cudaVersion: '12.4',
        processes: [],
      },
      {
        index: 1,
        uuid: 'GPU-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
        name: 'NVIDIA H100 80GB HBM3',
        memoryTotalMiB: 81559,
        memoryUsedMiB: 1,
        driverVersion: '550.54.15',
        cudaVersion: '12.4',
        processes: [],
      },
    ]);
  });

  it('sees foreign processes and [N/A] values, so only idle GPUs are free', async () => {
    const inventory = await smiOnPath(state('a100x4-shared.json')).inventory();
    expect(inventory.map((g) => [g.name, g.memoryUsedMiB, g.processes.map((p) => p.pid)])).toEqual([
      ['NVIDIA A100-SXM4-80GB', 40123, [424242]],
      ['NVIDIA A100 80GB PCIe', 4, []],
      ['NVIDIA A100-SXM4-80GB', null, [424243]],
      ['NVIDIA A100-SXM4-80GB', 0, []],
    ]);
    expect(inventory[2]?.processes[0]?.usedMemoryMiB).toBeNull();
    expect(freeGpus(inventory, [3], []).map((g) => g.index)).toEqual([1]);
  });

  it('reads memory without processes for heartbeats, and the CUDA version once per driver', async () => {
    const file = join(tempDir(), 'state.json');
    const hostState = (driverVersion: string, cudaVersion: string) =>
      JSON.stringify({
        driverVersion,
        cudaVersion,
        gpus: [
          {
            index: 0,
            uuid: 'GPU-a',
            name: 'NVIDIA H100 80GB HBM3',
            memoryTotalMiB: 81559,
            memoryUsedMiB: 900,
          },
        ],
        processes: [{ pid: process.pid, gpuUuid: 'GPU-a', usedMemoryMiB: 880 }],
      });
    writeFileSync(file, hostState('550.54.15', '12.4'));
    const smi = smiOnPath(file);
    const [gpu] = await smi.inventory({ processes: false });
    expect(gpu).toMatchObject({ memoryUsedMiB: 900, cudaVersion: '12.4', processes: [] });
    expect((await smi.inventory())[0]?.processes.map((p) => p.pid)).toEqual([process.pid]);

    // Same driver: the header is not read again (a header that changed anyway goes unseen)...
    writeFileSync(file, hostState('550.54.15', '12.9'));
    expect((await smi.inventory({ processes: false }))[0]?.cudaVersion).toBe('12.4');
    // ...a new driver is read again.
    writeFileSync(file, hostState('560.28.03', '12.6'));
    expect((await smi.inventory({ processes: false }))[0]).toMatchObject({
      driverVersion: '560.28.03',
      cudaVersion: '12.6',
    });
  });

  it('lists a live process on a GPU, and stops listing it once it exits', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    cleanups.push(() => sleeper.kill('SIGKILL'));
    const file = join(tempDir(), 'state.json');
    writeFileSync(
      file,
      JSON.stringify({
        driverVersion: '550.54.15',
        cudaVersion: '12.4',
        gpus: [
          {
            index: 0,
            uuid: 'GPU-a',
            name: 'NVIDIA H100 80GB HBM3',
            memoryTotalMiB: 81559,
            memoryUsedMiB: 900,
          },
        ],
        processes: [{ pid: sleeper.pid, gpuUuid: 'GPU-a', usedMemoryMiB: 880 }],
      }),
    );
    const smi = smiOnPath(file);
    expect(await smi.computeApps()).toEqual([{ pid: sleeper.pid, gpuUuid: 'GPU-a', usedMemoryMiB: 880 }]);
    const exited = new Promise((resolve) => sleeper.once('exit', resolve));
    sleeper.kill('SIGKILL');
    await exited;
    expect(await smi.computeApps()).toEqual([]);
  });

  it('is zero GPUs, not an error, when nvidia-smi is not on PATH', async () => {
    const smi = new NvidiaSmi({ env: { PATH: tempDir() } });
    await expect(smi.inventory()).resolves.toEqual([]);
    await expect(smi.computeApps()).resolves.toEqual([]);
  });

  it('fails clearly when a configured nvidia-smi path does not exist', async () => {
    const missing = join(tempDir(), 'nvidia-smi');
    await expect(new NvidiaSmi({ binary: missing }).inventory()).rejects.toThrow(
      new RegExp(`^${missing} --query-gpu=.* failed \\(ENOENT\\)`),
    );
  });

  it('is zero GPUs when the driver finds no device (exit 6)', async () => {
    await expect(smiOnPath(state('no-gpus.json')).inventory()).resolves.toEqual([]);
  });

  it('fails clearly when the driver does not answer', async () => {
    const error = await smiOnPath(state('driver-failure.json'))
      .inventory()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NvidiaSmiError);
    expect((error as Error).message).toMatch(
      /^nvidia-smi --query-gpu=index,.* failed \(exit code 9\): NVIDIA-SMI has failed because it couldn't communicate/,
    );
  });

  it('fails clearly when nvidia-smi hangs past the timeout', async () => {
    const file = join(tempDir(), 'hang.json');
    writeFileSync(file, JSON.stringify({ hangSeconds: 20, gpus: [] }));
    await expect(smiOnPath(file, { timeoutMs: 300 }).inventory()).rejects.toThrow(
      /did not answer within 300 ms/,
    );
  });

  it('fails clearly when the program is not executable', async () => {
    const dir = tempDir();
    const notExecutable = join(dir, 'nvidia-smi');
    writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    await expect(new NvidiaSmi({ binary: notExecutable }).inventory()).rejects.toThrow(NvidiaSmiError);
  });
});

describe('the fake nvidia-smi itself', () => {
  const run = (args: string[]) =>
    execa(fakeSmi, args, { reject: false, env: { FAKE_NVIDIA_SMI_STATE: state('h100x2.json') } });

  it('refuses a format without a query, and two queries at once (exit 2)', async () => {
    for (const args of [
      ['--format=csv'],
      ['--query-gpu=index', '--query-compute-apps=pid', '--format=csv'],
    ]) {
      const result = await run(args);
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe(
        "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.",
      );
    }
  });

  it('prints a header and units unless asked not to', async () => {
    const result = await run(['--query-gpu=index,memory.total', '--format=csv']);
    expect(result.stdout.split('\n')).toEqual(['index, memory.total [MiB]', '0, 81559 MiB', '1, 81559 MiB']);
  });
});

// What nvidia-smi 580.159.04 printed on an H100 host (scripts/device/capture-gpu-host.sh), call by
// call; the fake, given that host as its state, must print the same bytes and exit the same way.
describe('the fake nvidia-smi against the real one (driver 580, H100)', () => {
  const captured = join(fixtures, 'nvidia-smi', 'h100-driver-580');
  const calls = new Map(
    readFileSync(join(captured, 'manifest.tsv'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
      .filter(([name]) => name !== 'holder')
      .map(([name, exitCode, args]) => [
        name!,
        { exitCode: Number(exitCode), args: args ? args.split(' ') : [] },
      ]),
  );
  const realStdout = (name: string) => readFileSync(join(captured, `${name}.stdout`), 'utf8');
  const idleHost = JSON.parse(readFileSync(state('h100-driver-580.json'), 'utf8')) as {
    gpus: Array<Record<string, unknown>>;
  };
  // The host while scripts/device/capture-gpu-host.sh's CUDA process (PID 679, gone since) held 2 GiB.
  const busyHost = {
    ...idleHost,
    keepDeadPids: true,
    gpus: [{ ...idleHost.gpus[0], memoryUsedMiB: 2575, temperatureC: 38, powerW: 122 }],
    processes: [
      {
        pid: 679,
        gpuUuid: 'GPU-61bd71df-17c9-91cb-fb0c-77a8d360a953',
        usedMemoryMiB: 2566,
        processName: 'python3',
      },
    ],
  };
  const fakeOn = (host: 'idle' | 'busy', name: string) => {
    const stateFile = host === 'idle' ? state('h100-driver-580.json') : join(tempDir(), 'busy.json');
    if (host === 'busy') writeFileSync(stateFile, JSON.stringify(busyHost));
    const call = calls.get(name);
    if (call === undefined) throw new Error(`no capture named ${name}`);
    return {
      call,
      result: execa(fakeSmi, call.args, {
        reject: false,
        stripFinalNewline: false,
        env: { FAKE_NVIDIA_SMI_STATE: stateFile },
      }),
    };
  };

  it.each([
    ['idle', 'list'],
    ['idle', 'gpus-idle'],
    ['idle', 'gpus-idle-header'],
    ['idle', 'apps-idle'],
    ['idle', 'apps-idle-header'],
    ['idle', 'query-without-format'],
    ['idle', 'error-unknown-gpu-field'],
    ['idle', 'error-unknown-app-field'],
    ['idle', 'error-unknown-flag'],
    ['busy', 'gpus-busy'],
    ['busy', 'apps-busy'],
    ['busy', 'apps-busy-header'],
  ] as const)('%s host: %s', async (host, name) => {
    const { call, result } = fakeOn(host, name);
    const { stdout, exitCode } = await result;
    expect({ stdout, exitCode }).toEqual({ stdout: realStdout(name), exitCode: call.exitCode });
  });

  it.each([
    ['idle', 'summary-idle'],
    ['busy', 'summary-busy'],
  ] as const)('%s host: the summary table, but for its time', async (host, name) => {
    const { result } = fakeOn(host, name);
    const [fakeTime, ...fakeRest] = (await result).stdout.split('\n');
    const [, ...realRest] = realStdout(name).split('\n');
    expect(fakeTime).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} {7}$/);
    expect(fakeRest).toEqual(realRest);
  });

  it('gives the agent the inventory the real tool gave it on that host', async () => {
    const file = join(tempDir(), 'busy.json');
    writeFileSync(file, JSON.stringify(busyHost));
    const probe = JSON.parse(readFileSync(join(captured, 'probe.json'), 'utf8')) as { inventory: unknown };
    await expect(smiOnPath(file).inventory()).resolves.toEqual(probe.inventory);
  });
});
