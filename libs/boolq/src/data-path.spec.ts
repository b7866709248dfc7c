import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DATA_DIR_ENV, boolqDataDir, bundledValidationPath } from './data-path.js';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

describe('bundledValidationPath', () => {
  it('resolves data/boolq/val.jsonl at the repository root by default', () => {
    const path = bundledValidationPath({});
    expect(path).toBe(join(REPO_ROOT, 'data', 'boolq', 'val.jsonl'));
    expect(existsSync(path)).toBe(true);
  });

  it(`honours ${DATA_DIR_ENV}, absolute or relative to the working directory`, () => {
    expect(bundledValidationPath({ [DATA_DIR_ENV]: '/srv/brier-data' })).toBe(
      '/srv/brier-data/boolq/val.jsonl',
    );
    expect(boolqDataDir({ [DATA_DIR_ENV]: 'some/dir' })).toBe(resolve('some/dir', 'boolq'));
  });

  it(`ignores an empty ${DATA_DIR_ENV}`, () => {
    expect(bundledValidationPath({ [DATA_DIR_ENV]: ' ' })).toBe(bundledValidationPath({}));
  });
});
