import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const bin = new URL('../bin/brier.js', import.meta.url).pathname;

// The installed command, as a user runs it (`npx brier`): needs `npm run build`, which install runs.
describe('the brier executable', () => {
  it('prints help and analyzes the bundled seed run', () => {
    expect(execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' })).toContain('analyze');
    const csv = new URL('../../../examples/seed-run/calibration_metrics.csv', import.meta.url).pathname;
    const out = execFileSync(process.execPath, [bin, 'analyze', csv, '--format', 'csv'], {
      encoding: 'utf8',
    });
    expect(out.trim().split('\n')).toHaveLength(51);
  });

  it('exits 2 on a usage error', () => {
    const result = spawnSync(process.execPath, [bin, 'analyze'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("missing required argument 'file'");
  });
});
