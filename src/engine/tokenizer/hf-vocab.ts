// Hugging Face tokenizer.json (+ tokenizer_config.json, + config.json when
// present) -> the tokenizer.* GGUF metadata llama.cpp's convert_hf_to_gguf.py
// writes for a byte-level BPE model (_set_vocab_gpt2 with gguf-py's
// SpecialVocab): the token list with types, the merges, the pre-tokenizer
// name, special ids, add_bos/add_eos and the chat template.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readGguf } from '../gguf/reader.js';
import { GgufType, type GgufKV } from '../gguf/value-types.js';
import { TokenizerError } from './errors.js';
import { KEY } from './metadata.js';
import { CHECKSUM_TEXT, KNOWN_CHECKSUMS } from './pre-checksums.js';
import { TokenType } from './vocab.js';
import { createTokenizer } from './tokenizer.js';

interface AddedToken { id: number; content: string; special?: boolean; normalized?: boolean }
interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; merges?: Array<string | [string, string]>; byte_fallback?: boolean };
  added_tokens?: AddedToken[];
  pre_tokenizer?: PreTokenizerJson | null;
  post_processor?: ProcessorJson | null;
  decoder?: { type?: string } | null;
}
interface PreTokenizerJson {
  type?: string; pretokenizers?: PreTokenizerJson[]; pattern?: { Regex?: string; String?: string };
  use_regex?: boolean; individual_digits?: boolean;
}
interface ProcessorJson {
  type?: string; processors?: ProcessorJson[];
  single?: Array<{ SpecialToken?: { id?: string }; Sequence?: { id?: string } }>;
}
type TokenSpec = string | { content?: unknown } | null | undefined;

