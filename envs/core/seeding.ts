/**
 * Deriving independent seeds: a 32-bit mix (murmur3's finaliser over two words). Two streams seeded
 * with the same integer (the env's reset RNG and the expert's mode coin, say) would be correlated;
 * mixing in a distinct tag per purpose keeps them apart.
 */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
