/** Bounds of the bucket length penalty; a run's parameters, defaulting to the seed's. */
export interface LengthPenaltyConfig {
  maxTokens: number;
  lowFraction: number;
  highFraction: number;
}

export const SEED_LENGTH_PENALTY: Readonly<LengthPenaltyConfig> = Object.freeze({
  maxTokens: 512,
  lowFraction: 0.2,
  highFraction: 0.8,
});

/** Why a penalty configuration is unusable, or null. high < 1 keeps (t − high)/(max − high) finite. */
export function lengthPenaltyConfigError(config: LengthPenaltyConfig): string | null {
  const { maxTokens, lowFraction, highFraction } = config;
  if (!Number.isInteger(maxTokens) || maxTokens < 1)
    return `maxTokens must be a positive integer (got ${maxTokens})`;
  if (!(lowFraction >= 0 && lowFraction < highFraction && highFraction < 1)) {
    return `need 0 <= lowFraction < highFraction < 1 (got ${lowFraction}, ${highFraction})`;
  }
  return null;
}

/**
 * The seed's bucket penalty on approximate tokens (characters / 4): a ramp from −1 at 0 tokens to 0
 * at low, zero inside [low, high], a ramp from 0 at high to −1 at maxTokens, then −1.
 * Operation order copies the seed's Python so results agree bit for bit.
 */
export function lengthPenalty(
  approxTokens: number,
  config: LengthPenaltyConfig = SEED_LENGTH_PENALTY,
): number {
  const low = config.maxTokens * config.lowFraction;
  const high = config.maxTokens * config.highFraction;
  if (approxTokens < low) return -1 * (1 - approxTokens / low);
  if (approxTokens > high) return -1 * Math.min((approxTokens - high) / (config.maxTokens - high), 1);
  return 0;
}
