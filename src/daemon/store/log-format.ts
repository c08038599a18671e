import type { StoredRequest } from '../request.js';

/** One request as `nibble log --json` prints it (CLI contract: id, source, status, prompt, answer, ...). */
export function toLogJson(r: StoredRequest): object {
  return {
    id: r.id,
    source: r.source,
    status: r.status,
    prompt: r.prompt,
    messages: r.messages,
    system: r.system,
    answer: r.answer,
    finish_reason: r.finishReason,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    timings: r.timings,
    error: r.error,
    params: r.params,
    attempts: r.attempts,
    created_at: iso(r.createdAt),
    started_at: iso(r.startedAt),
    finished_at: iso(r.finishedAt),
  };
}

/** One request as one readable line. */
export function toLogLine(r: StoredRequest): string {
  const prompt = r.prompt ?? (r.messages ? r.messages.at(-1)?.content ?? '' : '');
  const outcome = r.error
    ? `${r.error.code}: ${r.error.message}`
    : r.answer !== null ? `${clip(r.answer, 60)} (${r.finishReason}, ${r.completionTokens} tokens${r.timings ? `, ${r.timings.decode_tok_s.toFixed(1)} tok/s` : ''})` : '';
  return `${iso(r.createdAt)}  ${r.status.padEnd(11)} ${r.source.padEnd(6)} ${r.id}  ${clip(prompt, 50)}${outcome ? `  -> ${outcome}` : ''}\n`;
}

function clip(s: string, n: number): string {
  const one = JSON.stringify(s.replace(/\s+/g, ' ').trim());
  return one.length > n ? `${one.slice(0, n - 2)}…"` : one;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
