// Where the benchmark finds the repository from its compiled location (dist/bench/).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const nibbleBin = join(repoRoot, 'bin', 'nibble');
