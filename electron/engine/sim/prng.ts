/**
 * Seeded randomness for the simulator: every random draw of a run (boot times, instance ids, zones, spot
 * interruptions, jitter) comes from one seed, so the same trace and seed give the same figures.
 *
 * Each consumer gets its own named stream (`fork`), so adding draws in one place (say, one more EC2 call that
 * picks a zone) does not shift the boot times of every later instance.
 */

/** mulberry32: tiny, fast, good enough for simulation (not for cryptography). Returns draws in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the label, mixed with the seed: distinct labels give unrelated streams. */
function hashSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= Math.imul(seed >>> 0, 0x9e3779b1) >>> 0;
  return h >>> 0;
}

export class Rng {
  private readonly next: () => number;

  constructor(
    readonly seed: number,
    readonly label = 'root',
  ) {
    this.next = mulberry32(hashSeed(seed, label));
  }

  /** An independent stream for one consumer. */
  fork(label: string): Rng {
    return new Rng(this.seed, `${this.label}/${label}`);
  }

  /** Uniform in [0, 1). */
  random(): number {
    return this.next();
  }

  /** A plain `() => number` for the emulators' `random` options. */
  get fn(): () => number {
    return () => this.next();
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Exponential with the given rate (events per unit); Infinity for a rate of 0. */
  exponential(rate: number): number {
    if (!(rate > 0)) return Number.POSITIVE_INFINITY;
    return -Math.log(1 - this.next()) / rate;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and shape (sigma of the underlying normal). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }
}
