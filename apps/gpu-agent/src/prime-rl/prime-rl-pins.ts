/** Where prime-rl comes from, and the exact commit each supported version means. */
export const PRIME_RL_REPOSITORY = 'https://github.com/PrimeIntellect-ai/prime-rl.git';

export interface PrimeRlPin {
  /** The name runs and the agent's PRIME_RL_VERSION use. */
  version: string;
  /** The full commit the release tag points at; a checkout is verified against it, not the tag. */
  sha: string;
  /** Git submodules `uv sync` needs (path dependencies in pyproject.toml); empty when none. */
  submodules: readonly string[];
  /**
   * Which verifiers API loads calibrated-qa: v0 (`load_environment`) or v1 (a Taskset, the only
   * kind prime-rl main's env server loads).
   */
  envApi: 'v0' | 'v1';
}

/**
 * Read from a mirror of PrimeIntellect-ai/prime-rl (shared/docs/prime-rl.md §0):
 * - v0.4.0 = f870f3cbd8de5b731d880d8715bf76e983337862 ("Feature: bring your own algorithms
 *   (#1715)"), the last release of the classic schema; no submodules.
 * - v0.6.0 = 38494ccb4140897b1c9e7a9ba8da59dcd8940d47, the newest release that still loads
 *   verifiers v0 environments (calibrated-qa is one); its pyproject takes verifiers, renderers,
 *   pydantic-config and the research environments from submodules.
 * - main-559b447 = 559b44772e471d1538537b8805cc77f3824a5e64 (main of 2026-08-21, "chore: bump
 *   verifiers to latest main (#3337)"), no release: `[[orchestrator.train.source]]` with
 *   verifiers v1 tasksets (deps/verifiers at a60a606). Its README's submodule list; its
 *   pyproject's workspace takes members from deps/prime-envs, so that one is needed too.
 */
export const PRIME_RL_PINS: Readonly<Record<string, PrimeRlPin>> = {
  'v0.4.0': {
    version: 'v0.4.0',
    sha: 'f870f3cbd8de5b731d880d8715bf76e983337862',
    submodules: [],
    envApi: 'v0',
  },
  'v0.6.0': {
    version: 'v0.6.0',
    sha: '38494ccb4140897b1c9e7a9ba8da59dcd8940d47',
    submodules: ['deps/verifiers', 'deps/renderers', 'deps/pydantic-config', 'deps/research-environments'],
    envApi: 'v0',
  },
  'main-559b447': {
    version: 'main-559b447',
    sha: '559b44772e471d1538537b8805cc77f3824a5e64',
    submodules: ['deps/verifiers', 'deps/renderers', 'deps/prime-envs', 'deps/pydantic-config'],
    envApi: 'v1',
  },
};
