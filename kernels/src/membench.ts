// A plain read loop: the memory bandwidth one thread of this machine gets
// from WebAssembly, measured in the same process as the kernels
// (npm run bench:kernels reports the kernels' rates as fractions of it).
// Rows [r0, r1) of `rowBytes` bytes (a multiple of 64) from base; the xor of
// everything read goes to out[r], so the loads cannot be optimized away.
export function readRows(r0: i32, r1: i32, base: usize, rowBytes: i32, out: usize): void {
  for (let r = r0; r < r1; r++) {
    const p0 = base + <usize>r * <usize>rowBytes;
    const end = p0 + <usize>rowBytes;
    let a = i32x4.splat(0), b = i32x4.splat(0), c = i32x4.splat(0), d = i32x4.splat(0);
    for (let p = p0; p < end; p += 64) {
      a = v128.xor(a, v128.load(p));
      b = v128.xor(b, v128.load(p, 16));
      c = v128.xor(c, v128.load(p, 32));
      d = v128.xor(d, v128.load(p, 48));
    }
    const x = v128.xor(v128.xor(a, b), v128.xor(c, d));
    store<i32>(out + (<usize>r << 2), i32x4.extract_lane(x, 0) ^ i32x4.extract_lane(x, 1) ^ i32x4.extract_lane(x, 2) ^ i32x4.extract_lane(x, 3));
  }
}
