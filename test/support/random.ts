/**
 * A seeded generator of whole numbers in [0, n), so randomized tests repeat exactly. xorshift32: the low bits
 * of a power-of-two LCG repeat too soon for `% n`.
 */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed | 0 || 1;
  return (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}
