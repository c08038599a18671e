import type { ChatMessage, Timings } from './engine-port.js';

/** Lifecycle of a request row (the statuses `nibble log` shows). */
export type RequestStatus = 'queued' | 'running' | 'done' | 'error' | 'cancelled' | 'interrupted';
export const finalStatuses: readonly RequestStatus[] = ['done', 'error', 'cancelled', 'interrupted'];

/** finish_reason of an answer: the engine's, or what the daemon stopped it for. */
export type FinishReason = 'stop' | 'length' | 'cancelled' | 'timeout' | 'shutdown';

/** Where an answer goes, kept with the row so it can still be delivered after a restart. */
export interface ReplyRoute {
  /** MQTT 5 response topic or the JSON reply_to; null = <base>/answer. */
  topic: string | null;
  /** MQTT 5 correlation data, base64. */
  correlation: string | null;
}

/** Generation parameters after defaults and clamping. */
export interface RequestParams {
  max_tokens: number;
  temperature: number;
  seed?: number;
  stop?: string[];
  stream: boolean;
  /** The max_tokens the asker asked for, when it was clamped to the cap. */
  max_tokens_requested?: number;
}

/** A validated request, before it is stored. */
export interface NewRequest {
  id: string;
  source: string;
  prompt: string | null;
  messages: ChatMessage[] | null;
  system: string | null;
  params: RequestParams;
  reply: ReplyRoute | null;
  /** Identifies a redelivery of the same message (MQTT DUP), so it is stored once. */
  dedupKey: string | null;
}

export interface ErrorInfo {
  code: string;
  message: string;
}

/** A request as stored. */
export interface StoredRequest extends NewRequest {
  seq: number;
  status: RequestStatus;
  attempts: number;
  answer: string | null;
  finishReason: FinishReason | null;
  promptTokens: number | null;
  completionTokens: number | null;
  timings: Timings | null;
  error: ErrorInfo | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  delivered: boolean;
}

/** How a request ended, as the dispatcher records it. */
export type Outcome =
  | { status: 'done' | 'cancelled' | 'interrupted'; answer: string; finishReason: FinishReason; promptTokens: number; completionTokens: number; timings: Timings | null }
  | { status: 'error' | 'interrupted'; error: ErrorInfo };
