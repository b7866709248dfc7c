/**
 * Version of the run spec's shape (the DTOs in ./dto). Stored with every run and carried by its
 * job (`RunJobData.specVersion`); an agent refuses a version it does not know. Bump it when a
 * change would make an older agent misread a spec (a renamed or re-interpreted field), not for
 * a new optional field with a default that keeps the old behaviour.
 */
export const SPEC_VERSION = 1;

/**
 * prime-rl schema generations a train spec can target: each one is an adapter in the agent that
 * writes that generation's TOML (docs: shared/docs/prime-rl.md §0). v0.4.0 is the classic schema
 * the seed ran (and the default); v0.6.0 the last release that loads verifiers v0 envs
 * (deployment, group_size, train.env); main-559b447 prime-rl's main branch at that commit
 * (train.source with a verifiers v1 taskset, no Hugging Face weights on disk).
 */
export const PRIME_RL_VERSIONS = ['v0.4.0', 'v0.6.0', 'main-559b447'] as const;
export type PrimeRlVersion = (typeof PRIME_RL_VERSIONS)[number];
