import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { configsDir } from './configs-dir.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

describe('configsDir', () => {
  it("is the repository's configs/ folder", () => {
    expect(configsDir({})).toBe(join(repoRoot, 'configs'));
    expect(existsSync(join(configsDir({}), 'prompts'))).toBe(true);
  });

  it('can be overridden with BRIER_CONFIGS_DIR (made absolute)', () => {
    expect(configsDir({ BRIER_CONFIGS_DIR: '/etc/brier/configs' })).toBe('/etc/brier/configs');
    expect(configsDir({ BRIER_CONFIGS_DIR: 'my-configs' })).toBe(resolve('my-configs'));
  });

  it('ignores an empty override', () => {
    expect(configsDir({ BRIER_CONFIGS_DIR: '' })).toBe(join(repoRoot, 'configs'));
  });
});
