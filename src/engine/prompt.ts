// Turning a request's text into prompt tokens: through the model's own chat
// template when it has one, raw otherwise (BOS per the metadata), as
// llama.cpp's tools do.
import { chatPromptTokens, chatTemplateOf, type ChatMessage } from './tokenizer/chat.js';
import type { Tokenizer } from './tokenizer/tokenizer.js';

export interface PromptInput {
  prompt?: string;
  messages?: ChatMessage[];
  system?: string;
}

/** The conversation as chat messages: the system message first, then the messages or the one prompt. */
export function toMessages(input: PromptInput): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (input.system) messages.push({ role: 'system', content: input.system });
  if (input.messages) messages.push(...input.messages);
  else messages.push({ role: 'user', content: input.prompt ?? '' });
  return messages;
}

/**
 * Prompt tokens for a request. With a chat template, the messages are
 * rendered with the generation prompt; without one, the texts are joined by
 * blank lines and used raw, with special-token text parsed.
 */
export function promptTokens(tokenizer: Tokenizer, input: PromptInput): number[] {
  const messages = toMessages(input);
  const template = chatTemplateOf(tokenizer);
  if (template) return chatPromptTokens(tokenizer, template, messages);
  return tokenizer.encode(messages.map((m) => m.content).join('\n\n'), { addSpecial: true, parseSpecial: true });
}
