import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import {
  assembleInventory,
  COMPUTE_APPS_ARGS,
  GPU_QUERY_ARGS,
  NvidiaSmiParseError,
  parseComputeApps,
  parseCudaVersion,
  parseGpuQuery,
} from './nvidia-smi-output.js';

// Shaped like what nvidia-smi 535/550 print for these queries (csv,noheader,nounits).
const H100_X2 = [
  '0, GPU-5c1c8d6e-0a7b-4f7e-9d8a-1b2c3d4e5f60, NVIDIA H100 80GB HBM3, 81559, 1, 550.54.15',
  '1, GPU-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d, NVIDIA H100 80GB HBM3, 81559, 74211, 550.54.15',
  '',
].join('\n');

const MIXED_A100 = [
  '0, GPU-0e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b, NVIDIA A100-SXM4-80GB, 81920, 40123, 535.129.03',
  '1, GPU-1f3a4b5c-6d7e-4f8a-9b0c-1d2e3f4a5b6c, NVIDIA A100 80GB PCIe, 81920, [N/A], 535.129.03',
  '2, GPU-2a4b5c6d-7e8f-4a9b-0c1d-2e3f4a5b6c7d, Tesla V100-SXM2-16GB, [Not Supported], 0, [N/A]',
].join('\r\n');

const SUMMARY_550 = `Mon Jun  3 12:00:00 2024
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: 12.4     |
|-----------------------------------------+------------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
`;

const SUMMARY_470 = `+-----------------------------------------------------------------------------+
| NVIDIA-SMI 470.82.01    Driver Version: 470.82.01    CUDA Version: 11.4     |
|-------------------------------+----------------------+----------------------+`;

describe('the nvidia-smi calls', () => {
  it('asks for exactly the fields the parsers read, without header or units', () => {
    expect(GPU_QUERY_ARGS).toEqual([
      '--query-gpu=index,uuid,name,memory.total,memory.used,driver_version',
      '--format=csv,noheader,nounits',
    ]);
    expect(COMPUTE_APPS_ARGS).toEqual([
      '--query-compute-apps=pid,gpu_uuid,used_memory',
      '--format=csv,noheader,nounits',
    ]);
  });
});

describe('parseGpuQuery', () => {
  it('reads H100s, names with spaces kept whole', () => {
    expect(parseGpuQuery(H100_X2)).toEqual([
      {
        index: 0,
        uuid: 'GPU-5c1c8d6e-0a7b-4f7e-9d8a-1b2c3d4e5f60',
        name: 'NVIDIA H100 80GB HBM3',
        memoryTotalMiB: 81559,
        memoryUsedMiB: 1,
        driverVersion: '550.54.15',
      },
      {
        index: 1,
        uuid: 'GPU-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
        name: 'NVIDIA H100 80GB HBM3',
        memoryTotalMiB: 81559,
        memoryUsedMiB: 74211,
        driverVersion: '550.54.15',
      },
    ]);
  });

  it('turns [N/A] and [Not Supported] into null, CRLF and all', () => {
    const rows = parseGpuQuery(MIXED_A100);
    expect(rows.map((r) => [r.name, r.memoryTotalMiB, r.memoryUsedMiB, r.driverVersion])).toEqual([
      ['NVIDIA A100-SXM4-80GB', 81920, 40123, '535.129.03'],
      ['NVIDIA A100 80GB PCIe', 81920, null, '535.129.03'],
      ['Tesla V100-SXM2-16GB', null, 0, null],
    ]);
  });

  it('keeps a name that contains a comma', () => {
    const [row] = parseGpuQuery('0, GPU-abc, Some GPU, Rev. 2, 1024, 8, 550.1');
    expect(row).toMatchObject({ name: 'Some GPU, Rev. 2', memoryTotalMiB: 1024, memoryUsedMiB: 8 });
  });

  it('sorts by index', () => {
    const rows = parseGpuQuery('1, GPU-b, B, 10, 0, 1\n0, GPU-a, A, 10, 0, 1\n');
    expect(rows.map((r) => r.uuid)).toEqual(['GPU-a', 'GPU-b']);
  });

  it('reads zero GPUs: empty output and "No devices were found"', () => {
    expect(parseGpuQuery('')).toEqual([]);
    expect(parseGpuQuery('\n')).toEqual([]);
    expect(parseGpuQuery('No devices were found\n')).toEqual([]);
  });

  it.each([
    ['too few values', '0, GPU-a, A, 10, 0'],
    ['an index that is not a number', 'x, GPU-a, A, 10, 0, 1'],
    ['memory with a unit it did not ask for', '0, GPU-a, A, 10 GiB, 0, 1'],
    ['no UUID', '0, [N/A], A, 10, 0, 1'],
  ])('refuses %s', (_why, line) => {
    expect(() => parseGpuQuery(line)).toThrow(NvidiaSmiParseError);
  });

  it('refuses the same index twice', () => {
    expect(() => parseGpuQuery('0, GPU-a, A, 10, 0, 1\n0, GPU-b, B, 10, 0, 1')).toThrow(/same index twice/);
  });
});

