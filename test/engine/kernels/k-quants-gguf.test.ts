// The K-quant kernels on real blocks: every Q4_K and Q6_K tensor that
// llama-quantize wrote into the two Q4_K_M reference models. Dequantize and
// the scalar dot must equal the plain-JS reference bit for bit, SIMD and
// relaxed the scalar one; and the dequantized weights must be close to the
// same tensors in the F16 file made from the same F32 master (the check that
// the layout is read the way llama.cpp wrote it, not just consistently).
import t from 'tap';
import { readGguf, readTensorData, type GgufFile, type GgufTensorInfo } from '../../../src/engine/gguf/reader.js';
import { referencePath } from '../../helpers/reference.js';
import { instances, rng, randomActivations, bits, f16ToNumber } from './harness.js';
import { QK_K, dequantizeKQuant, quantizeQ8K, q8KToNibbleLayout, vecDotKQuantQ8K, type KQuantName } from './k-quants-js.js';

/** Relative RMS error of Q4_K / Q6_K weights against their F16 originals that a correct decoding stays under. */
const MAX_REL_RMS: Record<string, number> = { q4_K: 0.1, q6_K: 0.03 };
/** Rows checked per tensor (token_embd has 32256). */
const MAX_ROWS = 48;

function tensorBytes(file: GgufFile, tensor: GgufTensorInfo): Uint8Array {
  const data = new Uint8Array(tensor.nBytes);
  readTensorData(file, tensor, data);
  return data;
}

const insts = instances();
const { mem } = insts[0]!;
const rand = rng(0x9941);

for (const model of ['tiny-qwen2.Q4_K_M.gguf', 'tiny-llama-spm.Q4_K_M.gguf']) {
  t.test(`${model}: K-quant tensors, kernels vs plain JS, bit for bit`, async (t) => {
    const file = readGguf(referencePath('models', model));
    const kTensors = file.tensors.filter((x) => x.type.name === 'q4_K' || x.type.name === 'q6_K');
    t.ok(kTensors.length >= 4, `${model} holds Q4_K and Q6_K tensors (${kTensors.length})`);
    for (const tensor of kTensors) {
      const type = tensor.type.name as KQuantName;
      const T = type.toUpperCase();
      const cols = tensor.dims[0]!;
      const nb = cols / QK_K;
      const rowBytes = nb * tensor.type.typeSize;
      const allRows = tensor.nElements / cols;
      const rows = Math.min(allRows, MAX_ROWS);
      const data = tensorBytes(file, tensor);
      const mark = mem.mark();
      const wPtr = mem.alloc(rowBytes * rows);
      mem.u8(wPtr, rowBytes * rows).set(data.subarray(0, rowBytes * rows));
      const q8 = quantizeQ8K(randomActivations(rand, cols));
      const aPtr = mem.alloc(cols + 36 * nb);
      mem.u8(aPtr, cols + 36 * nb).set(q8KToNibbleLayout(q8));
      const fPtr = mem.alloc(cols * 4);
      let bad = '';
      for (const inst of insts) {
        const ex = inst.ex as unknown as Record<string, (...a: number[]) => number>;
        for (let r = 0; r < rows && !bad; r++) {
          const row = data.subarray(r * rowBytes, (r + 1) * rowBytes);
          ex[`dequantizeRow${T}`]!(wPtr + r * rowBytes, fPtr, cols);
          const got = mem.f32(fPtr, cols);
          const want = dequantizeKQuant(type, row, nb);
          const i = want.findIndex((v, k) => bits(v) !== bits(got[k]!));
          if (i >= 0) bad = `${inst.build} row ${r}: dequantized value ${i} ${got[i]} != JS ${want[i]}`;
          const js = vecDotKQuantQ8K(type, row, q8, nb);
          const scalar = ex[`vecDot${T}Q8_KScalar`]!(cols, wPtr + r * rowBytes, aPtr);
          const simd = ex[`vecDot${T}Q8_KSimd128`]!(cols, wPtr + r * rowBytes, aPtr);
          const rel = ex[`vecDot${T}Q8_KRelaxed`]!(cols, wPtr + r * rowBytes, aPtr);
          if (bits(scalar) !== bits(js)) bad = `${inst.build} row ${r}: scalar dot ${scalar} != JS ${js}`;
          else if (bits(simd) !== bits(scalar) || bits(rel) !== bits(scalar)) bad = `${inst.build} row ${r}: SIMD ${simd} / relaxed ${rel} != scalar ${scalar}`;
        }
      }
      mem.reset(mark);
      t.equal(bad, '', `${tensor.name} (${type}, ${rows} of ${allRows} rows of ${cols})`);
    }
  });
}

t.test('tiny-llama-spm: dequantized K-quant weights are close to the F16 file from the same master', async (t) => {
  const quant = readGguf(referencePath('models', 'tiny-llama-spm.Q4_K_M.gguf'));
  const half = readGguf(referencePath('models', 'tiny-llama-spm.F16.gguf'));
  let compared = 0;
  for (const tensor of quant.tensors.filter((x) => x.type.name === 'q4_K' || x.type.name === 'q6_K')) {
    const twin = half.tensors.find((x) => x.name === tensor.name);
    if (twin === undefined || twin.type.name !== 'f16') continue;
    const type = tensor.type.name as KQuantName;
    const cols = tensor.dims[0]!;
    const n = Math.min(tensor.nElements, MAX_ROWS * cols);
    const deq = dequantizeKQuant(type, tensorBytes(quant, tensor), n / QK_K);
    const h = tensorBytes(half, twin);
    let err = 0, ref = 0;
    for (let i = 0; i < n; i++) {
      const w = f16ToNumber(h[2 * i]! | (h[2 * i + 1]! << 8));
      err += (deq[i]! - w) ** 2;
      ref += w * w;
    }
    const relRms = Math.sqrt(err / ref);
    t.ok(relRms < MAX_REL_RMS[type]!, `${tensor.name} (${type}): relative RMS error ${relRms.toFixed(4)} < ${MAX_REL_RMS[type]}`);
    compared++;
  }
  t.ok(compared >= 2, `compared ${compared} tensors`);
});
