// mulberry32: a tiny seeded generator of numbers in [0, 1), the same on every machine. For
// synthetic test and benchmark data only (not for anything that needs good randomness): the
// benchmarks' generations file and libs/database's rollout fixtures share it.

/** @param {number} seed @returns {() => number} */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
