import type { OrchestratorStepDto } from '@brier/contracts';
import type { StepLogEntry } from '@brier/results';

const MAX_FILTER_NAMES = 32;

/**
 * A parsed `Step N | …` line as the progress route takes it (docs/agent-api.md): timeS =
 * timeSeconds, seqLen = seqLength, offPolicyLevel = maxOffPolicyLevel, filteredCount /
 * filteredTotal / filtered = filtered.count / .total / .reasons. Steps are 0-based like the
 * rollouts': the newer `head` format counts from 1, so its steps move down by one. A value the
 * API would refuse (NaN, a negative time) becomes null rather than sinking the report.
 */
export function toOrchestratorStep(entry: StepLogEntry): OrchestratorStepDto {
  const step = entry.format === 'head' ? Math.max(0, entry.step - 1) : entry.step;
  const classic = entry.format === 'classic' ? entry : null;
  return {
    step,
    timeS: nonNegative(entry.timeSeconds),
    reward: finite(entry.reward),
    seqLen: classic ? nonNegative(classic.seqLength) : null,
    asyncLevel: classic ? count(classic.asyncLevel) : null,
    offPolicyLevel: count(entry.maxOffPolicyLevel),
    filteredCount: count(entry.filtered?.count),
    filteredTotal: count(entry.filtered?.total),
    filtered: reasons(entry.filtered?.reasons),
  };
}

function finite(value: number | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function nonNegative(value: number | undefined): number | null {
  const number = finite(value);
  return number !== null && number >= 0 ? number : null;
}

function count(value: number | undefined): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function reasons(value: Record<string, number> | undefined): Record<string, number> | null {
  if (value === undefined) return null;
  const entries = Object.entries(value).filter(
    ([name, n]) => name.length > 0 && name.length <= 64 && count(n) !== null,
  );
  return entries.length === 0 ? null : Object.fromEntries(entries.slice(0, MAX_FILTER_NAMES));
}
