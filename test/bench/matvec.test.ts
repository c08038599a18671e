// The matrix x vector rate bench:kernels derives from two decode speeds
// (src/bench/matvec.ts): the bytes the larger model adds over the time it adds.
import t from 'tap';
import { addedRate, ratioOf } from '../../src/bench/matvec.js';

t.test('addedRate: added bytes over added time per token', async (t) => {
  // 100 MB more per token; 10 tok/s against 100 tok/s: 0.09 s more per token.
  t.ok(Math.abs(addedRate(100e6, 10, 100)! - 100e6 / 0.09 / 1e9) < 1e-12);
  // Twice the bytes in the same added time is twice the rate.
  t.equal(addedRate(200e6, 10, 100), 2 * addedRate(100e6, 10, 100)!);
});

t.test('addedRate: no figure when one is missing or the larger model was not slower', async (t) => {
  t.equal(addedRate(100e6, null, 100), null);
  t.equal(addedRate(100e6, 10, null), null);
  t.equal(addedRate(100e6, 100, 100), null);
  t.equal(addedRate(100e6, 120, 100), null);
});

t.test('ratioOf: nibble / llama.cpp, or no figure when one is missing', async (t) => {
  t.equal(ratioOf(60, 75), 0.8);
  t.equal(ratioOf(null, 75), null);
  t.equal(ratioOf(60, null), null);
});
