// Child-process entry: node dist/bench/bandwidth-main.js THREADS... -> one JSON line per thread count.
import { measureReadBandwidth } from './bandwidth.js';

const counts = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
for (const t of counts.length ? counts : [1]) {
  process.stdout.write(JSON.stringify({ ...(await measureReadBandwidth(t)), node: process.version }) + '\n');
}
