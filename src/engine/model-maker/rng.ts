// A small seeded PRNG (xoshiro128**) with Gaussian draws. Deterministic on
// every platform, so `make-model --seed S` writes the same bytes everywhere.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;

  /** Seeds from a number and an optional label (e.g. a tensor name), via splitmix32. */
  constructor(seed: number, label = '') {
    let h = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
    const next = () => {
      h = (h + 0x9e3779b9) >>> 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.u32() / 4294967296;
  }

  /** A standard normal draw (Marsaglia's polar method; the second value of each pair is kept). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    for (;;) {
      const u = this.u32() / 2147483648 - 1;
      const v = this.u32() / 2147483648 - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      this.spare = v * f;
      return u * f;
    }
  }

  /**
   * Fills `out` with N(mean, std^2) draws: the polar method, which needs no
   * sine or cosine and makes a 1B-weight model in about half the time of
   * Box-Muller.
   */
  fillNormal(out: Float32Array, mean: number, std: number): void {
    let i = 0;
    const n = out.length;
    while (i < n) {
      const u = this.u32() / 2147483648 - 1;
      const v = this.u32() / 2147483648 - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = std * Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = mean + u * f;
      if (i < n) out[i++] = mean + v * f;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
