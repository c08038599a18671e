// Chat prompts from the model's own template (tokenizer.chat_template), a
// Jinja program, rendered with @huggingface/jinja the way transformers'
// apply_chat_template and llama.cpp's Jinja path render it: messages,
// add_generation_prompt, and the BOS/EOS token texts as bos_token/eos_token.
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
  /** The clock strftime_now reads (templates such as Llama 3.2 print today's date). */
  now?: () => Date;
  /** More template variables (tools, enable_thinking, ...). */
  variables?: Record<string, unknown>;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Python's strftime for the directives chat templates use. */
export function strftime(date: Date, format: string): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return format.replace(/%([dbBmYyHMSaAj%])/g, (_, d: string) => {
    switch (d) {
      case 'd': return pad(date.getDate());
      case 'b': return MONTHS[date.getMonth()].slice(0, 3);
      case 'B': return MONTHS[date.getMonth()];
      case 'm': return pad(date.getMonth() + 1);
      case 'Y': return String(date.getFullYear());
      case 'y': return pad(date.getFullYear() % 100);
      case 'H': return pad(date.getHours());
      case 'M': return pad(date.getMinutes());
      case 'S': return pad(date.getSeconds());
      case 'a': return DAYS[date.getDay()].slice(0, 3);
      case 'A': return DAYS[date.getDay()];
      case 'j': {
        const start = new Date(date.getFullYear(), 0, 1);
        return String(Math.floor((date.getTime() - start.getTime()) / 86_400_000) + 1).padStart(3, '0');
      }
      default: return '%';
    }
  });
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
    const now = options.now ?? (() => new Date());
    try {
      return this.template.render({
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? true,
        bos_token: this.bosToken,
        eos_token: this.eosToken,
        raise_exception: (message: string) => {
          throw new TokenizerError(`the chat template refused the messages: ${message}`);
        },
        strftime_now: (format: string) => strftime(now(), format),
        ...options.variables,
      });
    } catch (err) {
      if (err instanceof TokenizerError) throw err;
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
