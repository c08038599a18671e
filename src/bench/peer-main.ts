// Child-process entry for one llama.cpp measurement (a fresh process per
// measurement, so its peak RSS is its own):
//   node dist/bench/peer-main.js -m MODEL -t THREADS [-p 64] [-n 32] [-r 1]
// prints one JSON line (PeerResult).
import { parseArgs } from 'node:util';
import { readGguf } from '../engine/gguf/reader.js';
import { readModelConfig } from '../engine/model/config.js';
import { benchPeer } from './peer.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', short: 'm' },
    threads: { type: 'string', short: 't' },
    'n-prompt': { type: 'string', short: 'p', default: '64' },
    'n-gen': { type: 'string', short: 'n', default: '32' },
    repetitions: { type: 'string', short: 'r', default: '1' },
  },
});
if (!values.model || !values.threads) {
  process.stderr.write('usage: peer-main.js -m MODEL -t THREADS [-p 64] [-n 32] [-r 1]\n');
  process.exit(2);
}
const nVocab = readModelConfig(readGguf(values.model)).nVocab;
const r = await benchPeer(values.model, {
  threads: Number(values.threads),
  p: Number(values['n-prompt']),
  n: Number(values['n-gen']),
  reps: Number(values.repetitions),
  nVocab,
});
process.stdout.write(JSON.stringify(r) + '\n');