// The pre-tokenizer regexes as Hugging Face writes them, for the shape-based guess.
const HF_REGEX_QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const HF_REGEX_LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export interface ConvertedVocab {
  metadata: Map<string, GgufKV>;
  /** How tokenizer.ggml.pre was found: llama.cpp's checksum table, or the regex shape when the checksum is unknown. */
  preSource: 'checksum' | 'regex';
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw new TokenizerError(`${path} does not exist`);
    throw new TokenizerError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

const str = (value: string): GgufKV => ({ type: GgufType.STRING, value });
const u32 = (value: number): GgufKV => ({ type: GgufType.U32, value });
const bool = (value: boolean): GgufKV => ({ type: GgufType.BOOL, value });
const strArray = (items: string[]): GgufKV => ({ type: GgufType.ARRAY, value: { itemType: GgufType.STRING, items } });
const i32Array = (items: Int32Array): GgufKV => ({ type: GgufType.ARRAY, value: { itemType: GgufType.I32, items } });

/** convert_hf_to_gguf's does_token_look_special: added tokens that should be control tokens. */
function looksSpecial(t: string): boolean {
  return ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(t)
    || (t.startsWith('<|') && t.endsWith('|>'))
    || (t.startsWith('<｜') && t.endsWith('｜>'))
    || (t.startsWith('<unused') && t.endsWith('>'));
}

function tokenContent(spec: TokenSpec): string | undefined {
  if (typeof spec === 'string') return spec;
  if (spec && typeof spec === 'object' && typeof spec.content === 'string') return spec.content;
  return undefined;
}

/** Converts the tokenizer.json at path (tokenizer_config.json and config.json are read from the same folder). */
export function convertHfTokenizer(path: string): ConvertedVocab {
  const dir = dirname(path);
  const tj = readJson<TokenizerJson>(path);
  const configPath = join(dir, 'tokenizer_config.json');
  const config = existsSync(configPath) ? readJson<Record<string, unknown>>(configPath) : undefined;
  const modelConfigPath = join(dir, 'config.json');
  const modelConfig = existsSync(modelConfigPath) ? readJson<Record<string, unknown>>(modelConfigPath) : undefined;

  const model = tj.model;
  if (!model || model.type !== 'BPE' || !model.vocab || !Array.isArray(model.merges)) {
    throw new TokenizerError(`${path}: nibble converts byte-level BPE tokenizers (model.type "BPE" with vocab and merges); this one has model.type ${JSON.stringify(model?.type)}`);
  }
  if (model.byte_fallback) {
    throw new TokenizerError(`${path}: a BPE tokenizer with byte_fallback is SentencePiece-style; convert it from its tokenizer.model, or use a GGUF as the vocabulary`);
  }

  // Token list: vocab plus added tokens, by id; holes become [PADn] (unused).
  const added = new Map<number, AddedToken>();
  for (const a of tj.added_tokens ?? []) added.set(a.id, a);
  const byId = new Map<number, string>();
  for (const [text, id] of Object.entries(model.vocab)) byId.set(id, text);
  for (const a of added.values()) byId.set(a.id, a.content);
  let n = 0;
  for (const id of byId.keys()) n = Math.max(n, id + 1);
  const hparamSize = modelConfig?.vocab_size;
  if (typeof hparamSize === 'number' && Number.isInteger(hparamSize) && hparamSize > 0) n = hparamSize;
  const tokens: string[] = new Array(n);
  const types = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const text = byId.get(i);
    if (text === undefined) {
      tokens[i] = `[PAD${i}]`;
      types[i] = TokenType.UNUSED;
      continue;
    }
    const a = added.get(i);
    if (a) {
      if (a.special || looksSpecial(text)) {
        tokens[i] = text;
        types[i] = TokenType.CONTROL;
      } else {
        tokens[i] = text.replaceAll('\u2581', ' ');
        types[i] = TokenType.USER_DEFINED;
      }
    } else {
      tokens[i] = text;
      types[i] = TokenType.NORMAL;
    }
  }

  const merges = model.merges.map((m) => (typeof m === 'string' ? m : m.map((part) => part.replaceAll(' ', '\u0120')).join(' ')));

  // Special ids: tokenizer_config.json names them, added_tokens gives ids; config.json fills the rest.
  const ids = new Map<string, number>();
  const addFlags = new Map<string, boolean>();
  const postProcessors = tj.post_processor ? tj.post_processor.processors ?? [tj.post_processor] : [];
  for (const p of postProcessors) {
    if (p.type !== 'TemplateProcessing' || !p.single || p.single.length < 2) continue;
    const first = p.single[0].SpecialToken?.id;
    const last = p.single[p.single.length - 1].SpecialToken?.id;
    const bos = tokenContent(config?.bos_token as TokenSpec) ?? first;
    const eos = tokenContent(config?.eos_token as TokenSpec) ?? last;
    if (first) addFlags.set('bos', first === bos);
    if (last) addFlags.set('eos', last === eos);
  }
  for (const typ of ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask']) {
    const flag = config?.[`add_${typ}_token`];
    if (typeof flag === 'boolean') addFlags.set(typ, flag);
    const content = tokenContent(config?.[`${typ}_token`] as TokenSpec);
    if (content === undefined) continue;
    const id = (tj.added_tokens ?? []).find((a) => a.content === content)?.id;
    if (id !== undefined && id < n && !ids.has(typ)) ids.set(typ, id);
  }
  for (const typ of ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask']) {
    const id = modelConfig?.[`${typ}_token_id`];
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < n && !ids.has(typ)) ids.set(typ, id);
  }

  const meta = new Map<string, GgufKV>();
  meta.set(KEY.model, str('gpt2'));
  meta.set(KEY.pre, str('')); // keeps the converter's key order; the name is found below
  meta.set(KEY.tokens, strArray(tokens));
  meta.set(KEY.tokenType, i32Array(types));
  meta.set(KEY.merges, strArray(merges));
  const idKeys: Record<string, string> = { bos: KEY.bos, eos: KEY.eos, unk: KEY.unk, sep: KEY.sep, pad: KEY.pad, cls: 'tokenizer.ggml.cls_token_id', mask: KEY.mask };
  for (const [typ, id] of ids) meta.set(idKeys[typ], u32(id));
  for (const [typ, on] of addFlags) {
    if (typ === 'bos') meta.set(KEY.addBos, bool(on));
    else if (typ === 'eos') meta.set(KEY.addEos, bool(on));
    else if (typ === 'sep') meta.set('tokenizer.ggml.add_sep_token', bool(on));
  }
  const template = config?.chat_template ?? (existsSync(join(dir, 'chat_template.jinja')) ? readFileSync(join(dir, 'chat_template.jinja'), 'utf8') : undefined);
  if (typeof template === 'string') meta.set(KEY.chatTemplate, str(template));

  const { pre, source } = detectPre(tj, meta, postProcessors, config);
  meta.set(KEY.pre, str(pre));
  return { metadata: meta, preSource: source };
}

