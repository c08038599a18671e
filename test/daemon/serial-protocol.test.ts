import t from 'tap';
import { AnswerLines, LineSplitter, parseLine, say } from '../../src/daemon/serial/protocol.js';

t.test('lines end with LF, CR or CRLF, and may arrive in any chunks, split inside a UTF-8 character', async (t) => {
  const s = new LineSplitter({ maxBytes: 64 });
  const bytes = Buffer.from('héllo\r\nwörld\rthird 😀\n\n\r\n');
  const events = [];
  for (let i = 0; i < bytes.length; i += 3) events.push(...s.push(bytes.subarray(i, i + 3)));
  t.same(events, [{ kind: 'line', text: 'héllo' }, { kind: 'line', text: 'wörld' }, { kind: 'line', text: 'third 😀' }]);
  t.same(s.push(Buffer.from('no end yet')), [], 'a partial line waits');
  s.reset();
  t.same(s.push(Buffer.from('fresh\n')), [{ kind: 'line', text: 'fresh' }], 'reset drops the partial line');
});

t.test('an over-long line is reported once, dropped to its end, and the next line is read', async (t) => {
  const s = new LineSplitter({ maxBytes: 8 });
  t.same(s.push(Buffer.from('12345678\n')), [{ kind: 'line', text: '12345678' }], 'exactly the limit is fine');
  t.same(s.push(Buffer.from('123456789')), [{ kind: 'too_long', limit: 8 }], 'reported as soon as it passes the limit');
  t.same(s.push(Buffer.from('x'.repeat(100))), [], 'the rest is dropped silently');
  t.same(s.push(Buffer.from('tail\nnext\n')), [{ kind: 'line', text: 'next' }]);
});

t.test('invalid UTF-8 and control bytes are errors; tabs are text', async (t) => {
  const s = new LineSplitter({ maxBytes: 64 });
  t.same(s.push(Buffer.from([0x61, 0xff, 0xfe, 0x0a])), [{ kind: 'bad_utf8' }]);
  t.same(s.push(Buffer.from([0xc3, 0x0a])), [{ kind: 'bad_utf8' }], 'a truncated sequence');
  t.same(s.push(Buffer.from('a\x00b\n')), [{ kind: 'control_bytes' }]);
  t.same(s.push(Buffer.from('\x1b[2Jclear\n')), [{ kind: 'control_bytes' }]);
  t.same(s.push(Buffer.from('a\tb\n')), [{ kind: 'line', text: 'a\tb' }]);
});

t.test('commands and prompts', async (t) => {
  t.same(parseLine('  what is 2+2?  '), { kind: 'prompt', prompt: 'what is 2+2?' });
  t.same(parseLine('/cancel'), { kind: 'cancel', id: null });
  t.same(parseLine('/cancel s-1234'), { kind: 'cancel', id: 's-1234' });
  t.same(parseLine('/status'), { kind: 'status' });
  t.same(parseLine('/reboot now'), { kind: 'unknown', name: 'reboot' });
  t.same(parseLine('//etc is a folder?'), { kind: 'prompt', prompt: '/etc is a folder?' });
  t.same(parseLine('   '), { kind: 'empty' });
  t.equal(say.err('busy', 'two\nlines'), 'err busy two lines', 'an error stays on one line');
  t.equal(say.end('s-1', 'length', 12), 'end s-1 length 12');
  t.equal(say.status('idle', 0, null), 'status idle queue=0 model=-');
});

t.test('answer text becomes whole lines as pieces stream in', async (t) => {
  const a = new AnswerLines();
  t.same(a.push('Hello'), []);
  t.same(a.push(', world\r\nsecond'), ['Hello, world']);
  t.same(a.push(' line\n\nfourth'), ['second line', '']);
  t.same(a.finish(), ['fourth']);
  const empty = new AnswerLines();
  t.same(empty.finish(), [''], 'an empty answer is one empty text line');
  const ended = new AnswerLines();
  t.same(ended.push('done\n'), ['done']);
  t.same(ended.finish(), [], 'nothing after a final newline');
});
