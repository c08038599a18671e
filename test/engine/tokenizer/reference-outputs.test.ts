// llama.cpp's reference runs: the prompt of every case, tokenized with
// add_special and parse_special on, must be exactly the prompt_tokens
// llama.cpp fed the model (BOS exactly when it added one); the generated
// tokens must detokenize to llama.cpp's generated_text, and every token to
// llama.cpp's piece.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { referencePath } from '../../helpers/reference.js';
import { ggufTokenizer } from '../../helpers/tokenizer-fixtures.js';
import type { Tokenizer } from '../../../src/engine/tokenizer/tokenizer.js';
import { StreamingDetokenizer } from '../../../src/engine/tokenizer/streaming.js';

interface ReferenceCase {
  id: string; prompt: string; prompt_tokens: number[]; bos_added: boolean; prompt_token_pieces: string[];
  generated_tokens: number[]; generated_text: string; steps: Array<{ token: number; piece: string }>;
}
interface Reference { model_file: string; add_bos: boolean; bos_id: number; eos_id: number; cases: ReferenceCase[] }

const files = readdirSync(referencePath('outputs')).filter((f) => f.endsWith('.json')).sort();
const tokenizers = new Map<string, Tokenizer>();

t.equal(files.length, 12, 'twelve reference files');

for (const file of files) {
  t.test(file, async (t) => {
    const ref = JSON.parse(readFileSync(referencePath('outputs', file), 'utf8')) as Reference;
    let tok = tokenizers.get(ref.model_file);
    if (!tok) {
      tok = ggufTokenizer(referencePath(ref.model_file));
      tokenizers.set(ref.model_file, tok);
    }
    t.equal(tok.addBos, ref.add_bos, 'add_bos as llama.cpp read it');
    t.equal(tok.bos, ref.bos_id, 'BOS id');
    t.equal(tok.eos, ref.eos_id, 'EOS id');
    for (const c of ref.cases) {
      const ids = tok.encode(c.prompt, { addSpecial: true, parseSpecial: true });
      t.same(ids, c.prompt_tokens, `${c.id}: prompt tokens`);
      t.equal(ids[0] === tok.bos, c.bos_added, `${c.id}: BOS added exactly when llama.cpp added it`);
      t.same(c.prompt_tokens.map((id) => tok.piece(id, true)), c.prompt_token_pieces, `${c.id}: prompt pieces`);
      t.same(c.steps.map((s) => tok.piece(s.token, true)), c.steps.map((s) => s.piece), `${c.id}: generated pieces`);
      t.equal(tok.decode(c.generated_tokens, { unparseSpecial: true }), c.generated_text, `${c.id}: generated text`);
      const stream = new StreamingDetokenizer(tok, { unparseSpecial: true });
      t.equal(c.generated_tokens.map((id) => stream.push(id)).join('') + stream.flush(), c.generated_text, `${c.id}: generated text, streamed`);
    }
  });
}
