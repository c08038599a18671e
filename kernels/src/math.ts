// exp without lookup tables. AssemblyScript's Mathf.exp carries a table in a
// data segment, and the kernel module must own no memory (every worker
// instantiates it on the same shared memory), so this one is polynomial:
// e^x = 2^k * e^r with x = k ln2 + r, |r| <= ln2/2, and e^r by its Taylor
// series to r^9 in f64 (error below 1e-11, far under f32's half ulp).

const LN2: f64 = 0.6931471805599453;
const INV_LN2: f64 = 1.4426950408889634;

/** e^x in f32, correctly rounded except in rare half-ulp ties. */
export function expF32(x: f32): f32 {
  if (x > <f32>88.72284) return Infinity;
  if (x < <f32>-103.97208) return 0;
  if (x != x) return x;
  const xd = <f64>x;
  const k = Math.round(xd * INV_LN2);
  const r = xd - k * LN2;
  const p = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r / 362880))))))));
  // 2^k as an f64 (k is in -150 .. 128, inside f64's normal range)
  return <f32>(p * reinterpret<f64>((<i64>(<i32>k + 1023)) << 52));
}
