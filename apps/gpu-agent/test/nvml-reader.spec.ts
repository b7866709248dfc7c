import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { validateConfig } from '@brier/config';
import { waitFor } from '../../api/test/support/runs-fixtures.js';
import { afterEach, describe, expect, it } from 'vitest';

import { AgentConfig } from '../src/config/agent.config.js';
import { GpuInventoryService } from '../src/gpus/gpu-inventory.service.js';
import { NvidiaSmi } from '../src/gpus/nvidia-smi.repository.js';
import { NVML_READER_SCRIPT, nvmlReaderCommand } from '../src/gpus/nvml-reader-command.js';
import { NvmlReader, type NvmlReaderCommand } from '../src/gpus/nvml-reader.js';
import { FAKE_NVIDIA_SMI, FAKE_UV, isAlive, tempDir } from './support/agent-process.js';

// The NVML reader through the agent's own command (`uv run --no-sync python nvml_reader.py` in the
// prime-rl checkout), against the fake uv and its fake pynvml, which answer from the fake
// nvidia-smi's state files: the two readers must agree on every fake host.

const gpusDir = fileURLToPath(new URL('./fixtures/gpus/', import.meta.url));
const state = (name: string): string => join(gpusDir, name);
const DEADLINE_MS = 20_000;

function config(): AgentConfig {
  return validateConfig(AgentConfig, {
    UV_BIN: FAKE_UV,
    NVIDIA_SMI_BIN: FAKE_NVIDIA_SMI,
    PRIME_RL_DIR: tempDir('brier-prime-rl-'),
    AGENT_WORK_DIR: tempDir(),
  });
}

function agentCommand(stateFile: string, extra: Record<string, string> = {}): NvmlReaderCommand {
  const command = nvmlReaderCommand(config());
  return { ...command, env: { ...command.env, FAKE_NVIDIA_SMI_STATE: stateFile, ...extra } };
}

/** The reader on a Python without pynvml: the host nvidia-smi must serve. */
function plainPython(): NvmlReaderCommand {
  return {
    file: 'python3',
    args: [NVML_READER_SCRIPT],
    cwd: tempDir(),
    env: { PATH: process.env['PATH'] ?? '' },
  };
}

const readers: NvmlReader[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((reader) => reader.close()));
});

async function startReader(command: NvmlReaderCommand): Promise<NvmlReader> {
  const started = await NvmlReader.start(command, DEADLINE_MS);
  if (started.kind !== 'ready') throw new Error(`the reader did not start: ${started.reason}`);
  readers.push(started.reader);
  return started.reader;
}