/** The pre-tokenizer the regexes look like, for tokenizing the checksum text. */
function guessPreFromShape(tj: TokenizerJson): string | undefined {
  const list = !tj.pre_tokenizer ? [] : tj.pre_tokenizer.type === 'Sequence' ? tj.pre_tokenizer.pretokenizers ?? [] : [tj.pre_tokenizer];
  const split = list.find((p) => p.type === 'Split');
  const regex = split?.pattern?.Regex;
  if (regex === HF_REGEX_QWEN2) return 'qwen2';
  if (regex === HF_REGEX_LLAMA3) return 'llama-bpe';
  const digits = list.find((p) => p.type === 'Digits');
  const byteLevel = list.find((p) => p.type === 'ByteLevel');
  if (!split && byteLevel && byteLevel.use_regex !== false) return digits?.individual_digits ? 'starcoder' : 'gpt-2';
  return undefined;
}

function detectPre(tj: TokenizerJson, meta: Map<string, GgufKV>, post: ProcessorJson[], config: Record<string, unknown> | undefined): { pre: string; source: 'checksum' | 'regex' } {
  const guess = guessPreFromShape(tj);
  if (!guess) throw new TokenizerError('the BPE pre-tokenizer of this tokenizer.json was not recognized (nibble knows the GPT-2, Llama 3, Qwen2 and StarCoder regexes)');
  const trial = new Map(meta);
  trial.set(KEY.pre, str(guess));
  const tok = createTokenizer(trial);
  // tokenizer.encode() adds what the post-processor adds: a leading BOS in the template
  const template = post.find((p) => p.type === 'TemplateProcessing');
  const bosText = template?.single?.[0]?.SpecialToken?.id ?? (config?.add_bos_token === true ? tokenContent(config.bos_token as TokenSpec) : undefined);
  const ids = tok.encode(CHECKSUM_TEXT, { addSpecial: false, parseSpecial: false });
  if (bosText !== undefined) {
    const bos = tok.vocab.tokenToId.get(bosText);
    if (bos !== undefined) ids.unshift(bos);
  }
  const hash = createHash('sha256').update(`[${ids.join(', ')}]`).digest('hex');
  const known = KNOWN_CHECKSUMS[hash];
  return known ? { pre: known, source: 'checksum' } : { pre: guess, source: 'regex' };
}

/**
 * Everything a tokenizer reads from a model file: a GGUF's whole metadata
 * (general.name matters too: llama.cpp gives Phi-3's special tokens rstrip by
 * it), or a converted tokenizer.json.
 */
export function loadTokenizerMetadata(path: string): ReadonlyMap<string, GgufKV> {
  if (path.toLowerCase().endsWith('.json')) return convertHfTokenizer(path).metadata;
  return readGguf(path).metadata;
}

/**
 * The tokenizer metadata of a vocabulary file: a GGUF (its tokenizer.* keys)
 * or a Hugging Face tokenizer.json (converted as llama.cpp converts it).
 * make-model's --vocab uses this.
 */
export function loadVocabMetadata(path: string): Map<string, GgufKV> {
  if (path.toLowerCase().endsWith('.json')) return convertHfTokenizer(path).metadata;
  const file = readGguf(path);
  const meta = new Map<string, GgufKV>();
  for (const [k, v] of file.metadata) if (k.startsWith('tokenizer.')) meta.set(k, v);
  if (!meta.has(KEY.model)) throw new TokenizerError(`${path} has no tokenizer (no ${KEY.model} key)`);
  return meta;
}
