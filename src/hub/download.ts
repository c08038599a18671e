// Downloads a file from the Hugging Face hub the way its own tools do:
// GET <endpoint>/<repo>/resolve/<revision>/<file> answers with a redirect to
// the storage server, carrying X-Linked-Size (the size) and X-Linked-Etag
// (the sha256 of an LFS file); the storage server honours Range requests, so
// a cut-off download resumes from its .part file. The result is checked
// against the sha256 before it takes its final name.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { get as httpGet, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { get as httpsGet } from 'node:https';
import { basename, join } from 'node:path';
import { HubError, HubUnreachableError } from './errors.js';
import { ProgressBar } from './progress.js';

export const defaultEndpoint = 'https://huggingface.co';
const MAX_REDIRECTS = 8;
const IDLE_TIMEOUT_MS = 30_000;

export interface PullOptions {
  /** "owner/repo/path/in/repo.gguf" */
  spec: string;
  modelsDir: string;
  env: NodeJS.ProcessEnv;
  revision?: string;
  progress?: NodeJS.WriteStream;
  /** Aborts the download (the .part file stays for a later resume). */
  signal?: AbortSignal;
}

export interface PullResult {
  path: string;
  bytes: number;
  sha256: string | null;
  /** Bytes that were already on disk from an earlier attempt. */
  resumedFrom: number;
  alreadyPresent: boolean;
}

/** Splits "owner/repo/file" into the repository and the file path inside it. */
export function parseSpec(spec: string): { repo: string; file: string } {
  const parts = spec.split('/').filter((p) => p !== '');
  if (parts.length < 3 || parts.some((p) => p === '.' || p === '..')) {
    throw new HubError(`"${spec}" is not REPO/FILE (for example Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf)`);
  }
  return { repo: `${parts[0]}/${parts[1]}`, file: parts.slice(2).join('/') };
}

export async function pull(options: PullOptions): Promise<PullResult> {
  const { repo, file } = parseSpec(options.spec);
  const endpoint = (options.env.HF_ENDPOINT || defaultEndpoint).replace(/\/+$/, '');
  const url = `${endpoint}/${repo}/resolve/${encodeURIComponent(options.revision ?? 'main')}/${file.split('/').map(encodeURIComponent).join('/')}`;
  const headers: OutgoingHttpHeaders = { 'user-agent': 'nibble' };
  if (options.env.HF_TOKEN) headers.authorization = `Bearer ${options.env.HF_TOKEN}`;

  mkdirSync(options.modelsDir, { recursive: true });
  const target = join(options.modelsDir, basename(file));
  const part = `${target}.part`;

  // The hub answers /resolve with the metadata and a redirect; follow it to
  // the storage URL, remembering what the hub said about the file.
  const meta = await resolveFile(url, headers, endpoint, options.spec, options.signal);

  if (existsSync(target) && meta.size !== null && statSync(target).size === meta.size) {
    const sha = meta.sha256 ? await hashFile(target) : null;
    if (!meta.sha256 || sha === meta.sha256) return { path: target, bytes: meta.size, sha256: sha, resumedFrom: meta.size, alreadyPresent: true };
    // A complete-looking file with the wrong content is downloaded again.
    unlinkSync(target);
  }

  let have = existsSync(part) ? statSync(part).size : 0;
  if (meta.size !== null && have > meta.size) { unlinkSync(part); have = 0; }
  const hash = createHash('sha256');
  const resumedFrom = have;
  const res = await request(meta.downloadUrl, have > 0 ? { ...meta.storageHeaders, range: `bytes=${have}-` } : meta.storageHeaders, endpoint, options.signal);
  if (res.statusCode === 416) {
    // Nothing after what we have: the .part is already complete.
    res.resume();
  } else if (res.statusCode === 206 && have > 0) {
    const start = Number(/bytes (\d+)-/.exec(String(res.headers['content-range']))?.[1]);
    if (start !== have) { res.resume(); throw new HubError(`the storage server resumed at byte ${start}, not ${have}; delete ${part} and try again`); }
  } else if (res.statusCode === 200) {
    have = 0; // the server ignored the Range header: start over
  } else {
    res.resume();
    throw new HubError(`downloading ${options.spec} failed: HTTP ${res.statusCode} from the storage server`);
  }
  if (have > 0) await hashInto(part, hash);
  const total = meta.size ?? (have + Number(res.headers['content-length'] ?? 0));
  if (res.statusCode !== 416) {
    const bar = new ProgressBar(options.progress ?? process.stderr, basename(file), total, have);
    try {
      await writeBody(res, part, have > 0, hash, (n) => bar.update(have + n), IDLE_TIMEOUT_MS);
    } catch (err) {
      bar.finish();
      const got = existsSync(part) ? statSync(part).size : 0;
      throw new HubError(`download of ${options.spec} was cut off at ${got} of ${total} bytes (${(err as Error).message}); run the same command again to resume`);
    }
    bar.update(statSync(part).size, true);
    bar.finish();
  }

  const size = statSync(part).size;
  if (meta.size !== null && size !== meta.size) {
    throw new HubError(`download of ${options.spec} ended at ${size} of ${meta.size} bytes; run the same command again to resume`);
  }
  const sha = hash.digest('hex');
  if (meta.sha256 && sha !== meta.sha256) {
    unlinkSync(part);
    throw new HubError(`sha256 of ${basename(file)} is ${sha}, but the hub says ${meta.sha256}: the download was corrupt and has been deleted; run the command again`);
  }
  renameSync(part, target);
  return { path: target, bytes: size, sha256: meta.sha256 ? sha : null, resumedFrom, alreadyPresent: false };
}

