import { validateRunRequest, type ValidRunRequest } from '@brier/contracts';

import { invalidRequest, type FieldMessage } from '../http/api-error.js';

/** The form fields of POST /v1/imports besides the files. */
export const IMPORT_FIELDS = ['name', 'batch_size', 'max_steps', 'origin'] as const;

const FIELD_OF_PATH: Readonly<Record<string, string>> = {
  name: 'name',
  'spec.batchSize': 'batch_size',
  'spec.maxSteps': 'max_steps',
  'spec.origin': 'origin',
};

/** What of an import's spec decides how its rows are read (steps, and which are kept). */
export interface ImportReadSpec {
  batchSize: number;
  maxSteps?: number;
}

/** The form fields as a validated import request (400 naming each bad field). */
export function parseImportFields(fields: Record<string, unknown>): ValidRunRequest {
  const problems: FieldMessage[] = [];
  for (const key of Object.keys(fields)) {
    if (!(IMPORT_FIELDS as readonly string[]).includes(key)) {
      problems.push({
        path: key,
        message: `${key} is not an import field (${IMPORT_FIELDS.join(', ')}, and files)`,
      });
    }
  }
  const text = (key: string): string | undefined => {
    const value = fields[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      problems.push({ path: key, message: `${key} must be given once, as text` });
      return undefined;
    }
    return value.trim();
  };
  const integer = (key: string): number | string | undefined => {
    const value = text(key);
    if (value === undefined || value === '') return undefined;
    return /^\d{1,10}$/.test(value) ? Number(value) : value;
  };
  const name =
    text('name') || `import ${new Date().toISOString().slice(0, 19).replace('T', ' ').replaceAll(':', '.')}`;
  const batchSize = integer('batch_size');
  const maxSteps = integer('max_steps');
  const origin = text('origin');
  if (problems.length > 0) throw invalidRequest(problems);
  const checked = validateRunRequest({
    kind: 'import',
    name,
    resources: { gpuCount: 0 },
    spec: {
      source: 'upload',
      ...(batchSize === undefined ? {} : { batchSize }),
      ...(maxSteps === undefined ? {} : { maxSteps }),
      ...(origin === undefined || origin === '' ? {} : { origin }),
    },
  });
  if (!checked.ok) {
    throw invalidRequest(
      checked.errors.map((e) => ({
        path: FIELD_OF_PATH[e.path] ?? e.path,
        message: e.message.replace(/\bbatchSize\b/g, 'batch_size').replace(/\bmaxSteps\b/g, 'max_steps'),
      })),
    );
  }
  return checked.value;
}

/** The batch size and step cap of a validated import request. */
export function readSpecOf(request: ValidRunRequest): ImportReadSpec {
  const spec = request.spec as { batchSize: number; maxSteps?: number };
  return { batchSize: spec.batchSize, ...(spec.maxSteps === undefined ? {} : { maxSteps: spec.maxSteps }) };
}
