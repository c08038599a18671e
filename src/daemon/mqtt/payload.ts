// The payload rules of the MQTT contract (DESIGN.md): not UTF-8 -> error; a
// first non-blank "{" -> must be valid JSON of the ask shape; anything else
// is a plain-text prompt. Every refusal has a code and names the problem.
import type { ChatMessage } from '../engine-port.js';
import type { ErrorInfo, RequestParams } from '../request.js';

export interface AskLimits {
  maxBytes: number;
  maxTokensCap: number;
  defaultMaxTokens: number;
  defaultTemperature: number;
}

export interface ParsedAsk {
  /** The asker's id, if it gave one. */
  id: string | null;
  prompt: string | null;
  messages: ChatMessage[] | null;
  system: string | null;
  params: RequestParams;
  /** reply_to: the MQTT 3.1.1 way to name a response topic. */
  replyTo: string | null;
}

export type AskResult = { ok: true; ask: ParsedAsk } | { ok: false; id: string | null; error: ErrorInfo };

const fields = ['id', 'prompt', 'messages', 'system', 'max_tokens', 'temperature', 'seed', 'stop', 'stream', 'reply_to'] as const;
const roles = ['system', 'user', 'assistant'];
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_ID_LENGTH = 200;
const MAX_STOP_STRINGS = 16;

class PayloadError extends Error {
  constructor(readonly code: string, message: string) { super(message); }
}

export function parseAskPayload(payload: Uint8Array, limits: AskLimits): AskResult {
  let id: string | null = null;
  try {
    if (payload.byteLength > limits.maxBytes) {
      throw new PayloadError('too_large', `request is ${payload.byteLength} bytes; the limit is ${limits.maxBytes} (requests.max_payload_bytes)`);
    }
    let text: string;
    try {
      text = strictUtf8.decode(payload);
    } catch {
      throw new PayloadError('bad_encoding', 'payload is not valid UTF-8 text');
    }
    if (text.trim() === '') throw new PayloadError('bad_request', 'empty prompt');
    if (text.trimStart().startsWith('{')) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new PayloadError('bad_json', `payload starts with "{" but is not valid JSON: ${(err as Error).message}`);
      }
      if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new PayloadError('bad_json', 'payload must be one JSON object');
      const obj = json as Record<string, unknown>;
      if ('id' in obj) id = readId(obj.id);
      return { ok: true, ask: fromJson(obj, id, limits) };
    }
    return { ok: true, ask: { id: null, prompt: text.trim(), messages: null, system: null, params: params(undefined, undefined, undefined, undefined, undefined, limits), replyTo: null } };
  } catch (err) {
    if (err instanceof PayloadError) return { ok: false, id, error: { code: err.code, message: err.message } };
    throw err;
  }
}

/** A cancel payload: JSON {"id"} or the bare id as text. Returns null when it names no id. */
export function parseCancelPayload(payload: Uint8Array): string | null {
  let text: string;
  try {
    text = strictUtf8.decode(payload).trim();
  } catch {
    return null;
  }
  if (text.startsWith('{')) {
    try {
      const obj = JSON.parse(text) as { id?: unknown };
      return typeof obj.id === 'string' || typeof obj.id === 'number' ? String(obj.id) : null;
    } catch {
      return null;
    }
  }
  return text === '' ? null : text;
}

function fromJson(obj: Record<string, unknown>, id: string | null, limits: AskLimits): ParsedAsk {
  for (const key of Object.keys(obj)) {
    if (!(fields as readonly string[]).includes(key)) throw new PayloadError('bad_request', `unknown field "${key}" (known: ${fields.join(', ')})`);
  }
  const prompt = optional(obj, 'prompt', 'string') as string | undefined;
  const system = optional(obj, 'system', 'string') as string | undefined;
  const messages = obj.messages === undefined ? undefined : readMessages(obj.messages);
  if (prompt === undefined && messages === undefined) throw new PayloadError('bad_request', 'missing "prompt" or "messages"');
  if (prompt !== undefined && messages !== undefined) throw new PayloadError('bad_request', 'give either "prompt" or "messages", not both');
  if (prompt !== undefined && prompt.trim() === '') throw new PayloadError('bad_request', '"prompt" is empty');
  const replyTo = optional(obj, 'reply_to', 'string') as string | undefined;
  if (replyTo !== undefined && (replyTo === '' || /[+#]/.test(replyTo))) {
    throw new PayloadError('bad_request', '"reply_to" must be a topic without wildcards (+ #)');
  }
  return {
    id,
    prompt: prompt ?? null,
    messages: messages ?? null,
    system: system ?? null,
    params: params(obj.max_tokens, obj.temperature, obj.seed, obj.stop, obj.stream, limits),
    replyTo: replyTo ?? null,
  };
}

function params(maxTokens: unknown, temperature: unknown, seed: unknown, stop: unknown, stream: unknown, limits: AskLimits): RequestParams {
  const out: RequestParams = { max_tokens: limits.defaultMaxTokens, temperature: limits.defaultTemperature, stream: false };
  if (maxTokens !== undefined) {
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) throw new PayloadError('bad_request', '"max_tokens" must be a positive integer');
    out.max_tokens = Math.min(maxTokens, limits.maxTokensCap);
    if (maxTokens > limits.maxTokensCap) out.max_tokens_requested = maxTokens;
  }
  if (temperature !== undefined) {
    if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0 || temperature > 5) {
      throw new PayloadError('bad_request', '"temperature" must be a number from 0 to 5');
    }
    out.temperature = temperature;
  }
  if (seed !== undefined) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) throw new PayloadError('bad_request', '"seed" must be a non-negative integer');
    out.seed = seed;
  }
  if (stop !== undefined) {
    const list = typeof stop === 'string' ? [stop] : stop;
    if (!Array.isArray(list) || list.length > MAX_STOP_STRINGS || !list.every((s) => typeof s === 'string' && s !== '')) {
      throw new PayloadError('bad_request', `"stop" must be a non-empty string or a list of at most ${MAX_STOP_STRINGS} of them`);
    }
    out.stop = list as string[];
  }
  if (stream !== undefined) {
    if (typeof stream !== 'boolean') throw new PayloadError('bad_request', '"stream" must be true or false');
    out.stream = stream;
  }
  return out;
}

function readId(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value === '' || value.length > MAX_ID_LENGTH) {
    throw new PayloadError('bad_request', `"id" must be a non-empty string of at most ${MAX_ID_LENGTH} characters, or a number`);
  }
  return value;
}

function readMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw new PayloadError('bad_request', '"messages" must be a non-empty list of {"role", "content"}');
  return value.map((m, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new PayloadError('bad_request', `"messages[${i}]" must be an object {"role", "content"}`);
    const { role, content, ...rest } = m as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw new PayloadError('bad_request', `unknown field "messages[${i}].${extra}"`);
    if (typeof role !== 'string' || !roles.includes(role)) throw new PayloadError('bad_request', `"messages[${i}].role" must be one of ${roles.join(', ')}`);
    if (typeof content !== 'string') throw new PayloadError('bad_request', `"messages[${i}].content" must be a string`);
    return { role: role as ChatMessage['role'], content };
  });
}

function optional(obj: Record<string, unknown>, key: string, type: 'string'): unknown {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== type) throw new PayloadError('bad_request', `"${key}" must be a ${type}`);
  return v;
}
