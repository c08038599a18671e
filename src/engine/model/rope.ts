// Rope angles, computed here rather than in the kernel module because cos
// and sin need tables the module may not own. The arithmetic is f32 in the
// order ggml_rope_cache_init uses, so the angles match llama.cpp's:
//   theta_0 = p;  theta_{i+1} = theta_i * base^(-2/ropeDim)
//   angle_i = (theta_i / ff_i) * freqScale
// ff_i are llama3's per-frequency factors (rope_freqs.weight) or 1.
const f = Math.fround;

export interface RopeParams {
  ropeDim: number;
  base: number;
  freqScale: number;
  freqFactors?: Float32Array;
}

/** Fills `table` with (cos, sin) of every pair index for positions pos0 .. pos0 + nTokens - 1. */
export function fillRopeTable(table: Float32Array, pos0: number, nTokens: number, r: RopeParams): void {
  const half = r.ropeDim / 2;
  const thetaScale = f(Math.pow(f(r.base), f(-2 / r.ropeDim)));
  for (let t = 0; t < nTokens; t++) {
    let theta = f(pos0 + t);
    const row = t * half * 2;
    for (let i = 0; i < half; i++) {
      const ff = r.freqFactors ? r.freqFactors[i] : 1;
      const angle = f(f(theta / ff) * r.freqScale);
      table[row + 2 * i] = Math.cos(angle);
      table[row + 2 * i + 1] = Math.sin(angle);
      theta = f(theta * thetaScale);
    }
  }
}
