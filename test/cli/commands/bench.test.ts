// `nibble bench` as the CLI contract (DESIGN.md) has it: the JSON shape and
// sane figures on a reference model (not speed: the machine is shared).
import t from 'tap';
import { cli } from '../helpers/in-process.js';
import { referencePath } from '../../helpers/reference.js';

const model = referencePath('models', 'tiny-llama-bpe.Q4_0.gguf'); // llama, 4 layers, tied output

t.test('bench --json: medians of -r runs, load time, peak RSS', async (t) => {
  const r = await cli(['bench', '-m', model, '--threads', '1', '-p', '8', '-n', '4', '-r', '2', '--json'], {});
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const k of ['pp_tok_s', 'tg_tok_s', 'load_ms', 'rss_mb', 'cpu_ms']) {
    t.type(out[k], 'number', k);
    t.ok(Number.isFinite(out[k]) && out[k] > 0, `${k} = ${out[k]} is positive`);
  }
  t.equal(out.threads, 1);
  t.equal(out.n_prompt, 8);
  t.equal(out.n_gen, 4);
  t.equal(out.pp_samples.length, 2, 'one pp figure per run');
  t.equal(out.tg_samples.length, 2, 'one tg figure per run');
  const sorted = [...out.tg_samples].sort((a: number, b: number) => a - b);
  t.equal(out.tg_tok_s, (sorted[0] + sorted[1]) / 2, 'the median of two runs');
  t.match(out.kernels, /^(simd128|relaxed)$/);
  t.ok(out.rss_mb > 5 && out.rss_mb < 64 * 1024, 'RSS in MiB, not bytes or KiB');
  t.notOk('profile' in out, 'no profile unless asked');
});

t.test('bench --profile: every forward op of the last run, counted', async (t) => {
  const r = await cli(['bench', '-m', model, '--threads', '1', '-p', '6', '-n', '3', '-r', '1', '--profile', '--json'], {});
  t.equal(r.code, 0, r.stderr);
  const { profile } = JSON.parse(r.stdout) as { profile: { pp: Array<{ op: string; calls: number; ms: number }>; tg: Array<{ op: string; calls: number; ms: number }> } };
  const calls = (ops: typeof profile.tg, re: RegExp) => ops.filter((o) => re.test(o.op)).reduce((n, o) => n + o.calls, 0);
  // per token: 4 layers x 7 matmuls (q k v o gate up down) + the output matmul
  t.equal(calls(profile.tg, /^matmul .* mv$/), 3 * (4 * 7 + 1), 'decode: one matrix x vector call per weight per token');
  t.equal(calls(profile.pp, /^matmul .* mm$/), 4 * 7, 'prefill: one matrix x matrix call per layer weight for the whole batch');
  t.equal(calls(profile.pp, /^matmul .* mv$/), 1, 'prefill: logits for the last token only');
  t.equal(calls(profile.tg, /^attention$/), 3 * 4);
  t.ok(profile.tg.every((o) => o.ms >= 0));
  const text = await cli(['bench', '-m', model, '--threads', '1', '-p', '4', '-n', '2', '-r', '1', '--profile'], {});
  t.match(text.stdout, /tg profile \(last run/);
  t.match(text.stdout, /pp4 [\d.]+ tok\/s \| tg2 [\d.]+ tok\/s/);
});

t.test('bench: user mistakes are one line on stderr and exit 1', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['bench'], /-m MODEL is required/],
    [['bench', '-m', model, '-p', '0', '-n', '0'], /nothing to measure/],
    [['bench', '-m', model, '-r', '0'], /--repetitions 0/],
    [['bench', '-m', '/nonexistent.gguf'], /nonexistent\.gguf/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args, {});
    t.equal(r.code, 1, args.join(' '));
    t.match(r.stderr, message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});
