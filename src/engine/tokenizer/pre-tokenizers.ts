// The BPE pre-tokenizers: tokenizer.ggml.pre -> the regexes that cut text into
// words before merges run, with the per-family flags llama.cpp attaches
// (llama-vocab.cpp, "determine vocab type" and llm_tokenizer_bpe).
//
// llama.cpp applies the regexes one after another: each one cuts every piece
// left by the previous one into matches and the text between them, and both
// stay pieces (nothing is dropped). Each regex sees one piece at a time, so
// `$` and `(?!\S)` stop at the piece's end. splitWords does the same.
//
// \s is spelled out as the Unicode White_Space set that llama.cpp's
// unicode tables use (JS \s would add U+FEFF and drop U+0085).
import { TokenizerError } from './errors.js';

const WS = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const S = `[${WS}]`;
const NOT_S = `[^${WS}]`;

/** Contractions, case-insensitive as in the (?i:...) group of the HF regexes. */
const CONTRACTIONS_CI = "'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]";

// The GPT-2 regex. Wherever it appears in llama.cpp's table (gpt-2, falcon,
// starcoder, default, ...) llama.cpp runs a hand-written matcher for it that
// also takes a lone whitespace run (a trailing \s+), hence the last alternative.
const GPT2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|${S}+(?!${NOT_S})|${S}+`;

const LLAMA3 = `${CONTRACTIONS_CI}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*|${S}*[\\r\\n]+|${S}+(?!${NOT_S})|${S}+`;

const QWEN2 = `${CONTRACTIONS_CI}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*|${S}*[\\r\\n]+|${S}+(?!${NOT_S})|${S}+`;

// The cased-letter ranges of DeepSeek's tokenizer.json, as code points (some of
// them have canonical equivalents that an editor could silently normalize).
const DEEPSEEK_LLM_LETTERS =
  'A-Za-z\\u{b5}\\u{c0}-\\u{d6}\\u{d8}-\\u{f6}\\u{f8}-\\u{1ba}\\u{1bc}-\\u{1bf}\\u{1c4}-\\u{293}\\u{295}-\\u{2af}\\u{370}-\\u{373}\\u{376}\\u{377}\\u{37b}-\\u{37d}\\u{37f}\\u{386}\\u{388}-\\u{38a}\\u{38c}\\u{38e}-\\u{3a1}\\u{3a3}-\\u{3f5}\\u{3f7}-\\u{481}\\u{48a}-\\u{52f}\\u{531}-\\u{556}\\u{10a0}-\\u{10c5}\\u{13a0}-\\u{13f5}\\u{13f8}-\\u{13fd}\\u{1c90}-\\u{1cba}\\u{1cbd}-\\u{1cbf}\\u{1d00}-\\u{1d2b}\\u{1d6b}-\\u{1d77}\\u{1d79}-\\u{1d9a}\\u{1e00}-\\u{1f15}\\u{1f18}-\\u{1f1d}\\u{1f20}-\\u{1f45}\\u{1f48}-\\u{1f4d}\\u{1f50}-\\u{1f57}\\u{1f59}\\u{1f5b}\\u{1f5d}\\u{1f5f}-\\u{1f7d}\\u{1f80}-\\u{1fb4}\\u{1fb6}-\\u{1fbc}\\u{1fbe}\\u{1fc2}-\\u{1fc4}\\u{1fc6}-\\u{1fcc}\\u{1fd0}-\\u{1fd3}\\u{1fd6}-\\u{1fdb}\\u{1fe0}-\\u{1fec}\\u{1ff2}-\\u{1ff4}\\u{1ff6}-\\u{1ffc}\\u{2102}\\u{2107}\\u{210a}-\\u{2113}\\u{2115}\\u{2119}-\\u{211d}\\u{2124}\\u{2126}\\u{2128}\\u{212a}-\\u{212d}\\u{212f}-\\u{2134}\\u{2139}\\u{213c}-\\u{213f}\\u{2145}-\\u{2149}\\u{214e}\\u{2183}\\u{2184}\\u{2c00}-\\u{2c7b}\\u{2c7e}-\\u{2ce4}\\u{2ceb}-\\u{2cee}\\u{2cf2}\\u{2cf3}\\u{a640}-\\u{a66d}\\u{a680}-\\u{a69b}\\u{a722}-\\u{a76f}\\u{a771}-\\u{a787}\\u{a78b}-\\u{a78e}\\u{ab70}-\\u{abbf}\\u{fb00}-\\u{fb06}\\u{fb13}-\\u{fb17}\\u{ff21}-\\u{ff3a}\\u{ff41}-\\u{ff5a}\\u{10400}-\\u{1044f}\\u{104b0}-\\u{104d3}\\u{104d8}-\\u{104fb}\\u{10c80}-\\u{10cb2}\\u{10cc0}-\\u{10cf2}\\u{118a0}-\\u{118df}\\u{1e900}-\\u{1e943}';

export interface PreTokenizer {
  /** The family name llama.cpp gives it (several tokenizer.ggml.pre values share one). */
  readonly family: string;
  readonly regexes: readonly RegExp[];
  /** llama.cpp's clean_up_tokenization_spaces for this family (BPE default: true). */
  readonly cleanSpaces: boolean;
  /** A word that is already a token is emitted whole, before any merge (Llama 3). */
  readonly ignoreMerges: boolean;
  /** add_bos when tokenizer.ggml.add_bos_token is absent (BPE default: false). */
  readonly addBosDefault: boolean;
}

interface Family {
  regexes: string[];
  cleanSpaces?: boolean;
  ignoreMerges?: boolean;
  addBos?: boolean;
}

const FAMILIES: Record<string, Family> = {
  default: { regexes: ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2, '\\p{N}+', '[0-9][0-9][0-9]'] },
  llama3: { regexes: [LLAMA3], ignoreMerges: true, addBos: true },
  dbrx: { regexes: [LLAMA3] },
  'deepseek-llm': {
    regexes: ['[\\r\\n]', `${S}?[${DEEPSEEK_LLM_LETTERS}]+`, `${S}?[!-/:-~！-／：-～‘-‟　-。]+`, `${S}+$`, '[一-龥ࠀ-一가-퟿]+', '\\p{N}+'],
    cleanSpaces: false,
  },
  'deepseek-coder': {
    regexes: ['[\\r\\n]', `${S}?\\p{L}+`, `${S}?\\p{P}+`, '[一-龥ࠀ-一가-퟿]+', '\\p{N}'],
    cleanSpaces: false,
  },
  'deepseek-v3': {
    regexes: [
      '\\p{N}{1,3}',
      '[一-龥぀-ゟ゠-ヿ]+',
      `[!"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_\`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|${S}*[\\r\\n]+|${S}+(?!${NOT_S})|${S}+`,
    ],
    cleanSpaces: false,
  },
  falcon: { regexes: ['[\\p{P}\\$\\+<=>\\^~\\|`]+', GPT2, '[0-9][0-9][0-9]'] },
  starcoder: { regexes: ['\\p{N}', GPT2] },
  smollm: { regexes: ['\\p{N}', GPT2], cleanSpaces: false },
  'command-r': { regexes: ['\\p{N}', GPT2], cleanSpaces: false },
  gpt2: { regexes: [GPT2] },
  qwen2: { regexes: [QWEN2], cleanSpaces: false },
  stablelm2: { regexes: [QWEN2] },
  poro: { regexes: [` ?[^(${WS}|.,!?…。，、।۔،)]+`], cleanSpaces: false },
  bloom: { regexes: [` ?[^(${WS}|.,!?…。，、।۔،)]+`] },
  chatglm4: { regexes: [LLAMA3] },
  viking: { regexes: [` ?[^(${WS}|.,!?…。，、।۔،)]+`, '\\p{N}'], cleanSpaces: false },
  tekken: {
    regexes: [
      `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n/]*|${S}*[\\r\\n]+|${S}+(?!${NOT_S})|${S}+`,
    ],
    cleanSpaces: false, ignoreMerges: true, addBos: true,
  },
  chameleon: {
    regexes: ['<sentinel:[0-9]+>', '(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z', '([\\t\\n]|    |  )', '\\p{N}', '[\\p{P}!-/:-@\\[-`{-~]', GPT2],
    cleanSpaces: false, addBos: true,
  },
  'gpt-4o': {
    regexes: [
      `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?:${CONTRACTIONS_CI})?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?:${CONTRACTIONS_CI})?|\\p{N}{1,3}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n/]*|${S}*[\\r\\n]+|${S}+(?!${NOT_S})|${S}+`,
    ],
    cleanSpaces: false,
  },
};

