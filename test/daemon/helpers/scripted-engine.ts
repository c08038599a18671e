// A test double of the engine PORT for the dispatcher's unit tests only (the
// real engine is not built yet; end-to-end tests never use this). It answers
// with the prompt's words in order, one piece per `stepMs`, and honours the
// abort signal the way the port requires.
import { EngineRequestError, type GenerateRequest, type GenerateResult, type InferenceEngine, type ModelInfo, type PieceCallback } from '../../../src/daemon/engine-port.js';

export class ScriptedEngine implements InferenceEngine {
  alive = true;
  calls: GenerateRequest[] = [];
  /** When set, generate ignores aborts (a hung engine). */
  hang = false;

  constructor(private readonly stepMs: number) {}

  async load(path: string): Promise<ModelInfo> {
    return { path, architecture: 'test', name: 'scripted', contextSize: 64, chatTemplate: false };
  }

  async generate(req: GenerateRequest, onPiece: PieceCallback, signal: AbortSignal): Promise<GenerateResult> {
    this.calls.push(req);
    const words = (req.prompt ?? '').split(' ');
    if (words.length > 64) throw new EngineRequestError('prompt_too_long', `prompt is ${words.length} tokens; the context holds 64`);
    if (req.prompt === 'explode') throw new Error('worker died');
    let text = '';
    let n = 0;
    for (const w of words.slice(0, req.maxTokens)) {
      await new Promise((r) => setTimeout(r, this.stepMs));
      if (signal.aborted && !this.hang) return { text, finishReason: 'aborted', promptTokens: words.length, completionTokens: n, timings: timings() };
      text += (n ? ' ' : '') + w;
      n++;
      onPiece((n > 1 ? ' ' : '') + w, n);
    }
    if (this.hang) await new Promise(() => {});
    return { text, finishReason: n < words.length ? 'length' : 'stop', promptTokens: words.length, completionTokens: n, timings: timings() };
  }

  isAlive(): boolean { return this.alive; }
  async close(): Promise<void> {}
}

function timings() {
  return { prompt_ms: 1, prompt_tok_s: 1, decode_ms: 1, decode_tok_s: 1 };
}
