// Writes a synthetic model of a real architecture and shape: random but
// numerically sane weights (seeded), quantized with the reference
// quantizers, the tokenizer of a vocabulary file, and the metadata and type
// mix llama.cpp's tools would write. Tensors are generated and written a
// few MiB at a time, so a 1B model never sits whole in memory.
import { renameSync, rmSync, statSync } from 'node:fs';
import type { GgmlTypeTraits } from '../ggml-types.js';
import { writeGguf, type TensorToWrite } from '../gguf/writer.js';
import { MakeModelError } from './errors.js';
import { modelMetadata } from './metadata.js';
import { codecFor } from './quantize/index.js';
import { Rng } from './rng.js';
import { llama3RopeFactors } from './rope-freqs.js';
import { checkShape, headDim, type ModelShape } from './shapes.js';
import { modelTensors, type ModelTensor } from './tensors.js';
import { FILE_TYPE, planTypes, type WeightType } from './type-plan.js';
import type { Vocab } from './vocab.js';

export interface MakeModelSpec {
  readonly shape: ModelShape;
  readonly type: WeightType;
  readonly vocab: Vocab;
  readonly seed: number;
  /** general.name; defaults to "<shape> synthetic". */
  readonly name?: string;
}

export interface MadeModel {
  readonly path: string;
  readonly fileSize: number;
  readonly nTensors: number;
  readonly nParams: number;
  /** Tensor count per ggml type name. */
  readonly typeCounts: Record<string, number>;
  readonly ms: number;
}

/** Bytes generated and quantized per step (whole rows). */
const CHUNK_BYTES = 4 << 20;

export function makeModel(outPath: string, spec: MakeModelSpec): MadeModel {
  const t0 = performance.now();
  const { shape, vocab, seed } = spec;
  checkShape(shape);
  if (!Number.isSafeInteger(seed)) throw new MakeModelError(`seed ${seed} is not an integer`);
  const tensors = modelTensors(shape, vocab.nVocab);
  const types = planTypes(tensors, spec.type, shape.tied);
  const metadata = modelMetadata(shape, vocab.nVocab, FILE_TYPE[spec.type], vocab.keys, spec.name ?? `${shape.name} synthetic`);
  const toWrite: TensorToWrite[] = tensors.map((t, i) => ({
    name: t.name,
    type: types[i],
    dims: t.dims,
    data: () => tensorChunks(t, types[i], shape, seed),
  }));
  // written beside the target and renamed at the end, so an interrupted
  // run never leaves a truncated model under the requested name
  const partial = `${outPath}.partial-${process.pid}`;
  try {
    writeGguf(partial, { version: 3, metadata, tensors: toWrite });
    renameSync(partial, outPath);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  const typeCounts: Record<string, number> = {};
  for (const ty of types) typeCounts[ty.name] = (typeCounts[ty.name] ?? 0) + 1;
  return {
    path: outPath,
    fileSize: statSync(outPath).size,
    nTensors: tensors.length,
    nParams: tensors.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0),
    typeCounts,
    ms: performance.now() - t0,
  };
}

/** One tensor's bytes, produced in chunks of whole rows. Each tensor has its own seeded stream. */
function* tensorChunks(t: ModelTensor, type: GgmlTypeTraits, shape: ModelShape, seed: number): Generator<Uint8Array> {
  const codec = codecFor(type);
  if (!codec) throw new MakeModelError(`no quantizer for ${type.name} (${t.name})`);
  const rowLen = t.dims[0];
  const nRows = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const rowBytes = (rowLen / type.blockSize) * type.typeSize;
  const rowsPerChunk = Math.max(1, Math.min(nRows, Math.floor(CHUNK_BYTES / Math.max(rowBytes, rowLen * 4))));
  const rng = new Rng(seed, t.name);
  const x = new Float32Array(rowLen * rowsPerChunk);
  for (let r = 0; r < nRows; r += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, nRows - r);
    const xs = rows === rowsPerChunk ? x : x.subarray(0, rows * rowLen);
    fill(xs, t, shape, rng);
    const out = new Uint8Array(rows * rowBytes);
    codec.quantize(xs, out, 0);
    yield out;
  }
}

function fill(x: Float32Array, t: ModelTensor, shape: ModelShape, rng: Rng): void {
  switch (t.init.kind) {
    case 'normal':
      rng.fillNormal(x, 0, t.init.std);
      return;
    case 'norm': {
      rng.fillNormal(x, 1, 0.1);
      if (t.init.randomSign) for (let i = 0; i < x.length; i++) if (rng.u32() & 1) x[i] = -x[i];
      return;
    }
    case 'rope-freqs':
      x.set(llama3RopeFactors(headDim(shape), shape.ropeBase, shape.llama3Rope!));
      return;
  }
}