/** tokenizer.ggml.pre value -> family (llama.cpp's list of accepted names). */
const PRE_NAMES: Record<string, string> = {
  default: 'default',
  llama3: 'llama3', 'llama-v3': 'llama3', 'llama-bpe': 'llama3', 'falcon3': 'llama3', pixtral: 'llama3',
  dbrx: 'dbrx', 'smaug-bpe': 'dbrx',
  'deepseek-llm': 'deepseek-llm',
  'deepseek-coder': 'deepseek-coder',
  'deepseek-v3': 'deepseek-v3',
  falcon: 'falcon',
  mpt: 'gpt2', 'gpt-2': 'gpt2', 'phi-2': 'gpt2', 'jina-es': 'gpt2', 'jina-de': 'gpt2', 'jina-v1-en': 'gpt2',
  'jina-v2-es': 'gpt2', 'jina-v2-de': 'gpt2', 'jina-v2-code': 'gpt2', 'roberta-bpe': 'gpt2', olmo: 'gpt2',
  jais: 'gpt2', gigachat: 'gpt2', exaone4: 'gpt2',
  starcoder: 'starcoder', refact: 'starcoder', codeshell: 'starcoder', exaone: 'starcoder', 'minerva-7b': 'starcoder',
  smollm: 'smollm',
  'command-r': 'command-r',
  qwen2: 'qwen2', 'deepseek-r1-qwen': 'qwen2', megrez: 'qwen2',
  stablelm2: 'stablelm2',
  'poro-chat': 'poro',
  bloom: 'bloom', 'gpt3-finnish': 'bloom',
  'chatglm-bpe': 'chatglm4', glm4: 'chatglm4',
  viking: 'viking',
  tekken: 'tekken',
  chameleon: 'chameleon',
  'gpt-4o': 'gpt-4o', llama4: 'gpt-4o',
};

