// A real NOTIFY_SOCKET: a unix datagram socket opened by python3 (Node has no
// AF_UNIX datagram sockets), printing each datagram it receives as one JSON line.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const receiver = `
import json, os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print(json.dumps("LISTENING"), flush=True)
while True:
    # recv() takes no ancillary data, so a file descriptor sent with BARRIER=1
    # is closed by the kernel, which releases the sender's barrier.
    data = s.recv(65536)
    print(json.dumps(data.decode()), flush=True)
`;

export interface NotifySocket {
  path: string;
  /** Every datagram so far, in order. */
  messages: string[];
  waitFor(pred: (messages: string[]) => boolean, ms?: number): Promise<void>;
  close(): void;
}

export async function openNotifySocket(): Promise<NotifySocket> {
  const path = join(mkdtempSync(join(tmpdir(), 'nibble-notify-')), 'notify.sock');
  const proc: ChildProcessWithoutNullStreams = spawn('python3', ['-c', receiver, path]);
  const messages: string[] = [];
  let buf = '';
  let listening = false;
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const m = JSON.parse(l) as string;
      if (m === 'LISTENING') listening = true; else messages.push(m);
    }
  });
  const waitFor = async (pred: (m: string[]) => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!pred(messages)) {
      if (Date.now() > end) throw new Error(`notify socket: condition not met; got ${JSON.stringify(messages)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await waitFor(() => listening && existsSync(path));
  return { path, messages, waitFor, close: () => proc.kill() };
}
