// The tokenizer's public surface.
export { createTokenizer, Tokenizer, type DecodeOptions, type EncodeOptions } from './tokenizer.js';
export { StreamingDetokenizer } from './streaming.js';
export { ChatTemplate, chatPromptTokens, chatTemplateOf, type ChatMessage, type ChatRenderOptions } from './chat.js';
export { convertHfTokenizer, loadTokenizerMetadata, loadVocabMetadata } from './hf-vocab.js';
export { TokenizerError } from './errors.js';
export { Vocab } from './vocab.js';
