// A local HTTP server that behaves as the Hugging Face hub does for a file
// download: /REPO/resolve/REV/FILE answers 302 to a storage URL with
// X-Linked-Size and X-Linked-Etag (the sha256); the storage URL honours
// Range (206, and 416 past the end). It can cut a response off midway.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface HubFile { repo: string; file: string; data: Buffer; claimedSha?: string }

export class FakeHub {
  private server: Server | null = null;
  /** Storage responses to cut off after this many body bytes (one entry per response, consumed in order). */
  cutAfter: number[] = [];
  requests: { url: string; range?: string; auth?: string }[] = [];
  port = 0;

  constructor(private readonly files: HubFile[]) {}

  get endpoint(): string { return `http://127.0.0.1:${this.port}`; }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      this.requests.push({ url: url.pathname, range: req.headers.range, auth: req.headers.authorization });
      const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
      if (resolve) {
        const f = this.files.find((x) => x.repo === resolve[1] && x.file === decodeURIComponent(resolve[3]));
        if (!f || resolve[2] !== 'main') { res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('Entry not found'); return; }
        const sha = f.claimedSha ?? createHash('sha256').update(f.data).digest('hex');
        res.writeHead(302, {
          location: `/storage/${sha}?sig=abc`,
          'x-linked-size': String(f.data.length),
          'x-linked-etag': `"${sha}"`,
          etag: '"gitsha"',
        }).end();
        return;
      }
      const storage = /^\/storage\/([0-9a-f]{64})$/.exec(url.pathname);
      const f = storage && this.files.find((x) => (x.claimedSha ?? createHash('sha256').update(x.data).digest('hex')) === storage[1]);
      if (!f) { res.writeHead(404).end(); return; }
      let start = 0;
      let end = f.data.length - 1;
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        start = Number(range[1]);
        if (range[2]) end = Math.min(end, Number(range[2]));
        if (start >= f.data.length) { res.writeHead(416, { 'content-range': `bytes */${f.data.length}` }).end(); return; }
      }
      const body = f.data.subarray(start, end + 1);
      res.writeHead(range ? 206 : 200, {
        'content-length': String(body.length),
        ...(range ? { 'content-range': `bytes ${start}-${end}/${f.data.length}` } : {}),
        'accept-ranges': 'bytes',
      });
      const cut = body.length > 1 ? this.cutAfter.shift() : undefined;
      if (cut !== undefined) {
        res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      } else {
        res.end(body);
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server!.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
