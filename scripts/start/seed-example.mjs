// On a fresh installation, the seed's published run becomes the first run, so that a new user's
// first screen is a real run rather than an empty table: when GET /v1/runs?limit=1 is empty,
// examples/seed-run is imported through the API (POST /v1/imports, the same route as
// `brier import`). Node built-ins only: fetch, FormData, fs.openAsBlob.
import { existsSync, openAsBlob } from 'node:fs';
import { join } from 'node:path';

export const SEED_EXAMPLE_FILES = ['calibration_metrics.csv', 'orchestrator.stdout'];
export const SEED_EXAMPLE_NAME = 'seed run - gemma-2-2b-it GRPO on BoolQ - 50 steps';
export const SEED_EXAMPLE_ORIGIN =
  'SPAR-Self-Forecasting/gemma2-boolq-calibration @ ad766c3e089583949795f11d7fbea9365c2d8540 (examples/seed-run)';

/**
 * Import examples/seed-run into the API at `apiUrl` if it has no run yet, with `token` (an admin
 * or researcher API token: the run is owned by its name). Returns the run's URL,
 * or null when nothing was imported. Never throws: a failure is reported through `say` and the
 * API keeps running without the example.
 */
export async function seedExample(apiUrl, { root, token, say, timeoutMs = 120_000 }) {
  const headers = { authorization: `Bearer ${token}` };
  try {
    const list = await fetch(`${apiUrl}/v1/runs?limit=1`, { headers, signal: AbortSignal.timeout(10_000) });
    if (list.status !== 200) {
      say(`example: GET /v1/runs answered ${list.status}; not importing the seed's run`);
      return null;
    }
    const { items } = await list.json();
    if (!Array.isArray(items) || items.length > 0) return null;

    const dir = join(root, 'examples', 'seed-run');
    const missing = SEED_EXAMPLE_FILES.filter((name) => !existsSync(join(dir, name)));
    if (missing.length > 0) {
      say(`example: ${missing.join(', ')} missing from examples/seed-run; not importing the seed's run`);
      return null;
    }
    say("example: no runs yet: importing the seed's published run (examples/seed-run)");
    const form = new FormData();
    form.append('name', SEED_EXAMPLE_NAME);
    form.append('origin', SEED_EXAMPLE_ORIGIN);
    for (const name of SEED_EXAMPLE_FILES) form.append('files', await openAsBlob(join(dir, name)), name);
    const response = await fetch(`${apiUrl}/v1/imports`, {
      method: 'POST',
      headers,
      body: form,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.json().catch(() => null);
    if (response.status !== 201 || !body?.id) {
      const message = Array.isArray(body?.message)
        ? body.message.map((m) => `${m.path}: ${m.message}`).join('; ')
        : (body?.message ?? JSON.stringify(body));
      say(`example: importing the seed's run failed (${response.status}): ${message}`);
      return null;
    }
    const url = `${apiUrl}/v1/runs/${body.id}`;
    const what = body.import ? `${body.import.rollouts} rollouts in ${body.import.steps} steps` : 'imported';
    say(`example: the seed's run is run ${body.id} (${what}): ${url} (metrics: ${url}/metrics)`);
    return url;
  } catch (error) {
    say(`example: could not import the seed's run: ${error.cause?.code ?? error.message}`);
    return null;
  }
}
