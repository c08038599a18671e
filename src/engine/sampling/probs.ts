export interface TokenProb {
  id: number;
  logit: number;
  /** Softmax of the raw logits over the whole vocabulary, summed in double. */
  p: number;
}

/** The k most likely tokens under softmax(raw logits), most likely first. */
export function topProbs(logits: Float32Array, k: number): TokenProb[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const best: TokenProb[] = [];
  for (let id = 0; id < logits.length; id++) {
    const logit = logits[id];
    if (best.length === k && logit <= best[k - 1].logit) continue;
    let i = best.length;
    while (i > 0 && best[i - 1].logit < logit) i--;
    best.splice(i, 0, { id, logit, p: 0 });
    if (best.length > k) best.pop();
  }
  for (const b of best) b.p = Math.exp(b.logit - max) / sum;
  return best;
}
