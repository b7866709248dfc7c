/**
 * The placement rule, shared by the agent (which only pulls work that fits) and the API (which
 * fences a claim that does not): a run's resources against an agent's GPUs and labels.
 */

/** Upper-cased alphanumeric tokens of a GPU name, without the vendor: "NVIDIA A100-SXM4-80GB" → A100, SXM4, 80GB. */
function gpuNameTokens(name: string): string[] {
  return name
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((token) => token.length > 0 && token !== 'NVIDIA');
}

/**
 * Whether a GPU (nvidia-smi's name) is of the type a run asks for. Every token of the type must be
 * one of the name's, so "A100-80GB" matches "NVIDIA A100-SXM4-80GB" but not "NVIDIA A100-SXM4-40GB",
 * and "H100" matches every H100. No type matches any GPU.
 */
export function gpuMatchesType(gpuName: string, gpuType: string | null | undefined): boolean {
  if (gpuType === null || gpuType === undefined || gpuType.trim() === '') return true;
  const name = new Set(gpuNameTokens(gpuName));
  const wanted = gpuNameTokens(gpuType);
  return wanted.length > 0 && wanted.every((token) => name.has(token));
}

/** The labels a run needs that an agent lacks (empty when it has them all). */
export function missingLabels(needed: readonly string[], agentLabels: readonly string[]): string[] {
  const have = new Set(agentLabels);
  return needed.filter((label) => !have.has(label));
}
