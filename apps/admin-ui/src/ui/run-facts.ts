import type { RunView } from '../api/types.js';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * What a run trains or evaluates, from its spec: a train run's model; an eval's target (a model,
 * a training run's checkpoint, or an endpoint's model); an import's origin.
 */
export function runModel(run: RunView): string {
  const spec = run.spec;
  const model = text(spec['model']);
  if (model) return model;
  const target = record(spec['target']);
  if (target) {
    const targetModel = text(target['model']);
    if (targetModel) return targetModel;
    const checkpoint = record(target['checkpoint']);
    if (checkpoint)
      return `checkpoint ${String(checkpoint['runId']).slice(0, 8)}@${String(checkpoint['step'])}`;
    const endpoint = record(target['endpoint']);
    if (endpoint) return text(endpoint['model']) ?? 'endpoint';
  }
  // An import's origin, up to its commit: `owner/repo @ <sha> (path)` → `owner/repo`.
  return text(spec['origin'])?.split(' @ ')[0] ?? '–';
}
