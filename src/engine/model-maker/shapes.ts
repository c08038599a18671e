// Model shapes: the named ones from the models' published configs (FACTS.md)
// and explicit dimensions. The vocabulary size is never part of a shape: it
// is always the size of the vocabulary the model is made with.
import { MakeModelError } from './errors.js';

export type Arch = 'llama' | 'qwen2';

export interface Llama3RopeScaling {
  readonly factor: number;
  readonly lowFreqFactor: number;
  readonly highFreqFactor: number;
  readonly originalContext: number;
}

export interface ModelShape {
  readonly name: string;
  readonly arch: Arch;
  readonly nEmbd: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly nHeadKv: number;
  readonly nFf: number;
  /** Tied: no output.weight; the output projection reuses token_embd. */
  readonly tied: boolean;
  readonly ropeBase: number;
  readonly rmsEps: number;
  readonly contextLength: number;
  readonly llama3Rope?: Llama3RopeScaling;
}

export const NAMED_SHAPES: Readonly<Record<string, ModelShape>> = {
  'smollm2-135m': {
    name: 'smollm2-135m', arch: 'llama', nEmbd: 576, nLayer: 30, nHead: 9, nHeadKv: 3, nFf: 1536,
    tied: true, ropeBase: 100000, rmsEps: 1e-5, contextLength: 8192,
  },
  'qwen2.5-0.5b': {
    name: 'qwen2.5-0.5b', arch: 'qwen2', nEmbd: 896, nLayer: 24, nHead: 14, nHeadKv: 2, nFf: 4864,
    tied: true, ropeBase: 1000000, rmsEps: 1e-6, contextLength: 32768,
  },
  'tinyllama-1.1b': {
    name: 'tinyllama-1.1b', arch: 'llama', nEmbd: 2048, nLayer: 22, nHead: 32, nHeadKv: 4, nFf: 5632,
    tied: false, ropeBase: 10000, rmsEps: 1e-5, contextLength: 2048,
  },
  'llama3.2-1b': {
    name: 'llama3.2-1b', arch: 'llama', nEmbd: 2048, nLayer: 16, nHead: 32, nHeadKv: 8, nFf: 8192,
    tied: true, ropeBase: 500000, rmsEps: 1e-5, contextLength: 131072,
    llama3Rope: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8192 },
  },
};

/** Per-architecture defaults for explicit shapes, as the families' small models use. */
const ARCH_DEFAULTS: Record<Arch, Pick<ModelShape, 'tied' | 'ropeBase' | 'rmsEps' | 'contextLength'>> = {
  llama: { tied: false, ropeBase: 10000, rmsEps: 1e-5, contextLength: 2048 },
  qwen2: { tied: true, ropeBase: 1000000, rmsEps: 1e-6, contextLength: 2048 },
};

export function isArch(a: string): a is Arch {
  return a === 'llama' || a === 'qwen2';
}

export interface ExplicitDims {
  readonly nEmbd: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly nHeadKv: number;
  readonly nFf: number;
  /** The optional sixth number; make-model always uses the vocabulary's own size. */
  readonly nVocab?: number;
}

/** Parses "n_embd,n_layer,n_head,n_head_kv,n_ff[,n_vocab]". */
export function parseDims(text: string): ExplicitDims {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 5 && parts.length !== 6) {
    throw new MakeModelError(`shape "${text}" is neither a named shape (${Object.keys(NAMED_SHAPES).join(', ')}) nor n_embd,n_layer,n_head,n_head_kv,n_ff[,n_vocab]`);
  }
  const n = parts.map((p) => {
    if (!/^[1-9][0-9]*$/.test(p) || Number(p) > 1 << 24) throw new MakeModelError(`shape "${text}": "${p}" is not a positive integer`);
    return Number(p);
  });
  return { nEmbd: n[0], nLayer: n[1], nHead: n[2], nHeadKv: n[3], nFf: n[4], nVocab: n[5] };
}

export function explicitShape(arch: Arch, dims: ExplicitDims, overrides: Partial<ModelShape> = {}): ModelShape {
  const shape: ModelShape = {
    name: `${arch}-${dims.nEmbd}x${dims.nLayer}`,
    arch, nEmbd: dims.nEmbd, nLayer: dims.nLayer, nHead: dims.nHead, nHeadKv: dims.nHeadKv, nFf: dims.nFf,
    ...ARCH_DEFAULTS[arch],
    ...overrides,
  };
  checkShape(shape);
  return shape;
}

/** The checks llama.cpp's loader relies on: whole heads, whole GQA groups, an even head size for rope. */
export function checkShape(s: ModelShape): void {
  if (s.nEmbd % s.nHead !== 0) throw new MakeModelError(`n_embd ${s.nEmbd} is not a multiple of n_head ${s.nHead}`);
  if (s.nHead % s.nHeadKv !== 0) throw new MakeModelError(`n_head ${s.nHead} is not a multiple of n_head_kv ${s.nHeadKv}`);
  if ((s.nEmbd / s.nHead) % 2 !== 0) throw new MakeModelError(`head size ${s.nEmbd / s.nHead} must be even for rope`);
  if (!(s.contextLength >= 1)) throw new MakeModelError(`context length ${s.contextLength} must be at least 1`);
}

export function headDim(s: ModelShape): number {
  return s.nEmbd / s.nHead;
}
