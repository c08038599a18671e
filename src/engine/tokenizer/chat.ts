// Chat prompts from the model's own template (tokenizer.chat_template), a
// Jinja program, rendered with @huggingface/jinja the way transformers'
// apply_chat_template and llama.cpp's Jinja path render it: messages,
// add_generation_prompt, and the BOS/EOS token texts as bos_token/eos_token.
// The Jinja runtime itself defines raise_exception and strftime_now (today's
// date, for templates such as Llama 3.2's).
import { Template } from '@huggingface/jinja';
import { TokenizerError } from './errors.js';
import type { Tokenizer } from './tokenizer.js';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatRenderOptions {
  /** End with the header that opens the assistant's turn. Default true. */
  addGenerationPrompt?: boolean;
  /** More template variables (tools, enable_thinking, ...). */
  variables?: Record<string, unknown>;
}

export class ChatTemplate {
  private readonly template: Template;

  constructor(readonly source: string, private readonly bosToken: string, private readonly eosToken: string) {
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new TokenizerError(`the chat template (tokenizer.chat_template) does not parse: ${(err as Error).message}`);
    }
  }

  render(messages: readonly ChatMessage[], options: ChatRenderOptions = {}): string {
    try {
      return this.template.render({
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? true,
        bos_token: this.bosToken,
        eos_token: this.eosToken,
        ...options.variables,
      });
    } catch (err) {
      // raise_exception() in a template (the Jinja runtime defines it) lands here too
      throw new TokenizerError(`the chat template failed: ${(err as Error).message}`);
    }
  }
}

/** The model's chat template, or undefined when it has none (the caller then runs the prompt raw). */
export function chatTemplateOf(tokenizer: Tokenizer): ChatTemplate | undefined {
  if (!tokenizer.hasChatTemplate) return undefined;
  const v = tokenizer.vocab;
  const text = (id: number) => (id >= 0 ? v.tokens[id] : '');
  return new ChatTemplate(tokenizer.chatTemplate!, text(v.ids.bos), text(v.ids.eos));
}

/**
 * The token ids of a chat prompt: the rendered template, tokenized with
 * special-token parsing on. When the template writes the BOS text itself
 * and the vocabulary adds BOS anyway, the written one is dropped, as
 * llama.cpp does, so the prompt starts with exactly one BOS.
 */
export function chatPromptTokens(tokenizer: Tokenizer, template: ChatTemplate, messages: readonly ChatMessage[], options: ChatRenderOptions = {}): number[] {
  let text = template.render(messages, options);
  const v = tokenizer.vocab;
  if (v.addBos && v.ids.bos >= 0) {
    const bosText = v.tokens[v.ids.bos];
    if (bosText && text.startsWith(bosText)) text = text.slice(bosText.length);
  }
  return tokenizer.encode(text, { addSpecial: true, parseSpecial: true });
}
