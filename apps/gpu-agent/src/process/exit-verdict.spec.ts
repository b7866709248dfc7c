import { describe, expect, it } from 'vitest';

import { exitVerdict, type ExitVerdict } from './exit-verdict.js';
import type { ProcessExit } from './process-group.js';

const TRACEBACK =
  'Traceback (most recent call last):\n  File "/root/prime-rl/src/prime_rl/rl.py", line 830, in main\n';

function exit(changes: Partial<ProcessExit>): ProcessExit {
  return { exitCode: 1, signal: null, stoppedFor: null, ...changes };
}

interface Row {
  name: string;
  exit: ProcessExit;
  stderr?: string;
  verdict: ExitVerdict['outcome'];
  retryable?: boolean;
  reason?: RegExp;
}

const rows: Row[] = [
  { name: 'exit 0', exit: exit({ exitCode: 0 }), verdict: 'succeeded' },
  {
    name: 'cancelled, rl.py exiting 1 on SIGINT',
    exit: exit({ stoppedFor: 'cancel' }),
    verdict: 'cancelled',
  },
  {
    name: 'cancelled, group SIGKILLed after the grace period',
    exit: exit({ exitCode: null, signal: 'SIGKILL', stoppedFor: 'cancel' }),
    verdict: 'cancelled',
  },
  {
    name: 'cancelled even if it happened to exit 0',
    exit: exit({ exitCode: 0, stoppedFor: 'cancel' }),
    verdict: 'cancelled',
  },
  {
    name: 'revoked lease',
    exit: exit({ stoppedFor: 'revoked' }),
    stderr: 'ValidationError',
    verdict: 'failed',
    retryable: true,
    reason: /lost its lease/,
  },
  {
    name: 'agent shutdown',
    exit: exit({ exitCode: 0, stoppedFor: 'shutdown' }),
    verdict: 'failed',
    retryable: true,
    reason: /shut down .*exited with code 0/,
  },
  {
    name: 'timeout',
    exit: exit({ exitCode: null, signal: 'SIGKILL', stoppedFor: 'timeout' }),
    verdict: 'failed',
    retryable: true,
    reason: /time limit .*SIGKILL/,
  },
  {
    name: 'SIGKILL from outside (OOM killer)',
    exit: exit({ exitCode: null, signal: 'SIGKILL' }),
    stderr: 'ModuleNotFoundError: never mind',
    verdict: 'failed',
    retryable: true,
    reason: /killed by SIGKILL, likely by the kernel's OOM killer/,
  },
  { name: 'exit 137', exit: exit({ exitCode: 137 }), verdict: 'failed', retryable: true, reason: /code 137/ },
  {
    name: "a child SIGKILLed, in rl.py's console (it exits 1 itself)",
    exit: exit({}),
    stderr:
      '12:00:01 ERROR Error: Trainer failed with exit code -9\nTraceback: ModuleNotFoundError: later noise',
    verdict: 'failed',
    retryable: true,
    reason: /a process of the run was killed by SIGKILL, likely by the kernel's OOM killer/,
  },
  {
    name: 'CUDA out of memory',
    exit: exit({}),
    stderr: `${TRACEBACK}torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n`,
    verdict: 'failed',
    retryable: true,
    reason: /GPU ran out of memory: "torch.OutOfMemoryError: CUDA out of memory/,
  },
  {
    name: 'NCCL error',
    exit: exit({}),
    stderr:
      'torch.distributed.DistBackendError: NCCL error in: ProcessGroupNCCL.cpp:1970, unhandled system error',
    verdict: 'failed',
    retryable: true,
    reason: /NCCL/,
  },
  {
    name: 'Xid in the log',
    exit: exit({ exitCode: 3 }),
    stderr: 'NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus.',
    verdict: 'failed',
    retryable: true,
    reason: /Xid/,
  },
  {
    name: 'CUDA error',
    exit: exit({}),
    stderr: 'RuntimeError: CUDA error: an illegal memory access was encountered',
    verdict: 'failed',
    retryable: true,
    reason: /CUDA reported an error/,
  },
  {
    name: 'connection reset',
    exit: exit({}),
    stderr: 'ConnectionResetError: [Errno 104] Connection reset by peer',
    verdict: 'failed',
    retryable: true,
    reason: /connection was reset/,
  },
  {
    name: 'pydantic ValidationError',
    exit: exit({}),
    stderr: `${TRACEBACK}pydantic_core._pydantic_core.ValidationError: 2 validation errors for RLConfig\norchestrator.group_size\n  Extra inputs are not permitted`,
    verdict: 'failed',
    retryable: false,
    reason: /exited with code 1: the config failed validation/,
  },
  {
    name: 'argparse: unrecognized arguments, exit 2',
    exit: exit({ exitCode: 2 }),
    stderr:
      'usage: rl [-h] [@ CONFIG.toml] [--KEY VALUE ...]\nrl: error: unrecognized arguments: --deployment.num-infer-gpus 1',
    verdict: 'failed',
    retryable: false,
    reason: /unrecognized arguments/,
  },
  {
    name: 'ModuleNotFoundError',
    exit: exit({}),
    stderr: "ModuleNotFoundError: No module named 'calibrated_qa'",
    verdict: 'failed',
    retryable: false,
    reason: /could not be imported: "ModuleNotFoundError: No module named 'calibrated_qa'"/,
  },
  {
    name: 'ImportError',
    exit: exit({}),
    stderr: "ImportError: cannot import name 'x' from 'verifiers'",
    verdict: 'failed',
    retryable: false,
  },
  {
    name: 'config file not found',
    exit: exit({}),
    stderr: `${TRACEBACK}FileNotFoundError: TOML file /runs/r1/rl.toml does not exist`,
    verdict: 'failed',
    retryable: false,
    reason: /config file was not found/,
  },
  {
    name: 'TOML syntax error',
    exit: exit({}),
    stderr: "tomllib.TOMLDecodeError: Expected ']' at the end of a table declaration (at line 40, column 7)",
    verdict: 'failed',
    retryable: false,
  },
  {
    name: 'a host fault wins over a config-looking secondary error',
    exit: exit({}),
    stderr: 'torch.OutOfMemoryError: CUDA out of memory.\nImportError: during shutdown',
    verdict: 'failed',
    retryable: true,
  },
  {
    name: 'a missing checkpoint is not a config file',
    exit: exit({}),
    stderr: 'FileNotFoundError: Checkpoint not found at /runs/r1/rl/checkpoints/step_2/trainer',
    verdict: 'failed',
    retryable: true,
    reason: /^it exited with code 1$/,
  },
  {
    name: 'any other exit code',
    exit: exit({ exitCode: 7 }),
    stderr: 'Error: Trainer failed with exit code 7',
    verdict: 'failed',
    retryable: true,
    reason: /^it exited with code 7$/,
  },
  {
    name: 'another signal',
    exit: exit({ exitCode: null, signal: 'SIGSEGV' }),
    verdict: 'failed',
    retryable: true,
    reason: /killed by SIGSEGV/,
  },
];

describe('exitVerdict', () => {
  it.each(rows)('$name', ({ exit: processExit, stderr = '', verdict, retryable, reason }) => {
    const result = exitVerdict(processExit, stderr);
    expect(result.outcome).toBe(verdict);
    if (result.outcome === 'failed') {
      expect(result.retryable).toBe(retryable);
      if (reason) expect(result.reason).toMatch(reason);
      expect(result.reason.length).toBeLessThan(400);
    }
  });

  it('never quotes a secret from the matching line', () => {
    const token = 'hf_' + 'a1B2c3D4e5'.repeat(3);
    const result = exitVerdict(
      exit({}),
      `ModuleNotFoundError: No module named 'x' (HF_TOKEN=${token} WANDB_API_KEY: 0123456789abcdef0123456789abcdef01234567)`,
    );
    expect(result).toMatchObject({ outcome: 'failed', retryable: false });
    const reason = (result as { reason: string }).reason;
    expect(reason).not.toContain(token);
    expect(reason).not.toContain('0123456789abcdef');
    expect(reason).toContain('HF_TOKEN=***');
  });
});
