import { isAbsolute } from 'node:path';

import { PrimeRlConfigError } from './prime-rl-adapter.js';

/**
 * Checks every adapter applies to what it turns into prime-rl flags, paths and TOML values, so
 * that a bad spec or host fails as a PrimeRlConfigError (not retried) before anything starts.
 */

/** At least one GPU, each an nvidia-smi index, none twice. */
export function checkGpuIds(gpuIds: readonly number[], who: string): void {
  if (gpuIds.length === 0) throw new PrimeRlConfigError(`${who} needs at least one GPU (got none)`);
  for (const id of gpuIds) {
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new PrimeRlConfigError(`GPU ids must be nvidia-smi indices (got ${JSON.stringify(id)})`);
    }
  }
  if (new Set(gpuIds).size !== gpuIds.length) {
    throw new PrimeRlConfigError(`GPU ids must be distinct (got ${gpuIds.join(',')})`);
  }
}

/**
 * A model argument that cannot turn into a flag or a relative path: a Hugging Face id
 * (`org/name`) or an absolute path. The prime-rl checkout is the server's cwd, so a relative
 * path would silently mean a folder inside it.
 */
export function servableModel(model: string): string {
  if (model === '' || model.startsWith('-') || /\p{Cc}/u.test(model)) {
    throw new PrimeRlConfigError(
      `model must be a Hugging Face id or an absolute path (got ${JSON.stringify(model)})`,
    );
  }
  if (model.startsWith('.') || model.startsWith('~')) {
    throw new PrimeRlConfigError(`a model path must be absolute (got ${JSON.stringify(model)})`);
  }
  return model;
}

export function absolute(path: string, what: string): string {
  if (path === '' || !isAbsolute(path)) {
    throw new PrimeRlConfigError(`${what} must be an absolute path (got ${JSON.stringify(path)})`);
  }
  return path;
}

export function stepNumber(step: number, what: string): number {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new PrimeRlConfigError(`${what} must be a non-negative integer (got ${JSON.stringify(step)})`);
  }
  return step;
}

export function checkPort(port: number | undefined, what = 'port'): number {
  if (port === undefined || !Number.isSafeInteger(port) || port < 1 || port > 65_535) {
    throw new PrimeRlConfigError(
      `${what} must be in 1..65535 (got ${port === undefined ? 'none' : JSON.stringify(port)})`,
    );
  }
  return port;
}
