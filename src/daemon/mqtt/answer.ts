import type { StoredRequest } from '../request.js';

/** The <base>/answer payload of a finished request (MQTT contract). */
export function answerPayload(row: StoredRequest): object {
  if (row.error) return { id: row.id, error: { code: row.error.code, message: row.error.message } };
  const out: Record<string, unknown> = {
    id: row.id,
    text: row.answer ?? '',
    finish_reason: row.finishReason,
    prompt_tokens: row.promptTokens ?? 0,
    completion_tokens: row.completionTokens ?? 0,
    timings: row.timings ?? {},
  };
  // Say so when the asker's max_tokens was clamped to the configured cap.
  if (row.params.max_tokens_requested !== undefined) out.max_tokens = row.params.max_tokens;
  return out;
}
