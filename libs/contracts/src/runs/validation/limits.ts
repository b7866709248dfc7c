/**
 * Bounds and character sets of a run request, in one place so the API, the CLI and the admin
 * panel show the same ranges. Names end up in TOML, file names and log lines, so they are
 * restricted to characters that need no quoting anywhere.
 */
export const RUN_LIMITS = {
  nameMaxLength: 100,
  descriptionMaxLength: 2000,
  originMaxLength: 500,
  gpuCountMax: 16,
  labelsMax: 16,
  labelMaxLength: 63,
  hfModelIdMaxLength: 96,
  endpointUrlMaxLength: 2048,
  endpointModelMaxLength: 200,
  maxStepsMax: 100_000,
  batchSizeMax: 65_536,
  rolloutsPerExampleMax: 1024,
  maxTokensMax: 32_768,
  seqLenMin: 128,
  seqLenMax: 131_072,
  maxAsyncLevelMax: 8,
  temperatureMax: 2,
  learningRateMax: 1,
  datasetSeedMax: 2 ** 32 - 1,
  evalLimitMax: 100_000,
  samplesPerQuestionMax: 64,
  concurrencyMax: 256,
  checkpointStepMax: 100_000,
} as const;

/** A run's name: letters, digits, space and `. _ -`; starts with a letter or digit, no trailing space. */
export const RUN_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._ -]*[A-Za-z0-9._-])?$/;
export const RUN_NAME_RULE = 'letters, digits, spaces and . _ - only, starting with a letter or digit';

/** A preset's name is its file name in configs/presets/ (without .json). */
export const PRESET_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** A prompt template's name is its file name in configs/prompts/ (without .json). */
export const PROMPT_TEMPLATE_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

/** A GPU type such as `A100-80GB`, `H100` or `RTX 4090`. */
export const GPU_TYPE_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9 ._-]{0,62}[A-Za-z0-9])?$/;

/** An agent label such as `eu-west`, `nvlink` or `spot`. */
export const LABEL_PATTERN = /^[a-z0-9._-]{1,63}$/;

/**
 * A model name as an OpenAI-compatible server knows it: `gpt-4o-mini`, `org/model`, `qwen2.5:7b`.
 * No `..` anywhere: servers such as vLLM resolve a name to a local path, so `org/../../etc` is refused.
 */
export const ENDPOINT_MODEL_PATTERN = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;

/** One part of a Hugging Face repo id, as huggingface_hub's validate_repo_id accepts it. */
const HF_PART = '[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?';
const HF_MODEL_ID_PATTERN = new RegExp(`^${HF_PART}/${HF_PART}$`);

/** `owner/name`, each part [A-Za-z0-9._-] not starting or ending with . or -, no `--` or `..`, ≤ 96 chars. */
export function isHfModelId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= RUN_LIMITS.hfModelIdMaxLength &&
    HF_MODEL_ID_PATTERN.test(value) &&
    !value.includes('--') &&
    !value.includes('..')
  );
}

/**
 * Control characters other than tab and newlines (C0, DEL, C1), bidirectional overrides and
 * isolates (which make text read differently from what it is) and lone UTF-16 surrogates.
 */
function isUnprintable(code: number): boolean {
  if (code < 0x20) return code !== 0x09 && code !== 0x0a && code !== 0x0d;
  if (code >= 0x7f && code <= 0x9f) return true;
  return (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}

/** Free text a person can read: any characters but controls (tab and newlines allowed). */
export function isPrintableText(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if ((code >= 0xdc00 && code <= 0xdfff) || isUnprintable(code)) {
      return false;
    }
  }
  return true;
}

/** Why a URL cannot be an eval endpoint's base URL, or null when it can. */
export function endpointUrlProblem(value: string): string | null {
  if (!isPrintableText(value) || /\s/.test(value)) return 'must not contain spaces or control characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username !== '' || url.password !== '') {
    return 'must not contain credentials (user:password@): keys live in the agent host environment';
  }
  if (url.hash !== '') return 'must not have a #fragment';
  return null;
}