interface FileMeta {
  downloadUrl: string;
  size: number | null;
  sha256: string | null;
  /** Headers for the storage request: the token only goes to the hub's own host. */
  storageHeaders: OutgoingHttpHeaders;
}

async function resolveFile(url: string, headers: OutgoingHttpHeaders, endpoint: string, spec: string, signal?: AbortSignal): Promise<FileMeta> {
  let size: number | null = null;
  let sha256: string | null = null;
  let current = url;
  const hubHost = new URL(url).host;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const sameHost = new URL(current).host === hubHost;
    const hopHeaders = sameHost ? headers : { 'user-agent': headers['user-agent'] };
    const res = await request(current, { ...hopHeaders, range: 'bytes=0-0' }, endpoint, signal);
    res.resume();
    const linkedSize = res.headers['x-linked-size'];
    const linkedEtag = res.headers['x-linked-etag'];
    if (typeof linkedSize === 'string' && /^\d+$/.test(linkedSize)) size = Number(linkedSize);
    if (typeof linkedEtag === 'string') {
      const m = /^(?:W\/)?"?([0-9a-f]{64})"?$/i.exec(linkedEtag.trim());
      if (m) sha256 = m[1].toLowerCase();
    }
    const status = res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
      current = new URL(res.headers.location, current).href;
      continue;
    }
    if (status === 200 || status === 206) {
      // A small (non-LFS) file is served directly; its size is in Content-Range.
      const range = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
      size ??= range ? Number(range[1]) : (status === 200 ? Number(res.headers['content-length'] ?? NaN) : null);
      if (size !== null && Number.isNaN(size)) size = null;
      return { downloadUrl: current, size, sha256, storageHeaders: new URL(current).host === hubHost ? headers : { 'user-agent': headers['user-agent'] } };
    }
    if (status === 401 || status === 403) throw new HubError(`the hub refused ${spec} (HTTP ${status}): a gated or private repository needs HF_TOKEN`);
    if (status === 404) throw new HubError(`the hub has no ${spec} (HTTP 404): check the repository and file name`);
    if (status === 416) return { downloadUrl: current, size: 0, sha256, storageHeaders: hopHeaders };
    throw new HubError(`the hub answered HTTP ${status} for ${spec}`);
  }
  throw new HubError(`too many redirects for ${spec}`);
}

const unreachableCodes = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET']);

function request(url: string, headers: OutgoingHttpHeaders, endpoint: string, signal?: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return reject(new HubError(`unsupported address ${url}`));
    const req = (u.protocol === 'https:' ? httpsGet : httpGet)(u, { headers, agent: false, ...(signal ? { signal } : {}) }, resolve);
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('no answer within 30 s'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code && unreachableCodes.has(err.code)) reject(new HubUnreachableError(new URL(url).host === new URL(endpoint).host ? endpoint : u.origin, err.code));
      else reject(err);
    });
  });
}

function writeBody(res: IncomingMessage, path: string, append: boolean, hash: Hash, onBytes: (n: number) => void, idleMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path, { flags: append ? 'a' : 'w' });
    let n = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      res.destroy();
      out.end(() => reject(err));
    };
    res.setTimeout?.(idleMs, () => fail(new Error('the connection stalled')));
    res.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      n += chunk.length;
      onBytes(n);
      if (!out.write(chunk)) { res.pause(); out.once('drain', () => res.resume()); }
    });
    res.on('aborted', () => fail(new Error('the connection was closed')));
    res.on('error', fail);
    out.on('error', fail);
    res.on('end', () => {
      if (failed) return;
      if (!res.complete) return fail(new Error('the connection was closed'));
      out.end(() => resolve());
    });
  });
}

function hashInto(path: string, hash: Hash): Promise<void> {
  return new Promise((resolve, reject) => {
    createReadStream(path).on('data', (c) => hash.update(c)).on('end', resolve).on('error', reject);
  });
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await hashInto(path, hash);
  return hash.digest('hex');
}
