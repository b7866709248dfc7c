import { JOBS, RUN_JOB_VERSION } from '@brier/contracts';
import { describe, expect, it } from 'vitest';

import { MalformedJobError, parseRunJob } from './run-job-payload.js';

const good = {
  runId: '0b5d3f9e-4c1a-4b7e-9a3f-2d8c6e1f0a9b',
  specVersion: 1,
  jobVersion: RUN_JOB_VERSION,
  resources: { gpuCount: 1, gpuType: null, labels: [], primeRlVersion: 'v0.4.0' },
};

describe('parseRunJob', () => {
  it('takes a well-formed train or eval job', () => {
    expect(parseRunJob(JOBS.trainRun, good)).toEqual(good);
    expect(parseRunJob(JOBS.evalRun, { ...good, resources: { gpuCount: 0, labels: ['a100'] } })).toEqual({
      ...good,
      resources: { gpuCount: 0, gpuType: null, labels: ['a100'], primeRlVersion: null },
    });
  });

  it.each([
    ['an import job (the API runs those)', JOBS.importRun, good, /not one an agent runs/],
    ['an unknown name', 'rm -rf', good, /not one an agent runs/],
    ['no data', JOBS.trainRun, null, /not an object/],
    ['another payload version', JOBS.trainRun, { ...good, jobVersion: 2 }, /jobVersion 2/],
    ['a run id that is not a UUID', JOBS.trainRun, { ...good, runId: '../../etc' }, /runId/],
    ['a negative GPU count', JOBS.trainRun, { ...good, resources: { gpuCount: -1, labels: [] } }, /gpuCount/],
    [
      'labels that are not strings',
      JOBS.trainRun,
      { ...good, resources: { gpuCount: 1, labels: [1] } },
      /labels/,
    ],
    ['no resources', JOBS.trainRun, { ...good, resources: undefined }, /resources/],
    [
      'a prime-rl version that is not a string',
      JOBS.trainRun,
      { ...good, resources: { gpuCount: 1, labels: [], primeRlVersion: 4 } },
      /primeRlVersion/,
    ],
  ])('refuses %s', (_what, name, data, message) => {
    expect(() => parseRunJob(name, data)).toThrow(MalformedJobError);
    expect(() => parseRunJob(name, data)).toThrow(message);
  });
});
