// Seeded random numbers, bit-for-bit identical to native/core/rng.hpp so that both backends make
// the same random choices from the same seed.
import { checkSeed } from './validate';

function splitmix32(state: Uint32Array, index: number): number {
  state[index] = (state[index] + 0x9e3779b9) >>> 0;
  let z = state[index];
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * xoshiro128** seeded from an integer seed in [0, 2^53) and a stream index (one per batch item);
 * the native backend draws the same numbers.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.nextDouble(); // uniform in [0, 1)
 * ```
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream = 0) {
    checkSeed(seed, 'seed');
    const mixers = new Uint32Array([
      seed >>> 0,
      (Math.floor(seed / 4294967296) ^ 0x5851f42d) >>> 0,
      (Math.imul(stream, 0x9e3779b1) + 0x632be5ab) >>> 0,
    ]);
    const words = [0, 0, 0, 0].map(() => (splitmix32(mixers, 0) ^ splitmix32(mixers, 1) ^ splitmix32(mixers, 2)) >>> 0);
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
    // The state is kept as int32 (the same bits): V8 holds those unboxed, while uint32 values
    // above 2^31 become heap numbers on every store.
    [this.s0, this.s1, this.s2, this.s3] = words.map((w) => w | 0);
  }

  /** Next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const rotated = Math.imul(this.s1, 5);
    const result = Math.imul((rotated << 7) | (rotated >>> 25), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.nextDouble() * bound);
  }

  /** Standard normal (Box-Muller). Used only for data generation in TypeScript, never inside kernels. */
  normal(): number {
    let u = this.nextDouble();
    while (u === 0) u = this.nextDouble();
    const v = this.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
