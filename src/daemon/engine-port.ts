// The only thing between the daemon and the engine (DESIGN.md, "The two
// halves"): load a model, generate from a request with a token callback and a
// cancel signal, report timings. The engine implements it with its inference
// running in worker threads, so the daemon's main thread (MQTT, the systemd
// watchdog) never runs inference. The daemon knows nothing about tensors.

/** What the daemon learns about a loaded model. */
export interface ModelInfo {
  path: string;
  /** general.architecture, e.g. "qwen2". */
  architecture: string;
  /** general.name, or the file name. */
  name: string;
  /** Tokens of context the engine was set up with (prompt + answer). */
  contextSize: number;
  /** Whether the model carries a chat template (else prompts run raw). */
  chatTemplate: boolean;
}

export interface LoadOptions {
  /** Worker threads; 0 = one per core. */
  threads: number;
  /** Context size in tokens; 0 = the model's training context. */
  contextSize: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One generation. Exactly one of prompt and messages is set. */
export interface GenerateRequest {
  /** A user prompt, rendered with the model's chat template (with `system` first, if given). */
  prompt?: string;
  /** A whole conversation, rendered with the chat template. */
  messages?: ChatMessage[];
  system?: string;
  /** Most tokens to generate (already clamped by the daemon). */
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  seed?: number;
  /** Stop strings: generation ends before the first one that appears. */
  stop?: string[];
}

/** Timings of one generation, as `nibble run --json` reports them. */
export interface Timings {
  prompt_ms: number;
  prompt_tok_s: number;
  decode_ms: number;
  decode_tok_s: number;
}

/**
 * Why generation ended: the model's end-of-generation token or a stop string
 * ("stop"), maxTokens reached ("length"), or the signal aborted it ("aborted":
 * the daemon knows whether that was a cancel, a timeout or a shutdown).
 */
export type EngineFinishReason = 'stop' | 'length' | 'aborted';

export interface GenerateResult {
  text: string;
  finishReason: EngineFinishReason;
  promptTokens: number;
  completionTokens: number;
  timings: Timings;
}

/** Receives each piece of decoded text as it is produced (never half a UTF-8 character). */
export type PieceCallback = (text: string, tokenId: number) => void;

/**
 * A request the engine refuses, with a reason the asker can act on.
 * `prompt_too_long`: the prompt does not fit the context (never silently truncated).
 */
export class EngineRequestError extends Error {
  constructor(readonly code: 'prompt_too_long' | 'invalid_request', message: string) {
    super(message);
    this.name = 'EngineRequestError';
  }
}

export interface InferenceEngine {
  /** Loads the model; resolves when the engine can generate. Called once. */
  load(path: string, options: LoadOptions): Promise<ModelInfo>;
  /**
   * Runs one request. Aborting `signal` stops it promptly (also during prompt
   * processing) and resolves with finishReason "aborted" and the text so far.
   * Rejects with EngineRequestError for a request it cannot run, and with any
   * other error when the engine itself failed.
   */
  generate(request: GenerateRequest, onPiece: PieceCallback, signal: AbortSignal): Promise<GenerateResult>;
  /**
   * True while the engine's threads are alive and making progress (a worker
   * that stopped answering, or that has been stuck inside one step for too
   * long, is not alive). The systemd watchdog is fed only while this is true.
   */
  isAlive(): boolean;
  /** Stops the workers and frees the model. */
  close(): Promise<void>;
}

/** Makes an engine; the daemon calls it once per start. */
export type EngineFactory = () => InferenceEngine;
