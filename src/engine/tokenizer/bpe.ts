// Byte-level BPE (llm_tokenizer_bpe_session): each pre-tokenized word is
// written in the byte-level alphabet, starts as one symbol per byte, and the
// adjacent pair with the lowest merge rank is merged until none is left
// (ties: leftmost first). Pairs and results are token ids, and merges live
// in an open-addressing hash table of typed arrays: loading 280k merges and
// looking pairs up allocate nothing per merge.
import { BYTE_TO_CHAR } from './byte-level.js';
import { forEachWord } from './pre-tokenizers.js';
import type { Vocab } from './vocab.js';

const utf8 = new TextEncoder();
/** A heap key holds rank * 2^32 + left symbol index; both stay exact in a double. */
const LEFT_SPAN = 2 ** 32;
const WORD_CACHE_LIMIT = 100_000;
/** Longer words are rare and would only bloat the cache. */
const CACHED_WORD_MAX = 256;

/** (left id, right id) -> merge rank, linear probing; -1 marks an empty slot. */
class PairTable {
  private readonly mask: number;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly value: Int32Array;

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.left = new Int32Array(size).fill(-1);
    this.right = new Int32Array(size);
    this.value = new Int32Array(size);
  }

  private slot(l: number, r: number): number {
    return (Math.imul(l, 0x9e3779b1) ^ Math.imul(r + 0x7f4a7c15, 0x85ebca77)) >>> 0 & this.mask;
  }

  /** Keeps the first value set for a pair, as llama.cpp's map emplace does. */
  setIfAbsent(l: number, r: number, v: number): void {
    for (let i = this.slot(l, r); ; i = (i + 1) & this.mask) {
      if (this.left[i] === -1) {
        this.left[i] = l;
        this.right[i] = r;
        this.value[i] = v;
        return;
      }
      if (this.left[i] === l && this.right[i] === r) return;
    }
  }

  get(l: number, r: number): number {
    for (let i = this.slot(l, r); ; i = (i + 1) & this.mask) {
      const k = this.left[i];
      if (k === -1) return -1;
      if (k === l && this.right[i] === r) return this.value[i];
    }
  }
}

export class BpeEncoder {
  private readonly rankOf: PairTable;
  /** rank -> id of the merged token. */
  private readonly mergedId: Int32Array;
  /** byte -> id of its one-byte token, or -1. */
  private readonly byteId = new Int32Array(256).fill(-1);
  private readonly cache = new Map<string, number[]>();
  // scratch, grown as needed
  private ids = new Int32Array(64);
  private next = new Int32Array(64);
  private prev = new Int32Array(64);
  private heap = new Float64Array(64);

  constructor(private readonly vocab: Vocab) {
    const tokenToId = vocab.tokenToId;
    this.rankOf = new PairTable(vocab.merges.length);
    this.mergedId = new Int32Array(vocab.merges.length).fill(-1);
    const merges = vocab.merges;
    const tokens = vocab.tokens;
    // Vocabularies usually list merged tokens in merge order after the 256
    // byte tokens (GPT-2, Llama 3, Qwen): try that id first, since comparing
    // strings is cheaper than hashing the concatenation.
    const orderBase = 256;
    for (let rank = 0; rank < merges.length; rank++) {
      const merge = merges[rank];
      // llama.cpp splits at the first space after the first character
      const at = merge.indexOf(' ', 1);
      if (at < 0) continue;
      const leftText = merge.slice(0, at);
      const rightText = merge.slice(at + 1);
      const left = tokenToId.get(leftText);
      const right = tokenToId.get(rightText);
      // A merge whose parts or result are not tokens can never fire from byte symbols.
      if (left === undefined || right === undefined) continue;
      const guess = orderBase + rank;
      const mergedText = leftText + rightText;
      const merged = guess < tokens.length && tokens[guess] === mergedText ? guess : tokenToId.get(mergedText);
      if (merged === undefined) continue;
      this.rankOf.setIfAbsent(left, right, rank);
      this.mergedId[rank] = merged;
    }
    for (let b = 0; b < 256; b++) this.byteId[b] = tokenToId.get(BYTE_TO_CHAR[b]) ?? -1;
  }

  /** Tokens of a run of ordinary text (no special tokens in it), appended to out. */
  encode(text: string, out: number[]): void {
    forEachWord(text, this.vocab.pre!.regexes, (word) => {
      let ids = this.cache.get(word);
      if (ids === undefined) {
        ids = this.encodeWord(word);
        if (word.length <= CACHED_WORD_MAX) {
          if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
          this.cache.set(word, ids);
        }
      }
      for (let i = 0; i < ids.length; i++) out.push(ids[i]);
    });
  }

  private encodeWord(word: string): number[] {
    const bytes = utf8.encode(word);
    if (this.vocab.ignoreMerges) {
      let encoded = '';
      for (let i = 0; i < bytes.length; i++) encoded += BYTE_TO_CHAR[bytes[i]];
      const whole = this.vocab.tokenToId.get(encoded);
      if (whole !== undefined) return [whole];
    }
    const len = bytes.length;
    this.reserve(len);
    const { ids, next, prev } = this;
    for (let i = 0; i < len; i++) {
      ids[i] = this.byteId[bytes[i]];
      prev[i] = i - 1;
      next[i] = i + 1 < len ? i + 1 : -1;
    }
    let heapSize = 0;
    for (let i = 0; i + 1 < len; i++) heapSize = this.pushPair(i, heapSize);
    while (heapSize > 0) {
      const key = this.heap[0];
      heapSize = this.popTop(heapSize);
      const left = key % LEFT_SPAN;
      const rank = (key - left) / LEFT_SPAN;
      const right = next[left];
      // A stale entry: the left symbol is gone or its pair has changed since it was queued.
      if (ids[left] < 0 || right < 0 || this.rank(ids[left], ids[right]) !== rank) continue;
      ids[left] = this.mergedId[rank];
      ids[right] = -2; // merged away
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      if (prev[left] >= 0) heapSize = this.pushPair(prev[left], heapSize);
      if (next[left] >= 0) heapSize = this.pushPair(left, heapSize);
    }
    const result: number[] = [];
    for (let i = 0; i >= 0 && i < len; i = next[i]) {
      // a byte with no token of its own is dropped, as llama.cpp drops it
      if (ids[i] >= 0) result.push(ids[i]);
    }
    return result;
  }

  private rank(left: number, right: number): number {
    if (left < 0 || right < 0) return -1;
    return this.rankOf.get(left, right);
  }

  private pushPair(left: number, heapSize: number): number {
    const r = this.rank(this.ids[left], this.ids[this.next[left]]);
    if (r < 0) return heapSize;
    if (heapSize === this.heap.length) {
      const grown = new Float64Array(heapSize * 2);
      grown.set(this.heap);
      this.heap = grown;
    }
    const heap = this.heap;
    const key = r * LEFT_SPAN + left;
    let i = heapSize;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= key) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = key;
    return heapSize + 1;
  }

  private popTop(heapSize: number): number {
    const heap = this.heap;
    const last = heap[--heapSize];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return heapSize;
  }

  private reserve(len: number): void {
    if (this.ids.length >= len) return;
    const size = Math.max(len, this.ids.length * 2);
    this.ids = new Int32Array(size);
    this.next = new Int32Array(size);
    this.prev = new Int32Array(size);
  }
}
