import { useEffect, useMemo, useState } from 'preact/hooks';

import { ApiError, callApi, errorText } from '../../api/client.js';
import { API_ROUTES } from '../../api/routes.js';
import type { FieldMessage, Preset } from '../../api/types.js';
import { runHref } from '../../router/location.js';
import { ErrorNote } from '../../ui/error-note.js';
import { useAsync } from '../../ui/use-async.js';
import { useTitle } from '../../ui/use-title.js';
import { FieldInput, fieldId } from './field-input.js';
import {
  buildRunRequest,
  initialValues,
  parseExtraSpec,
  placeErrors,
  presetFields,
  type FormField,
} from './form-model.js';
import { newIdempotencyKey } from './idempotency-key.js';

const TOP_FIELDS = ['preset', 'name', 'description', 'spec'];

function RunForm({
  preset,
  presets,
  onPreset,
}: {
  preset: Preset;
  presets: readonly Preset[];
  onPreset: (name: string) => void;
}) {
  const fields = useMemo(() => presetFields(preset), [preset]);
  const [values, setValues] = useState(() => initialValues(fields));
  const [name, setName] = useState(preset.name);
  const [description, setDescription] = useState('');
  const [extra, setExtra] = useState('');
  const [errors, setErrors] = useState<readonly FieldMessage[]>([]);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const paths = useMemo(() => [...TOP_FIELDS, ...fields.map((f) => f.path)], [fields]);
  const placed = placeErrors(errors, paths);

  const submit = (event: Event): void => {
    event.preventDefault();
    setFailure(undefined);
    const extraSpec = parseExtraSpec(extra);
    if (!extraSpec.ok) {
      setErrors([{ path: 'spec', message: extraSpec.message }]);
      return;
    }
    const body = buildRunRequest({ preset, fields, values, name, description, extraSpec: extraSpec.value });
    setBusy(true);
    callApi(API_ROUTES.submitRun, { body, headers: { 'Idempotency-Key': newIdempotencyKey() } }).then(
      (run) => {
        window.location.hash = runHref(run.id);
      },
      (error: unknown) => {
        setBusy(false);
        if (error instanceof ApiError && error.fieldErrors.length > 0) {
          setErrors(error.fieldErrors);
          // Take the keyboard to the first field the API named.
          const first = placeErrors(error.fieldErrors, paths).byField.keys().next().value;
          if (first !== undefined) document.getElementById(fieldId(first))?.focus();
        } else {
          setErrors([]);
          setFailure(errorText(error));
        }
      },
    );
  };

  const input = (field: FormField) => (
    <FieldInput
      key={field.path}
      field={field}
      value={values[field.path] ?? ''}
      errors={placed.byField.get(field.path)}
      onChange={(value) => setValues((current) => ({ ...current, [field.path]: value }))}
    />
  );
  const top = (path: string) => placed.byField.get(path);

  return (
    <form class="run-form" onSubmit={submit} noValidate data-testid="run-form">
      {(placed.general.length > 0 || failure !== undefined) && (
        <div class="error" role="alert" data-testid="form-errors">
          {failure !== undefined && <p>{failure}</p>}
          {placed.general.length > 0 && (
            <ul>
              {placed.general.map((e) => (
                <li key={`${e.path}:${e.message}`}>
                  {e.path === '' ? e.message : `${e.path}: ${e.message}`}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {errors.length > 0 && placed.general.length === 0 && (
        <p class="error" role="alert">
          The API refused the run: see the fields marked below.
        </p>
      )}
      <fieldset>
        <legend>Run</legend>
        <div class={top('preset') ? 'field invalid' : 'field'}>
          <label for={fieldId('preset')}>preset</label>
          <select
            id={fieldId('preset')}
            value={preset.name}
            onChange={(e) => onPreset(e.currentTarget.value)}
          >
            {presets.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name} ({p.kind})
              </option>
            ))}
          </select>
          {preset.description && <p class="hint">{preset.description}</p>}
          {top('preset') && <p class="field-error">{top('preset')!.join('; ')}</p>}
        </div>
        <div class={top('name') ? 'field invalid' : 'field'}>
          <label for={fieldId('name')}>name</label>
          <input
            id={fieldId('name')}
            value={name}
            required
            aria-invalid={top('name') ? 'true' : undefined}
            aria-describedby={top('name') ? `${fieldId('name')}-error` : undefined}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          {top('name') && (
            <p class="field-error" id={`${fieldId('name')}-error`} data-testid="field-error">
              {top('name')!.join('; ')}
            </p>
          )}
        </div>
        <div class={top('description') ? 'field invalid' : 'field'}>
          <label for={fieldId('description')}>description</label>
          <textarea
            id={fieldId('description')}
            rows={2}
            value={description}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
          {top('description') && <p class="field-error">{top('description')!.join('; ')}</p>}
        </div>
      </fieldset>
      <fieldset>
        <legend>Resources</legend>
        <div class="field-grid">{fields.filter((f) => f.path.startsWith('resources.')).map(input)}</div>
      </fieldset>
      <fieldset>
        <legend>Spec ({preset.kind})</legend>
        <div class="field-grid">{fields.filter((f) => f.path.startsWith('spec.')).map(input)}</div>
        <div class={top('spec') ? 'field invalid' : 'field'}>
          <label for={fieldId('spec')}>other spec fields (JSON object, merged over the fields above)</label>
          <textarea
            id={fieldId('spec')}
            rows={3}
            value={extra}
            placeholder='{"checkpointInterval": 5}'
            onInput={(e) => setExtra(e.currentTarget.value)}
          />
          {top('spec') && <p class="field-error">{top('spec')!.join('; ')}</p>}
        </div>
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit run'}
        </button>
        <span class="muted">
          The preset fills every field you leave as it is; the API checks the whole run.
        </span>
      </div>
    </form>
  );
}

/** Submit a run: a preset from configs/presets, any field overridden, the API's messages by field. */
export function SubmitPage({ query }: { query: URLSearchParams }) {
  useTitle('Submit a run');
  const presets = useAsync((signal) => callApi(API_ROUTES.presets, { signal }), []);
  const [chosen, setChosen] = useState(query.get('preset') ?? '');
  const list = presets.data ?? [];
  const preset = list.find((p) => p.name === chosen) ?? list.find((p) => p.kind === 'train') ?? list[0];
  useEffect(() => {
    if (preset && chosen === '') setChosen(preset.name);
  }, [preset, chosen]);
  return (
    <section aria-labelledby="submit-title">
      <div class="page-head">
        <h1 id="submit-title">Submit a run</h1>
      </div>
      <ErrorNote error={presets.error} what="the presets" />
      {presets.loading && <p class="muted">Loading presets…</p>}
      {preset && <RunForm key={preset.name} preset={preset} presets={list} onPreset={setChosen} />}
    </section>
  );
}