const cache = new Map<string, PreTokenizer>();

/** The pre-tokenizer for a tokenizer.ggml.pre value; absent means llama.cpp's 'default'. */
export function preTokenizerFor(pre: string | undefined): PreTokenizer {
  const name = pre === undefined || pre === '' ? 'default' : pre;
  const familyName = PRE_NAMES[name];
  if (!familyName) {
    throw new TokenizerError(`unknown pre-tokenizer "${name}" (tokenizer.ggml.pre); nibble knows: ${Object.keys(PRE_NAMES).sort().join(', ')}`);
  }
  let p = cache.get(familyName);
  if (!p) {
    const f = FAMILIES[familyName];
    p = {
      family: familyName,
      regexes: f.regexes.map((r) => new RegExp(r, 'gu')),
      cleanSpaces: f.cleanSpaces ?? true,
      ignoreMerges: f.ignoreMerges ?? false,
      addBosDefault: f.addBos ?? false,
    };
    cache.set(familyName, p);
  }
  return p;
}

export function knownPreTokenizers(): string[] {
  return Object.keys(PRE_NAMES);
}

/** Cuts text into words with the regexes in turn, keeping unmatched text as words. */
export function splitWords(text: string, regexes: readonly RegExp[]): string[] {
  const words: string[] = [];
  forEachWord(text, regexes, (w) => { words.push(w); });
  return words;
}

/** White_Space code points outside ASCII; all are single UTF-16 units. */
const NON_ASCII_WS = /[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/gu;

/**
 * llama.cpp matches the regexes against a copy of the text in which every
 * non-ASCII whitespace character is replaced by \v (U+000B): such a
 * character then matches \s but never an explicit range that contains it
 * (U+3000 sits inside DeepSeek's "　-。" and "ࠀ-一" ranges). Words are still
 * cut from the original text, at the same offsets.
 */
function maskWhitespace(text: string): string {
  NON_ASCII_WS.lastIndex = 0;
  return NON_ASCII_WS.test(text) ? text.replace(NON_ASCII_WS, '\v') : text;
}

/** splitWords without the arrays: each word goes to visit, in order. */
export function forEachWord(text: string, regexes: readonly RegExp[], visit: (word: string) => void): void {
  const masked = maskWhitespace(text);
  if (masked === text) splitLevel(text, text, regexes, visit, 0);
  else splitLevel(text, masked, regexes, visit, 0);
}

function splitLevel(text: string, masked: string, regexes: readonly RegExp[], visit: (word: string) => void, level: number): void {
  if (level === regexes.length) {
    visit(text);
    return;
  }
  const same = text === masked;
  const last = level + 1 === regexes.length;
  // each level keeps its own regex; lastIndex is saved around the recursion
  const re = regexes[level];
  re.lastIndex = 0;
  let prev = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(masked)) !== null) {
    const at = m.index;
    const len = m[0].length;
    if (len === 0) {
      // An empty match cuts nothing; step over one code point.
      re.lastIndex = at + ((masked.codePointAt(at) ?? 0) > 0xffff ? 2 : 1);
      continue;
    }
    const resume = re.lastIndex;
    if (at > prev) {
      const gap = text.slice(prev, at);
      if (last) visit(gap);
      else splitLevel(gap, same ? gap : masked.slice(prev, at), regexes, visit, level + 1);
    }
    const word = same ? m[0] : text.slice(at, at + len);
    if (last) visit(word);
    else splitLevel(word, same ? word : m[0], regexes, visit, level + 1);
    re.lastIndex = resume;
    prev = at + len;
  }
  if (prev < text.length) {
    const rest = prev === 0 ? text : text.slice(prev);
    if (last) visit(rest);
    else splitLevel(rest, same ? rest : masked.slice(prev), regexes, visit, level + 1);
  }
}
