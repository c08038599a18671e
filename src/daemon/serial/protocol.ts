// The serial line protocol (README, "Serial line protocol"). In: one line is
// a prompt (UTF-8, at most max_line_bytes); /cancel [id] and /status are
// commands; "//" starts a prompt that begins with "/". Lines end with LF, CR
// or CRLF. Out: "ok <id>" once the request is committed, each answer line as
// "| <text>", then "end <id> <finish_reason> <completion_tokens>"; an error
// is one line "err <code> <message>". A person can read it, a machine can
// parse it: the first word of every line says what it is.

/** What the line splitter found in the byte stream. */
export type LineEvent =
  | { kind: 'line'; text: string }
  | { kind: 'too_long'; limit: number }
  | { kind: 'bad_utf8' }
  | { kind: 'control_bytes' };

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines, byte-wise (a UTF-8 character may arrive
 * split across chunks). A line longer than the limit is dropped up to its
 * end and reported once, as soon as it passes the limit; empty lines (the
 * LF of a CRLF among them) are skipped.
 */
export class LineSplitter {
  private buf: Buffer;
  private used = 0;
  private discarding = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly options: { maxBytes: number }) {
    this.buf = Buffer.alloc(options.maxBytes);
  }

  push(chunk: Buffer): LineEvent[] {
    const out: LineEvent[] = [];
    for (const byte of chunk) {
      if (byte === LF || byte === CR) {
        if (this.discarding) this.discarding = false;
        else if (this.used > 0) out.push(this.classify(this.buf.subarray(0, this.used)));
        this.used = 0;
        continue;
      }
      if (this.discarding) continue;
      if (this.used === this.options.maxBytes) {
        this.discarding = true;
        this.used = 0;
        out.push({ kind: 'too_long', limit: this.options.maxBytes });
        continue;
      }
      this.buf[this.used++] = byte;
    }
    return out;
  }

  /** Drops a partial line (the device went away mid-line). */
  reset(): void {
    this.used = 0;
    this.discarding = false;
  }

  private classify(bytes: Buffer): LineEvent {
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      return { kind: 'bad_utf8' };
    }
    // Line noise (a baud rate mismatch, a board booting) shows up as control bytes; tabs are text.
    if (/[\x00-\x08\x0b-\x1f\x7f]/.test(text)) return { kind: 'control_bytes' };
    return { kind: 'line', text };
  }
}

export type Command =
  | { kind: 'prompt'; prompt: string }
  | { kind: 'cancel'; id: string | null }
  | { kind: 'status' }
  | { kind: 'unknown'; name: string }
  | { kind: 'empty' };

/** What one line asks for. */
export function parseLine(text: string): Command {
  const line = text.trim();
  if (line === '') return { kind: 'empty' };
  if (line.startsWith('//')) return { kind: 'prompt', prompt: line.slice(1) };
  if (!line.startsWith('/')) return { kind: 'prompt', prompt: line };
  const [name, ...rest] = line.slice(1).split(/\s+/);
  if (name === 'cancel') return { kind: 'cancel', id: rest[0] ?? null };
  if (name === 'status') return { kind: 'status' };
  return { kind: 'unknown', name };
}

/** Output lines; `eol` is appended by the writer. Codes and ids never hold spaces. */
export const say = {
  ok: (id: string) => `ok ${id}`,
  /** A request that did not come from the line (the button) whose answer the config sends here. */
  from: (id: string, source: string) => `from ${source} ${id}`,
  text: (line: string) => `| ${line}`,
  end: (id: string, finishReason: string, tokens: number) => `end ${id} ${finishReason} ${tokens}`,
  err: (code: string, message: string) => `err ${code} ${oneLine(message)}`,
  status: (state: string, queue: number, model: string | null) => `status ${state} queue=${queue} model=${model ?? '-'}`,
};

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

/** Splits streamed answer text into whole lines; the rest waits for more text or the end. */
export class AnswerLines {
  private partial = '';
  private emitted = 0;

  /** Whole lines completed by this piece. */
  push(piece: string): string[] {
    const parts = (this.partial + piece).split('\n');
    this.partial = parts.pop()!;
    this.emitted += parts.length;
    return parts.map((l) => l.replace(/\r$/, ''));
  }

  /** The last, unterminated line; an empty answer still shows as one empty text line. */
  finish(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest !== '' || this.emitted === 0 ? [rest.replace(/\r$/, '')] : [];
  }
}