describe('parseComputeApps', () => {
  it('reads processes, [N/A] memory as null', () => {
    const out = [
      '424242, GPU-0e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b, 40110',
      '424243, GPU-2a4b5c6d-7e8f-4a9b-0c1d-2e3f4a5b6c7d, [N/A]',
      '',
    ].join('\n');
    expect(parseComputeApps(out)).toEqual([
      { pid: 424242, gpuUuid: 'GPU-0e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b', usedMemoryMiB: 40110 },
      { pid: 424243, gpuUuid: 'GPU-2a4b5c6d-7e8f-4a9b-0c1d-2e3f4a5b6c7d', usedMemoryMiB: null },
    ]);
  });

  it('reads no processes: empty output, or the table wording', () => {
    expect(parseComputeApps('')).toEqual([]);
    expect(parseComputeApps('No running processes found\n')).toEqual([]);
  });

  it('refuses a garbled line', () => {
    expect(() => parseComputeApps('abc, GPU-a, 10')).toThrow(/pid is not an integer/);
    expect(() => parseComputeApps('12, GPU-a')).toThrow(/expected 3 values/);
  });
});

describe('parseCudaVersion', () => {
  it('reads the summary header of current and older drivers', () => {
    expect(parseCudaVersion(SUMMARY_550)).toBe('12.4');
    expect(parseCudaVersion(SUMMARY_470)).toBe('11.4');
  });

  it('is null when the header has none or says N/A', () => {
    expect(parseCudaVersion('')).toBeNull();
    expect(
      parseCudaVersion('| NVIDIA-SMI 535.104.05   Driver Version: 535.104.05   CUDA Version: N/A |'),
    ).toBeNull();
  });
});

describe('assembleInventory', () => {
  it('attaches processes by UUID and the CUDA version to every GPU', () => {
    const rows = parseGpuQuery(H100_X2);
    const processes = parseComputeApps(
      '7, GPU-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d, 74000\n8, MIG-1234-unknown, 10\n',
    );
    const inventory = assembleInventory(rows, processes, '12.4');
    expect(inventory.map((gpu) => [gpu.index, gpu.cudaVersion, gpu.processes.map((p) => p.pid)])).toEqual([
      [0, '12.4', []],
      [1, '12.4', [7]],
    ]);
  });
});

// What nvidia-smi 580.159.04 printed on an H100 host, idle and with a CUDA process holding 2 GiB
// (test/fixtures/nvidia-smi/h100-driver-580, captured by scripts/device/capture-gpu-host.sh).
describe('the real nvidia-smi 580 on an H100', () => {
  const captured = (name: string) =>
    readFileSync(
      fileURLToPath(
        new URL(`../../test/fixtures/nvidia-smi/h100-driver-580/${name}.stdout`, import.meta.url),
      ),
      'utf8',
    );
  const H100 = {
    index: 0,
    uuid: 'GPU-61bd71df-17c9-91cb-fb0c-77a8d360a953',
    name: 'NVIDIA H100 80GB HBM3',
    memoryTotalMiB: 81559,
    driverVersion: '580.159.04',
  };

  it('reads the GPU query, idle and busy', () => {
    expect(parseGpuQuery(captured('gpus-idle'))).toEqual([{ ...H100, memoryUsedMiB: 0 }]);
    expect(parseGpuQuery(captured('gpus-busy'))).toEqual([{ ...H100, memoryUsedMiB: 2575 }]);
  });

  it('reads no compute process as empty output, and a process by PID and UUID', () => {
    expect(captured('apps-idle')).toBe('');
    expect(parseComputeApps(captured('apps-idle'))).toEqual([]);
    expect(parseComputeApps(captured('apps-busy'))).toEqual([
      { pid: 679, gpuUuid: H100.uuid, usedMemoryMiB: 2566 },
    ]);
  });

  it('reads the CUDA version from the summary table, idle and busy', () => {
    expect(parseCudaVersion(captured('summary-idle'))).toBe('13.0');
    expect(parseCudaVersion(captured('summary-busy'))).toBe('13.0');
  });
});
