// Rotary position embedding, as ggml_rope_ext without YaRN extrapolation.
// The angles are computed on the TypeScript side (src/engine/model/rope.ts:
// cos and sin need tables that the kernel module may not own) into a table
// of (cos, sin) f32 pairs per token and pair index; this applies them.
// norm style rotates (x[2i], x[2i+1]); neox style rotates (x[i], x[i + ropeDim/2]).
// Dimensions past ropeDim are left as they are.

/**
 * Rotates rows [r0, r1) of x in place: row t holds nHeads heads of headDim
 * values; table row t holds ropeDim/2 (cos, sin) pairs for that token.
 */
export function ropeRows(
  r0: i32, r1: i32, x: usize, table: usize, nHeads: i32, headDim: i32, ropeDim: i32, neox: i32,
): void {
  const half = ropeDim >> 1;
  const rowBytes = <usize>nHeads * <usize>headDim << 2;
  for (let t = r0; t < r1; t++) {
    const row = x + <usize>t * rowBytes;
    const tab = table + (<usize>t * <usize>half << 3);
    for (let i = 0; i < half; i++) {
      const c = load<f32>(tab + (<usize>i << 3)), s = load<f32>(tab + (<usize>i << 3), 4);
      // byte offsets of the pair inside a head
      const a: usize = neox ? <usize>i << 2 : <usize>i << 3;
      const b: usize = neox ? <usize>(i + half) << 2 : a + 4;
      for (let h = 0; h < nHeads; h++) {
        const hp = row + (<usize>h * <usize>headDim << 2);
        const x0 = load<f32>(hp + a), x1 = load<f32>(hp + b);
        store<f32>(hp + a, x0 * c - x1 * s);
        store<f32>(hp + b, x0 * s + x1 * c);
      }
    }
  }
}
