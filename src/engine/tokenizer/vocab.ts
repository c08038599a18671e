// A vocabulary as llama.cpp loads it (llama-vocab.cpp, llama_vocab::impl::load):
// token texts, scores and attributes, special ids with their defaults, the
// add_bos/add_eos/space-prefix flags, the end-of-generation set, and the
// special tokens that text is partitioned on before tokenizing.
import { TokenizerError } from './errors.js';
import {
  KEY, metaBool, metaInt32s, metaScores, metaString, metaStrings, metaUint, type TokenizerMetadata,
} from './metadata.js';
import { preTokenizerFor, type PreTokenizer } from './pre-tokenizers.js';

/** llama_token_attr bits. */
export const Attr = {
  UNDEFINED: 0,
  UNKNOWN: 1 << 0,
  UNUSED: 1 << 1,
  NORMAL: 1 << 2,
  CONTROL: 1 << 3,
  USER_DEFINED: 1 << 4,
  BYTE: 1 << 5,
  LSTRIP: 1 << 7,
  RSTRIP: 1 << 8,
} as const;

/** GGUF tokenizer.ggml.token_type values. */
export const TokenType = { UNDEFINED: 0, NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

const TYPE_TO_ATTR: Record<number, number> = {
  [TokenType.UNKNOWN]: Attr.UNKNOWN,
  [TokenType.UNUSED]: Attr.UNUSED,
  [TokenType.NORMAL]: Attr.NORMAL,
  [TokenType.CONTROL]: Attr.CONTROL,
  [TokenType.USER_DEFINED]: Attr.USER_DEFINED,
  [TokenType.BYTE]: Attr.BYTE,
};

export type VocabKind = 'spm' | 'bpe';

/** -1 means "no such token". */
export interface SpecialIds {
  bos: number; eos: number; eot: number; eom: number; unk: number; sep: number; pad: number; mask: number;
  fimPre: number; fimSuf: number; fimMid: number; fimPad: number; fimRep: number; fimSep: number;
}

// Texts llama.cpp recognises when the converter left the id out; each one
// found is forced to a control token. Checked in this order (llama.cpp walks
// a hash map, so which of two candidates wins there is not defined).
const EOT_TEXTS = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>', '<EOT>', '_<EOT>', '<｜end▁of▁sentence｜>'];
const EOM_TEXTS = ['<|eom_id|>'];
const FIM_TEXTS: Record<'fimPre' | 'fimSuf' | 'fimMid' | 'fimPad' | 'fimRep' | 'fimSep', string[]> = {
  fimPre: ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>'],
  fimSuf: ['<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>'],
  fimMid: ['<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>'],
  fimPad: ['<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>'],
  fimRep: ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>'],
  fimSep: ['<|file_sep|>'],
};
/** Texts that end generation wherever they are in the vocabulary. */
const EOG_TEXTS = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<end_of_turn>', '<|endoftext|>', '<|eom_id|>', '<EOT>', '_<EOT>', '<|end_of_text|>'];

export class Vocab {
  readonly kind: VocabKind;
  readonly model: string;
  readonly preName: string | undefined;
  /** The BPE pre-tokenizer; undefined for SPM. */
  readonly pre: PreTokenizer | undefined;
  readonly tokens: readonly string[];
  readonly scores: Float32Array;
  readonly attrs: Uint16Array;
  readonly tokenToId: ReadonlyMap<string, number>;
  readonly merges: readonly string[];
  readonly ids: SpecialIds;
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly addSpacePrefix: boolean;
  readonly cleanSpaces: boolean;
  readonly ignoreMerges: boolean;
  readonly eog: ReadonlySet<number>;
  /** Control, user-defined and unknown tokens, longest text (in UTF-8 bytes) first. */
  readonly specialTokens: readonly number[];
  readonly chatTemplate: string | undefined;

  constructor(meta: TokenizerMetadata) {
    const model = metaString(meta, KEY.model);
    if (model === undefined) throw new TokenizerError(`the model has no tokenizer (metadata "${KEY.model}" is missing)`);
    this.model = model;
    if (model === 'llama') this.kind = 'spm';
    else if (model === 'gpt2') this.kind = 'bpe';
    else throw new TokenizerError(`tokenizer model "${model}" (${KEY.model}) is not supported; nibble reads "llama" (SentencePiece) and "gpt2" (byte-level BPE)`);

    const tokens = metaStrings(meta, KEY.tokens);
    if (!tokens) throw new TokenizerError(`metadata "${KEY.tokens}" is missing`);
    const n = tokens.length;
    const scores = metaScores(meta, KEY.scores);
    if (scores && scores.length < n) throw new TokenizerError(`${KEY.scores} has ${scores.length} entries for ${n} tokens`);
    const types = metaInt32s(meta, KEY.tokenType);
    if (types && types.length < n) throw new TokenizerError(`${KEY.tokenType} has ${types.length} entries for ${n} tokens`);

    const texts = new Array<string>(n);
    const tokenToId = new Map<string, number>();
    this.scores = new Float32Array(n);
    this.attrs = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      // llama.cpp renames empty tokens so they can neither match nor collide.
      const text = tokens[i] === '' ? `[EMPTY_${i}]` : tokens[i];
      const prev = tokenToId.get(text);
      if (prev !== undefined) throw new TokenizerError(`duplicate token in ${KEY.tokens}: ${JSON.stringify(text)} has ids ${prev} and ${i}`);
      tokenToId.set(text, i);
      texts[i] = text;
      if (scores) this.scores[i] = scores[i];
      this.attrs[i] = types ? (TYPE_TO_ATTR[types[i]] ?? Attr.UNDEFINED) : Attr.NORMAL;
    }
    this.tokens = texts;
    this.tokenToId = tokenToId;

    const preName = metaString(meta, KEY.pre);
    this.preName = preName;
    let addBos: boolean;
    let addEos = false;
    let addSpacePrefix: boolean;
    let cleanSpaces: boolean;
    const ids: SpecialIds = {
      bos: 1, eos: 2, eot: -1, eom: -1, unk: 0, sep: -1, pad: -1, mask: -1,
      fimPre: -1, fimSuf: -1, fimMid: -1, fimPad: -1, fimRep: -1, fimSep: -1,
    };
    if (this.kind === 'bpe') {
      const merges = metaStrings(meta, KEY.merges);
      if (!merges) throw new TokenizerError(`metadata "${KEY.merges}" is missing (a gpt2 tokenizer needs its merges)`);
      this.merges = merges;
      this.pre = preTokenizerFor(preName);
      ids.bos = 11; ids.eos = 11; ids.unk = -1;
      addBos = this.pre.addBosDefault;
      addSpacePrefix = false;
      cleanSpaces = this.pre.cleanSpaces;
      this.ignoreMerges = this.pre.ignoreMerges;
      // chatglm-bpe has no BOS at all
      if (this.pre.family === 'chatglm4') ids.bos = -1;
    } else {
      this.merges = [];
      this.pre = undefined;
      addBos = true;
      addSpacePrefix = true;
      cleanSpaces = false;
      this.ignoreMerges = false;
    }
    addSpacePrefix = metaBool(meta, KEY.addSpacePrefix) ?? addSpacePrefix;

    const keyed: Array<[keyof SpecialIds, string]> = [
      ['bos', KEY.bos], ['eos', KEY.eos], ['eot', KEY.eot], ['eom', KEY.eom], ['unk', KEY.unk], ['sep', KEY.sep],
      ['pad', KEY.pad], ['mask', KEY.mask],
      ['fimPre', 'tokenizer.ggml.fim_pre_token_id'], ['fimSuf', 'tokenizer.ggml.fim_suf_token_id'],
      ['fimMid', 'tokenizer.ggml.fim_mid_token_id'], ['fimPad', 'tokenizer.ggml.fim_pad_token_id'],
      ['fimRep', 'tokenizer.ggml.fim_rep_token_id'], ['fimSep', 'tokenizer.ggml.fim_sep_token_id'],
      ['fimPre', 'tokenizer.ggml.prefix_token_id'], ['fimSuf', 'tokenizer.ggml.suffix_token_id'],
      ['fimMid', 'tokenizer.ggml.middle_token_id'],
    ];
    for (const [name, key] of keyed) {
      if (ids[name] >= n) ids[name] = -1; // a default outside this vocabulary
      const v = metaUint(meta, key);
      if (v !== undefined && v < n) ids[name] = v; // llama.cpp ignores an out-of-range id, keeping the default
    }
    addBos = metaBool(meta, KEY.addBos) ?? addBos;
    addEos = metaBool(meta, KEY.addEos) ?? addEos;
    if (addBos && ids.bos < 0) throw new TokenizerError(`${KEY.addBos} is true, but ${KEY.bos} is not set`);
    if (addEos && ids.eos < 0) throw new TokenizerError(`${KEY.addEos} is true, but ${KEY.eos} is not set`);
    this.addBos = addBos;
    this.addEos = addEos;
    this.addSpacePrefix = addSpacePrefix;
    this.cleanSpaces = cleanSpaces;
    this.ids = ids;

    this.detectByText();
    this.eog = this.buildEog();
    this.specialTokens = this.buildSpecialCache();
    this.applyModelQuirks(metaString(meta, KEY.name) ?? '');
    this.chatTemplate = metaString(meta, KEY.chatTemplate);
  }

  get size(): number {
    return this.tokens.length;
  }

  isControl(id: number): boolean {
    return (this.attrs[id] & Attr.CONTROL) !== 0;
  }

  isEog(id: number): boolean {
    return this.eog.has(id);
  }

  private forceControl(id: number): void {
    this.attrs[id] |= Attr.CONTROL;
  }

  private findFirst(texts: readonly string[]): number {
    for (const t of texts) {
      const id = this.tokenToId.get(t);
      if (id !== undefined) return id;
    }
    return -1;
  }

  /** EOT, EOM and FIM ids by their usual texts, when the metadata did not give them. */
  private detectByText(): void {
    const ids = this.ids;
    const fill = (name: keyof SpecialIds, texts: readonly string[]) => {
      if (ids[name] !== -1) return;
      const id = this.findFirst(texts);
      if (id >= 0) {
        ids[name] = id;
        this.forceControl(id);
      }
    };
    fill('eot', EOT_TEXTS);
    fill('eom', EOM_TEXTS);
    for (const [name, texts] of Object.entries(FIM_TEXTS)) fill(name as keyof SpecialIds, texts);
    // control tokens named "unused..." are unused
    for (let i = 0; i < this.tokens.length; i++) {
      if ((this.attrs[i] & Attr.CONTROL) && this.tokens[i].includes('unused')) this.attrs[i] |= Attr.UNUSED;
    }
  }

  private buildEog(): Set<number> {
    const ids = this.ids;
    const eog = new Set<number>();
    for (const id of [ids.fimPad, ids.fimRep, ids.fimSep]) if (id >= 0) eog.add(id);
    for (const t of EOG_TEXTS) {
      const id = this.tokenToId.get(t);
      if (id !== undefined) {
        eog.add(id);
        this.forceControl(id);
      }
    }
    for (const id of [ids.eos, ids.eot, ids.eom]) if (id >= 0) eog.add(id);
    // gpt-oss style vocabularies: with <|return|> and <|call|>, <|end|> only ends a message
    const end = this.tokenToId.get('<|end|>');
    if (end !== undefined && this.tokenToId.has('<|return|>') && this.tokenToId.has('<|call|>')) {
      eog.delete(end);
      this.attrs[end] = Attr.USER_DEFINED;
    }
    return eog;
  }

  private buildSpecialCache(): number[] {
    const utf8 = new TextEncoder();
    const list: Array<[number, number]> = [];
    for (let i = 0; i < this.tokens.length; i++) {
      if (this.attrs[i] & (Attr.CONTROL | Attr.USER_DEFINED | Attr.UNKNOWN)) list.push([i, utf8.encode(this.tokens[i]).length]);
    }
    list.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    return list.map(([id]) => id);
  }

  /** Per-model token attributes llama.cpp sets by name (Phi-3 strips whitespace after its special tokens). */
  private applyModelQuirks(name: string): void {
    const lower = name.toLowerCase();
    if (lower.includes('phi-3') || lower.includes('phi3')) {
      for (const id of this.specialTokens) this.attrs[id] |= Attr.RSTRIP;
      const set = (text: string, on: boolean) => {
        const id = this.tokenToId.get(text);
        if (id !== undefined) this.attrs[id] = on ? this.attrs[id] | Attr.RSTRIP : this.attrs[id] & ~Attr.RSTRIP;
      };
      set('</s>', true);
      for (const t of ['<unk>', '<s>', '<|endoftext|>']) set(t, false);
    }
  }
}
