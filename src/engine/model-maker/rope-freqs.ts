// Llama 3.x rope scaling reaches llama.cpp as a rope_freqs.weight tensor of
// head_dim/2 per-frequency factors (the rope divides each frequency by its
// factor), computed as llama.cpp's converter (convert_hf_to_gguf.py) does
// from the rope_scaling block of the model's config.
import type { Llama3RopeScaling } from './shapes.js';

export function llama3RopeFactors(headDim: number, ropeBase: number, s: Llama3RopeScaling): Float32Array {
  const lowFreqWavelen = s.originalContext / s.lowFreqFactor;
  const highFreqWavelen = s.originalContext / s.highFreqFactor;
  const out = new Float32Array(headDim / 2);
  for (let i = 0; i < out.length; i++) {
    // the converter computes the frequencies in float32
    const freq = Math.fround(1 / Math.fround(ropeBase ** Math.fround((2 * i) / headDim)));
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highFreqWavelen) out[i] = 1;
    else if (wavelen > lowFreqWavelen) out[i] = s.factor;
    else {
      const smooth = (s.originalContext / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return out;
}
