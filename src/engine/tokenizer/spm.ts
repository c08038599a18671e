// SentencePiece-style BPE (llm_tokenizer_spm_session): the text (spaces
// already written as U+2581) starts as one symbol per code point; the
// adjacent pair whose concatenation is the highest-scoring token is merged
// until no pair is a token (ties: leftmost first). A final symbol that is not
// a token (a single code point missing from the vocabulary) becomes its
// UTF-8 bytes as <0xNN> tokens.
import type { Vocab } from './vocab.js';

const utf8 = new TextEncoder();
const WORD_CACHE_LIMIT = 100_000;
/** Longer words are rare and would only bloat the cache. */
const CACHED_WORD_MAX = 256;
const SPACE = 0x2581;
const SPACE_STR = '\u2581';

function isSpace(c: number): boolean {
  return c === 0x20 || c === SPACE;
}

function escape(text: string): string {
  return text.replaceAll(' ', SPACE_STR);
}

export class SpmEncoder {
  /** byte -> id of <0xNN> (or of the one-byte token), or the unknown id. */
  private readonly byteId = new Int32Array(256);
  // Symbols: start (UTF-16 index) and length of each, linked both ways.
  private start = new Int32Array(256);
  private len = new Int32Array(256);
  private next = new Int32Array(256);
  private prev = new Int32Array(256);
  // Queued pairs: left symbol, byte-free size check (UTF-16 length of both), score.
  private qLeft = new Int32Array(256);
  private qSize = new Int32Array(256);
  private qScore = new Float32Array(256);
  /** Heap of queue entry indices. */
  private heap = new Int32Array(256);

  /**
   * True when no token has U+2581 right after another character: then no
   * token can span the start of a word, so each word ("▁" run + the text up to
   * the next one) is tokenized on its own, with the same result as the whole
   * text and with a cache. (True for LLaMA and Phi-3; checked per vocabulary.)
   */
  private readonly wordwise: boolean;
  private readonly cache = new Map<string, number[]>();

  constructor(private readonly vocab: Vocab) {
    this.wordwise = !vocab.tokens.some((t) => /[^\u2581]\u2581/u.test(t));
    for (let b = 0; b < 256; b++) {
      const hex = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      this.byteId[b] = vocab.tokenToId.get(hex) ?? vocab.tokenToId.get(String.fromCharCode(b)) ?? vocab.ids.unk;
    }
  }

  /**
   * Tokens of text, appended to out: spaces are written as U+2581 first (as
   * llama.cpp's llama_escape_whitespace does), with one more in front when
   * prefixSpace is set.
   */
  encode(text: string, prefixSpace: boolean, out: number[]): void {
    if (!this.wordwise) {
      this.encodeRun(escape(prefixSpace ? ' ' + text : text), out);
      return;
    }
    // Words are cut on the raw text: a space and a U+2581 are the same after escaping.
    let from = 0;
    for (let i = 1; i <= text.length; i++) {
      // a word ends where a space follows any other character
      if (i < text.length && !(isSpace(text.charCodeAt(i)) && !isSpace(text.charCodeAt(i - 1)))) continue;
      let word = text.slice(from, i);
      if (from === 0 && prefixSpace) word = ' ' + word;
      from = i;
      let ids = this.cache.get(word);
      if (ids === undefined) {
        ids = [];
        this.encodeRun(escape(word), ids);
        if (word.length <= CACHED_WORD_MAX) {
          if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
          this.cache.set(word, ids);
        }
      }
      for (let k = 0; k < ids.length; k++) out.push(ids[k]);
    }
    if (text.length === 0 && prefixSpace) this.encodeRun(SPACE_STR, out);
  }

  private encodeRun(text: string, out: number[]): void {
    if (text.length === 0) return;
    this.reserveSymbols(text.length);
    const { start, len, next, prev } = this;
    let count = 0;
    for (let i = 0; i < text.length;) {
      const cp = text.codePointAt(i)!;
      const l = cp > 0xffff ? 2 : 1;
      start[count] = i;
      len[count] = l;
      prev[count] = count - 1;
      next[count] = count + 1;
      count++;
      i += l;
    }
    next[count - 1] = -1;

    let entries = 0;
    let heapSize = 0;
    const tryPair = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const size = this.len[left] + this.len[right];
      const id = this.vocab.tokenToId.get(text.substr(this.start[left], size));
      if (id === undefined) return;
      if (entries === this.qLeft.length) this.growQueue();
      this.qLeft[entries] = left;
      this.qSize[entries] = size;
      this.qScore[entries] = this.vocab.scores[id];
      heapSize = this.heapPush(entries++, heapSize);
    };
    for (let i = 1; i < count; i++) tryPair(i - 1, i);

    while (heapSize > 0) {
      const e = this.heap[0];
      heapSize = this.heapPop(heapSize);
      const left = this.qLeft[e];
      const right = next[left];
      // stale: one side has been merged into something else since this pair was queued
      if (len[left] === 0 || right < 0 || len[left] + len[right] !== this.qSize[e]) continue;
      len[left] += len[right];
      len[right] = 0;
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      tryPair(prev[left], left);
      tryPair(left, next[left]);
    }

    for (let i = 0; i >= 0; i = next[i]) {
      const piece = text.substr(start[i], len[i]);
      const id = this.vocab.tokenToId.get(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      const bytes = utf8.encode(piece);
      for (let j = 0; j < bytes.length; j++) out.push(this.byteId[bytes[j]]);
    }
  }

  /** Heap order: higher score first, then the leftmost pair. */
  private before(a: number, b: number): boolean {
    const sa = this.qScore[a];
    const sb = this.qScore[b];
    return sa > sb || (sa === sb && this.qLeft[a] < this.qLeft[b]);
  }

  private heapPush(e: number, heapSize: number): number {
    if (heapSize === this.heap.length) {
      const grown = new Int32Array(heapSize * 2);
      grown.set(this.heap);
      this.heap = grown;
    }
    const heap = this.heap;
    let i = heapSize;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(e, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = e;
    return heapSize + 1;
  }

  private heapPop(heapSize: number): number {
    const heap = this.heap;
    const last = heap[--heapSize];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && this.before(heap[child + 1], heap[child])) child++;
      if (!this.before(heap[child], last)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return heapSize;
  }

  private growQueue(): void {
    const size = this.qLeft.length * 2;
    const grow = <T extends Int32Array | Float32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.qLeft = grow(this.qLeft, (n) => new Int32Array(n));
    this.qSize = grow(this.qSize, (n) => new Int32Array(n));
    this.qScore = grow(this.qScore, (n) => new Float32Array(n));
  }

  private reserveSymbols(n: number): void {
    if (this.start.length >= n) return;
    const size = Math.max(n, this.start.length * 2);
    this.start = new Int32Array(size);
    this.len = new Int32Array(size);
    this.next = new Int32Array(size);
    this.prev = new Int32Array(size);
  }
}