function writeState(
  file: string,
  processes: { pid: number; gpuUuid: string; usedMemoryMiB: number }[],
  extra = {},
) {
  const host = JSON.parse(readFileSync(state('h100x2.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...host, processes, ...extra }));
}

describe('NvmlReader', () => {
  it.each(['h100x2.json', 'a100x4-shared.json', 'h100-driver-580.json', 'no-gpus.json'])(
    'reads the inventory nvidia-smi reads on %s: GPUs, memory, driver, CUDA, processes',
    async (host) => {
      const reader = await startReader(agentCommand(state(host)));
      const smi = new NvidiaSmi({ binary: FAKE_NVIDIA_SMI, env: { FAKE_NVIDIA_SMI_STATE: state(host) } });
      const [viaNvml, viaSmi] = await Promise.all([reader.inventory(DEADLINE_MS), smi.inventory()]);
      expect(viaNvml).toEqual(viaSmi);
      if (host === 'a100x4-shared.json') {
        expect(viaNvml.map((gpu) => gpu.processes.map((p) => [p.pid, p.usedMemoryMiB]))).toEqual([
          [[424242, 40110]],
          [],
          [[424243, null]],
          [],
        ]);
      }
    },
  );

  it('sees a process appear and go between two reads (NVML is read live, not once)', async () => {
    const file = join(tempDir(), 'state.json');
    writeState(file, []);
    const reader = await startReader(agentCommand(file));
    expect((await reader.inventory(DEADLINE_MS)).flatMap((gpu) => gpu.processes)).toEqual([]);

    const holder = spawn('sleep', ['60']);
    try {
      const uuid = (await reader.inventory(DEADLINE_MS))[1]!.uuid;
      writeState(file, [{ pid: holder.pid!, gpuUuid: uuid, usedMemoryMiB: 2566 }]);
      const busy = await reader.inventory(DEADLINE_MS);
      expect(busy.map((gpu) => gpu.processes.map((p) => p.pid))).toEqual([[], [holder.pid]]);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    // A process that ended is not listed, as NVML (and nvidia-smi) leave dead PIDs out.
    expect((await reader.inventory(DEADLINE_MS)).flatMap((gpu) => gpu.processes)).toEqual([]);
  });

  it('says why NVML cannot be read: no pynvml in the Python, no driver, no uv', async () => {
    expect(await NvmlReader.start(plainPython(), DEADLINE_MS)).toEqual({
      kind: 'unavailable',
      reason: "cannot import pynvml (nvidia-ml-py): No module named 'pynvml'",
    });
    expect(await NvmlReader.start(agentCommand(state('driver-failure.json')), DEADLINE_MS)).toEqual({
      kind: 'unavailable',
      reason: 'NVML did not start: Driver Not Loaded',
    });
    const noUv = { ...agentCommand(state('h100x2.json')), file: join(tempDir(), 'no-uv-here') };
    const started = await NvmlReader.start(noUv, DEADLINE_MS);
    expect(started.kind).toBe('unavailable');
    expect(started.kind === 'unavailable' && started.reason).toMatch(
      /^the NVML reader exited before it was ready \(.*no-uv-here.*ENOENT/,
    );
  });

  it('kills a reader that misses its deadline, and fails every later read at once', async () => {
    // Ready, then never answers: NVML wedged in the kernel.
    const wedged = {
      file: 'python3',
      args: [
        '-c',
        'import json,time; print(json.dumps({"ready": True, "driverVersion": "580"}), flush=True); time.sleep(60)',
      ],
      cwd: tempDir(),
      env: { PATH: process.env['PATH'] ?? '' },
    };
    const reader = await startReader(wedged);
    const began = Date.now();
    await expect(reader.inventory(300)).rejects.toThrow(
      'the NVML reader did not answer within 300 ms (killed)',
    );
    expect(Date.now() - began).toBeLessThan(5_000);
    await waitFor(() => Promise.resolve(!isAlive(reader.pid!)), {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: 'the reader gone',
    });
    await expect(reader.inventory(300)).rejects.toThrow('did not answer within 300 ms');
  });

  it('fails the reads of a reader that died, with its last words', async () => {
    const reader = await startReader(agentCommand(state('h100x2.json')));
    await reader.inventory(DEADLINE_MS);
    process.kill(reader.pid!, 'SIGKILL');
    await waitFor(() => Promise.resolve(reader.dead !== null), {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: 'the exit seen',
    });
    expect(reader.dead).toBe('the NVML reader exited');
    await expect(reader.inventory(DEADLINE_MS)).rejects.toThrow('the NVML reader exited');
  });

  it('answers an NVML error as an error, and ends when its input ends', async () => {
    const file = join(tempDir(), 'state.json');
    writeState(file, [], { driverLoad: 1 });
    const reader = await startReader(agentCommand(file));
    await reader.inventory(DEADLINE_MS);
    writeState(file, [], { driverLoad: 2 });
    await expect(reader.inventory(DEADLINE_MS)).rejects.toThrow('NVML: NVMLError_GpuIsLost: GPU is lost');

    const pid = reader.pid!;
    await reader.close();
    expect(isAlive(pid)).toBe(false);
  });
});

describe('GpuInventoryService', () => {
  afterEach(() => {
    delete process.env['FAKE_NVIDIA_SMI_STATE'];
    delete process.env['FAKE_NVIDIA_SMI_CALL_LOG'];
  });

  /** The service of an agent whose fake host is `file`, every GPU read logged to the returned file. */
  function service(file: string): { gpus: GpuInventoryService; calls: () => string[] } {
    const log = join(tempDir(), 'calls');
    writeFileSync(log, '');
    process.env['FAKE_NVIDIA_SMI_STATE'] = file;
    process.env['FAKE_NVIDIA_SMI_CALL_LOG'] = log;
    const gpus = new GpuInventoryService(config());
    const calls = (): string[] => {
      const lines = readFileSync(log, 'utf8').split('\n').slice(0, -1);
      writeFileSync(log, '');
      return lines.map((line) => (line.startsWith('nvml:') ? line : `nvidia-smi ${line.split('=')[0]}`));
    };
    return { gpus, calls };
  }

  it('reads through NVML once useNvml started it: no nvidia-smi call for heartbeats or placements', async () => {
    const { gpus, calls } = service(state('h100x2.json'));
    await gpus.useNvml(nvmlReaderCommand(config()));
    try {
      expect((await gpus.refresh()).map((gpu) => gpu.name)).toEqual([
        'NVIDIA H100 80GB HBM3',
        'NVIDIA H100 80GB HBM3',
      ]);
      expect(gpus.report()[0]).toMatchObject({
        driverVersion: '550.54.15',
        cudaVersion: '12.4',
        memoryUsedMiB: 1,
      });
      expect(calls()).toEqual([]); // heartbeats report memory only: no process list is read
      await gpus.withCurrentProcesses();
      expect(calls()).toEqual(['nvml:processes 0', 'nvml:processes 1']);
    } finally {
      await gpus.close();
    }
  });

  it('without NVML (not asked, or it cannot start) every read is nvidia-smi', async () => {
    const { gpus, calls } = service(state('h100x2.json'));
    await gpus.refresh();
    await gpus.withCurrentProcesses();
    // The GPU query, the header (for the CUDA version, once per driver), the compute processes.
    expect(calls()).toEqual(['nvidia-smi --query-gpu', 'nvidia-smi ', 'nvidia-smi --query-compute-apps']);

    await gpus.useNvml(plainPython());
    await gpus.withCurrentProcesses();
    expect(calls()).toEqual(['nvidia-smi --query-compute-apps']);
    await gpus.close();
  });

  it('answers from nvidia-smi when the NVML session goes stale, then reads through a new reader', async () => {
    const file = join(tempDir(), 'state.json');
    writeState(file, [], { driverLoad: 1 });
    const { gpus, calls } = service(file);
    await gpus.useNvml(nvmlReaderCommand(config()));
    try {
      await gpus.withCurrentProcesses();
      expect(calls()).toEqual(['nvml:processes 0', 'nvml:processes 1']);

      writeState(file, [], { driverLoad: 2 }); // the driver reloaded under the reader
      expect(await gpus.withCurrentProcesses()).toHaveLength(2);
      // The NVML read failed (before any GPU was read), so nvidia-smi read the whole inventory
      // (GPUs; then header and processes at once); a new reader starts meanwhile.
      expect(calls().sort()).toEqual([
        'nvidia-smi ',
        'nvidia-smi --query-compute-apps',
        'nvidia-smi --query-gpu',
      ]);

      await waitFor(
        async () => {
          await gpus.withCurrentProcesses();
          return calls().at(-1) === 'nvml:processes 1';
        },
        { timeoutMs: DEADLINE_MS, intervalMs: 50, what: 'reads through a new NVML reader' },
      );
    } finally {
      await gpus.close();
    }
  });
});
