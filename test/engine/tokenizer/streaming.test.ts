// Streaming detokenization: text comes out as soon as it is final, never half
// a character, never losing a byte, and adds up to what decode() gives.
import t from 'tap';
import { referencePath } from '../../helpers/reference.js';
import { ggufTokenizer, npmTokenizer, vocabGguf } from '../../helpers/tokenizer-fixtures.js';
import { StreamingDetokenizer } from '../../../src/engine/tokenizer/streaming.js';
import type { Tokenizer } from '../../../src/engine/tokenizer/tokenizer.js';
import { Attr } from '../../../src/engine/tokenizer/vocab.js';

const spm = ggufTokenizer(vocabGguf('llama-spm'));
const gpt2 = ggufTokenizer(referencePath('models', 'tiny-llama-bpe.Q4_0.gguf'));
const qwen = npmTokenizer('qwen3');

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
function isCompleteUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
const splitSeen = new Set<string>();
const splitCases: string[] = [];

function wellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** Streams ids; checks every chunk and that what has come out is always a prefix of the final text. */
function stream(t: Tap.Test, tok: Tokenizer, ids: number[], label: string): { chunks: string[]; text: string } {
  const final = tok.decode(ids);
  const st = new StreamingDetokenizer(tok);
  const chunks: string[] = [];
  let sofar = '';
  for (const id of ids) {
    const c = st.push(id);
    chunks.push(c);
    sofar += c;
    if (!final.startsWith(sofar)) t.fail(`${label}: streamed text ${JSON.stringify(sofar)} is not a prefix of ${JSON.stringify(final)}`);
  }
  chunks.push(st.flush());
  const text = chunks.join('');
  t.equal(text, final, `${label}: the stream adds up to decode()`);
  t.ok(chunks.every(wellFormed), `${label}: no chunk holds half a surrogate pair`);
  return { chunks, text };
}

const texts: Array<[string, string]> = [
  ['Chinese', '我想在apple工作，今天天气很好。谢谢！'],
  ['Japanese', '日本語のテキストです。カタカナとひらがな、漢字。'],
  ['emoji with modifiers', '👍🏽 👩‍👩‍👧 🇯🇵 🏳️‍🌈 🧑🏿‍💻'],
  ['llama emoji (byte fallback in llama-spm)', '🦙 llama 🦙🦙'],
];

for (const [name, tok] of [['llama-spm', spm], ['gpt-2', gpt2], ['qwen2', qwen]] as const) {
  t.test(`${name}: multi-byte text split across tokens`, async (t) => {
    for (const [what, text] of texts) {
      const ids = tok.encode(text, { addSpecial: false });
      const { chunks, text: out } = stream(t, tok, ids, `${name} ${what}`);
      t.equal(out, text, `${name} ${what}: round trip`);
      t.notOk(chunks.some((c) => c.includes('\ufffd')), `${name} ${what}: no replacement character for valid text`);
      // where a character spans tokens, the token holding its first part emits nothing yet
      const split = ids.some((id) => !isCompleteUtf8(tok.pieceBytes(id)));
      if (split) t.ok(chunks.slice(0, -1).some((c) => c === ''), `${name} ${what}: a token ending inside a character emits nothing`);
      splitSeen.add(`${name} ${what}`);
      if (split) splitCases.push(`${name} ${what}`);
    }
  });
}

t.test('each script and the emoji were split inside a character by some vocabulary', async (t) => {
  t.equal(splitSeen.size, 12);
  for (const [what] of texts) t.ok(splitCases.some((c) => c.endsWith(what)), `${what} split somewhere (${splitCases.filter((c) => c.endsWith(what)).join(', ')})`);
});

t.test('byte-fallback tokens: a 4-byte character comes out once, when its last byte arrives', async (t) => {
  const ids = spm.encode('🦙', { addSpecial: false });
  // "▁" then four <0xNN> byte tokens
  t.same(ids.map((id) => spm.vocab.tokens[id]), ['▁', '<0xF0>', '<0x9F>', '<0xA6>', '<0x99>']);
  t.ok(ids.slice(1).every((id) => spm.vocab.attrs[id] & Attr.BYTE));
  const st = new StreamingDetokenizer(spm);
  t.same(ids.map((id) => st.push(id)), ['', '', '', '', '🦙'], 'the prefix space is dropped, the bytes wait for each other');
  t.equal(st.flush(), '');
});

t.test('bytes that cannot form a character are not dropped: they come out as U+FFFD', async (t) => {
  const byte = (b: number) => spm.vocab.tokenToId.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`)!;
  const hello = spm.vocab.tokenToId.get('▁Hello')!;
  const st = new StreamingDetokenizer(spm);
  // a lead byte of a 3-byte character, then an ordinary token: the lone byte becomes U+FFFD
  const out = [hello, byte(0xe4), hello].map((id) => st.push(id)).join('') + st.flush();
  t.equal(out, 'Hello\ufffd Hello');
  t.equal(out, spm.decode([hello, byte(0xe4), hello]), 'same as decode()');
  // a stray continuation byte, and a character cut off at the end of the stream
  const st2 = new StreamingDetokenizer(spm);
  const out2 = [hello, byte(0x80), byte(0xe6), byte(0x97)].map((id) => st2.push(id)).join('');
  t.equal(out2, 'Hello\ufffd', 'the incomplete character is still held');
  t.equal(st2.flush(), '\ufffd', 'the cut-off character comes out at the end');
});

t.test('BPE space clean-up streams the same text as decode()', async (t) => {
  const text = "Hello , world ! I 'm here . He ' s done , isn't he ? We 've won 're 'll";
  const ids = gpt2.encode(text, { addSpecial: false });
  const { text: out } = stream(t, gpt2, ids, 'gpt-2 clean-up');
  t.equal(out, "Hello, world! I'm here. He's done, isn't he? We've won're 'll");
});

t.test('special tokens: rendered only when asked, and a leading BOS keeps the space', async (t) => {
  const ids = spm.encode('Hi there', { addSpecial: true });
  t.equal(ids[0], spm.bos);
  const plain = new StreamingDetokenizer(spm);
  t.equal(ids.map((id) => plain.push(id)).join('') + plain.flush(), ' Hi there', 'llama.cpp keeps the space after a BOS');
  const shown = new StreamingDetokenizer(spm, { unparseSpecial: true });
  t.equal(ids.map((id) => shown.push(id)).join('') + shown.flush(), '<s> Hi there');
  t.equal(spm.decode(ids, { unparseSpecial: true }), '<s> Hi there');
});
