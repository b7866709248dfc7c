import type { FormField } from './form-model.js';

interface FieldInputProps {
  field: FormField;
  value: string | boolean;
  errors: readonly string[] | undefined;
  onChange: (value: string | boolean) => void;
}

export function fieldId(path: string): string {
  return `field-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** A field's label: its path without the section (`spec.dataset.seed` → `dataset.seed`). */
function labelOf(path: string): string {
  return path.replace(/^(spec|resources)\./, '');
}

/** One field of the run form, its preset value as a hint and the API's messages under it. */
export function FieldInput({ field, value, errors, onChange }: FieldInputProps) {
  const id = fieldId(field.path);
  const errorId = `${id}-error`;
  const invalid = errors !== undefined && errors.length > 0;
  const common = {
    id,
    name: field.path,
    'aria-invalid': invalid ? ('true' as const) : undefined,
    'aria-describedby': invalid ? errorId : undefined,
  };
  return (
    <div class={invalid ? 'field invalid' : 'field'} data-field={field.path}>
      {field.type === 'boolean' ? (
        <label for={id} class="checkbox">
          <input
            {...common}
            type="checkbox"
            checked={value === true}
            onChange={(e) => onChange(e.currentTarget.checked)}
          />{' '}
          {labelOf(field.path)}
        </label>
      ) : (
        <>
          <label for={id}>{labelOf(field.path)}</label>
          <input
            {...common}
            type="text"
            inputMode={field.type === 'number' ? 'decimal' : undefined}
            value={String(value)}
            placeholder={field.type === 'list' ? 'comma-separated' : undefined}
            onInput={(e) => onChange(e.currentTarget.value)}
          />
        </>
      )}
      {invalid && (
        <p class="field-error" id={errorId} data-testid="field-error">
          {errors.join('; ')}
        </p>
      )}
    </div>
  );
}
