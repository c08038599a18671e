// The forward pass of the llama family (llama, qwen2), top to bottom, as
// llama2.c's forward() reads: embed, then per layer rmsnorm -> qkv -> rope ->
// attention -> residual -> rmsnorm -> swiglu ffn -> residual, then the final
// norm and the logits. Every buffer is in RunState; nothing is allocated here.
import type { Model } from './model.js';
import { fillRopeTable } from './rope.js';

/**
 * Runs `tokens` at positions pos, pos+1, ... through the model, writing their
 * keys and values into the cache. Logits are computed only for the batch rows
 * in `logitRows`: row i of state.logits belongs to tokens[logitRows[i]].
 */
export function forward(m: Model, tokens: readonly number[], pos: number, logitRows: readonly number[]): void {
  const { config: c, weights: w, state: s, ops } = m;
  const n = tokens.length;
  const E = c.nEmbd * 4;                          // bytes of one residual row
  const qDim = c.nHead * c.headDim;
  const kvDim = c.nHeadKv * c.headDim;
  const neox = c.arch.rope === 'neox';

  // x[t] = token_embd[tokens[t]]
  for (let t = 0; t < n; t++) ops.getRow(w.tokenEmbd, tokens[t], s.x + t * E);

  // cos, sin of every token's rope angles, shared by all layers
  fillRopeTable(m.kernels.memory.f32(s.ropeTable, n * c.ropeDim), pos, n, m.rope);

  for (let l = 0; l < c.nLayer; l++) {
    const lw = w.layers[l];

    // xb = rmsnorm(x) * attn_norm
    ops.rmsNorm(s.xb, s.x, lw.attnNorm.ptr, c.nEmbd, n, c.rmsEps);

    // q = Wq xb + bq;  k = Wk xb + bk;  v = Wv xb + bv   (biases: qwen2; k and v reuse xb as q's matmul converted it)
    ops.matmul(lw.wq, s.xb, n, s.q);
    ops.matmul(lw.wk, s.xb, n, s.k, true);
    ops.matmul(lw.wv, s.xb, n, s.v, true);
    if (lw.bq && lw.bk && lw.bv) {
      ops.addRows(s.q, lw.bq.ptr, qDim, n);
      ops.addRows(s.k, lw.bk.ptr, kvDim, n);
      ops.addRows(s.v, lw.bv.ptr, kvDim, n);
    }

    // rotate q and k by their positions (norm: pairs (2i, 2i+1); neox: (i, i + d/2))
    ops.rope(s.q, s.ropeTable, n, c.nHead, c.headDim, c.ropeDim, neox);
    ops.rope(s.k, s.ropeTable, n, c.nHeadKv, c.headDim, c.ropeDim, neox);

    // cache[l][pos + t] = k[t], v[t]
    const layerCache = l * s.contextLength * s.kvRowBytes;
    ops.storeKv(s.keyCache + layerCache + pos * s.kvRowBytes, s.k, kvDim, n, s.kvType);
    ops.storeKv(s.valueCache + layerCache + pos * s.kvRowBytes, s.v, kvDim, n, s.kvType);

    // att[t] = softmax(q[t] . K[0..pos+t] / sqrt(head_dim)) . V, per head (GQA: heads share kv heads)
    ops.attention({
      out: s.att, q: s.q, keys: s.keyCache + layerCache, values: s.valueCache + layerCache, scores: s.scores,
      nTokens: n, pos, nHead: c.nHead, nHeadKv: c.nHeadKv, headDim: c.headDim, contextLength: s.contextLength, kvType: s.kvType,
    });

    // x += Wo att
    ops.matmul(lw.wo, s.att, n, s.xb2);
    ops.add(s.x, s.xb2, n * c.nEmbd);

    // xb = rmsnorm(x) * ffn_norm
    ops.rmsNorm(s.xb, s.x, lw.ffnNorm.ptr, c.nEmbd, n, c.rmsEps);

    // x += Wdown (silu(Wgate xb) * (Wup xb))   (up reuses xb as gate's matmul converted it)
    ops.matmul(lw.wGate, s.xb, n, s.hb);
    ops.matmul(lw.wUp, s.xb, n, s.hb2, true);
    ops.siluMul(s.hb, s.hb2, n * c.nFf);
    ops.matmul(lw.wDown, s.hb, n, s.xb2);
    ops.add(s.x, s.xb2, n * c.nEmbd);
  }

  // logits = Wout (rmsnorm(x) * output_norm), only for the rows asked for
  if (logitRows.length > 0) {
    logitRows.forEach((t, i) => ops.copy(s.xb2 + i * E, s.x + t * E, E));
    ops.rmsNorm(s.xb, s.xb2, w.outputNorm.ptr, c.nEmbd, logitRows.length, c.rmsEps);
    ops.matmul(w.output, s.xb, logitRows.length, s.logits);
  }
  m.onStep?.();
}
