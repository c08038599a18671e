// Special-token partitioning (llama.cpp's tokenizer_st_partition): before
// any tokenizing, the text is cut at every occurrence of a special token,
// taking the tokens longest first, each one everywhere in what is left.
// User-defined tokens are always cut out; control and unknown tokens only
// when special-token parsing is on. A token marked lstrip/rstrip swallows the
// whitespace beside it.
import { Attr, type Vocab } from './vocab.js';

/** A run of text to tokenize, or a token id taken as is. */
export type Fragment = string | number;

/** C isspace(): space, \t, \n, \v, \f, \r. */
function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

export class SpecialSplitter {
  /** First UTF-16 unit of a special token -> the tokens starting with it. */
  private readonly byFirst = new Map<number, number[]>();
  /** 1 where a UTF-16 unit starts some special token: most text positions are rejected by one array read. */
  private readonly isFirst = new Uint8Array(65536);
  private readonly order = new Map<number, number>();

  constructor(private readonly vocab: Vocab) {
    vocab.specialTokens.forEach((id, i) => {
      this.order.set(id, i);
      const c = vocab.tokens[id].charCodeAt(0);
      this.isFirst[c] = 1;
      const list = this.byFirst.get(c);
      if (list) list.push(id);
      else this.byFirst.set(c, [id]);
    });
  }

  split(text: string, parseSpecial: boolean): Fragment[] {
    if (text.length === 0) return [];
    const present = this.tokensIn(text, parseSpecial);
    let frags: Fragment[] = [text];
    for (const id of present) frags = this.cutAt(frags, id);
    return frags;
  }

  /** The special tokens that occur anywhere in text (overlaps included), in partition order. */
  private tokensIn(text: string, parseSpecial: boolean): number[] {
    const found = new Set<number>();
    const { tokens, attrs } = this.vocab;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.isFirst[c] === 0) continue;
      const list = this.byFirst.get(c);
      if (!list) continue;
      for (const id of list) {
        if (found.has(id)) continue;
        if (!parseSpecial && (attrs[id] & (Attr.CONTROL | Attr.UNKNOWN))) continue;
        if (text.startsWith(tokens[id], i)) found.add(id);
      }
    }
    return [...found].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
  }

  private cutAt(frags: Fragment[], id: number): Fragment[] {
    const tok = this.vocab.tokens[id];
    const attr = this.vocab.attrs[id];
    const out: Fragment[] = [];
    for (const frag of frags) {
      if (typeof frag === 'number') {
        out.push(frag);
        continue;
      }
      let from = 0;
      for (;;) {
        const at = frag.indexOf(tok, from);
        if (at < 0) break;
        let leftEnd = at;
        if (attr & Attr.LSTRIP) while (leftEnd > from && isCSpace(frag.charCodeAt(leftEnd - 1))) leftEnd--;
        if (leftEnd > from) out.push(frag.slice(from, leftEnd));
        out.push(id);
        from = at + tok.length;
        if (attr & Attr.RSTRIP) while (from < frag.length && isCSpace(frag.charCodeAt(from))) from++;
      }
      if (from < frag.length) out.push(from === 0 ? frag : frag.slice(from));
    }
    return out;
  }
}
