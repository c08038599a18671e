// onoff (epoll) and serialport are native add-ons: the engine commands must
// never load them, and the daemon loads them only when a plugin is enabled.
// A child Node records every process.dlopen while it runs `nibble inspect`,
// imports the controller and the plugins, and then starts the serial plugin.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { referencePath, repoRoot } from '../helpers/reference.js';

const built = existsSync(join(repoRoot, 'dist/cli/main.js'));

const script = `
const loaded = [];
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) { loaded.push(filename); return dlopen.call(this, module, filename, ...rest); };
const mark = (step) => process.stderr.write(step + ' ' + JSON.stringify(loaded.splice(0)) + '\\n');
const dist = process.argv[1];
const { main } = await import(dist + '/cli/main.js');
const write = process.stdout.write;
process.stdout.write = () => true;
const code = await main(['inspect', process.argv[2], '--json']);
process.stdout.write = write;
mark('inspect=' + code);
await import(dist + '/daemon/controller.js');
await import(dist + '/daemon/plugins/gpio.js');
await import(dist + '/daemon/plugins/serial.js');
mark('imports');
const { ReconnectingPort } = await import(dist + '/daemon/serial/port.js');
const logger = { error() {}, warn() {}, info() {}, debug() {} };
const port = new ReconnectingPort({ path: '/nonexistent/tty', baudRate: 9600, reconnectMinMs: 10, reconnectMaxMs: 10, logger, onData() {}, onOpen() {}, onClose() {} });
await port.start();
await port.stop();
mark('serial');
`;

t.test('no native add-on from onoff or serialport until the plugin starts', { skip: built ? false : 'not built (npm run build)' }, async (t) => {
  const model = referencePath('models', 'tiny-llama-spm.Q8_0.gguf');
  // tap's loader stays out of the child: it runs the built files as an installed nibble does.
  const r = spawnSync('bash', ['-c', 'unset NODE_OPTIONS; exec "$@"', 'node', process.execPath, '--input-type=module', '-e', script, join(repoRoot, 'dist'), model], { encoding: 'utf8' });
  const steps = Object.fromEntries(r.stderr.trim().split('\n').map((l) => { const i = l.indexOf(' '); return [l.slice(0, i), JSON.parse(l.slice(i + 1)) as string[]]; }));
  t.same(steps['inspect=0'], [], 'nibble inspect loads no native add-on');
  t.same(steps.imports, [], 'importing the controller and plugins loads none either');
  t.match(steps.serial?.join(' '), /bindings-cpp.*\.node/, 'starting the serial plugin loads serialport\'s binding (so the check sees add-ons)');
});
