// Shared by Q4_K and Q5_K: eight sub-blocks of 32, each with a 6-bit scale
// and a 6-bit min packed into 12 bytes (ggml's get_scale_min_k4), and the
// asymmetric fit value = d*sc*q - dmin*m with the min clamped to <= 0.

/** Packs eight 6-bit scales and mins into `out[at..at+12)`. */
export function packScaleMinK4(ls: Uint8Array, lm: Uint8Array, out: Uint8Array, at: number): void {
  for (let j = 0; j < 12; j++) out[at + j] = 0;
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      out[at + j] = ls[j];
      out[at + j + 4] = lm[j];
    } else {
      out[at + j + 4] = (ls[j] & 0xf) | ((lm[j] & 0xf) << 4);
      out[at + j - 4] |= (ls[j] >>> 4) << 6;
      out[at + j] |= (lm[j] >>> 4) << 6;
    }
  }
}

/** Unpacks sub-block j's scale and min (ggml's get_scale_min_k4). */
export function scaleMinK4(j: number, q: Uint8Array, at: number): [number, number] {
  if (j < 4) return [q[at + j] & 63, q[at + j + 4] & 63];
  return [(q[at + j + 4] & 0xf) | ((q[at + j - 4] >>> 6) << 4), (q[at + j + 4] >>> 4) | ((q[at + j] >>> 6) << 4)];
}

/**
 * Fits the sub-blocks of one 256-weight super-block: per sub-block a scale
 * (max - min) / nmax and a min (-min, min clamped to <= 0), then both
 * quantized to 6 bits against the super-block's largest. Returns [d, dmin]
 * before f16 rounding; ls and lm receive the 6-bit values.
 */
export function fitScaleMinK4(x: Float32Array, base: number, nmax: number, ls: Uint8Array, lm: Uint8Array): [number, number] {
  const scales = new Float64Array(8);
  const mins = new Float64Array(8);
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    let mn = 0;
    let mx = -Infinity;
    for (let l = 0; l < 32; l++) {
      const v = x[base + 32 * j + l];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    scales[j] = (mx - mn) / nmax;
    mins[j] = -mn;
    if (scales[j] > maxScale) maxScale = scales[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }
  const invScale = maxScale > 0 ? 63 / maxScale : 0;
  const invMin = maxMin > 0 ? 63 / maxMin : 0;
  for (let j = 0; j < 8; j++) {
    ls[j] = Math.min(63, Math.round(invScale * scales[j]));
    lm[j] = Math.min(63, Math.round(invMin * mins[j]));
  }
  return [maxScale / 63, maxMin / 63];
}
