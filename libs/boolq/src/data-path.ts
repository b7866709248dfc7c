import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadBoolQJsonl, type LoadOptions, type LoadResult } from './load-jsonl.js';

/** Environment variable naming a directory laid out like the repository's `data/` (holding `boolq/val.jsonl`). */
export const DATA_DIR_ENV = 'BRIER_DATA_DIR';

/**
 * The repository's `data/` directory. This module sits at libs/boolq/src/ when run from source and at
 * libs/boolq/dist/ when built (rootDir src, outDir dist, same depth), so three levels up is the repo
 * root either way; Node resolves the workspace symlink in node_modules/@brier to this real path.
 */
const REPO_DATA_DIR = fileURLToPath(new URL('../../../data/', import.meta.url));

/** The directory BoolQ files are read from: `$BRIER_DATA_DIR/boolq` when set, else `<repo>/data/boolq`. */
export function boolqDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[DATA_DIR_ENV]?.trim();
  const dataDir = override ? resolve(override) : REPO_DATA_DIR; // relative overrides: from the cwd
  return join(dataDir, 'boolq');
}

/** Absolute path of the bundled BoolQ validation split (SuperGLUE packaging, 3,270 records). */
export function bundledValidationPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(boolqDataDir(env), 'val.jsonl');
}

/** Load the bundled validation split; ids follow exampleId (content hashes, 3,270 distinct). */
export async function loadBundledValidation(options: LoadOptions = {}): Promise<LoadResult> {
  return loadBoolQJsonl(bundledValidationPath(), options);
}
