import type { RunRequestError } from '../validate-run-request.js';

/** `configs/presets/<name>.json` does not exist. Lists the presets that do. */
export class UnknownPresetError extends Error {
  override readonly name = 'UnknownPresetError';

  constructor(
    readonly preset: string,
    readonly available: readonly string[],
  ) {
    super(`preset '${preset}' does not exist (available: ${available.join(', ') || 'none'})`);
  }
}

/** A preset file that is not a valid run request: a broken configs/ folder, not a user error. */
export class InvalidPresetError extends Error {
  override readonly name = 'InvalidPresetError';

  constructor(
    readonly preset: string,
    readonly errors: readonly RunRequestError[],
  ) {
    super(
      `configs/presets/${preset}.json is not a valid preset:\n` +
        errors.map((e) => `  ${e.path === '' ? '' : `${e.path}: `}${e.message}`).join('\n'),
    );
  }
}
