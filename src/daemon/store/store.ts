import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { finalStatuses, type ErrorInfo, type NewRequest, type Outcome, type RequestStatus, type StoredRequest } from '../request.js';
import { schemaSql } from './schema-sql.js';

type Db = BetterSqlite3.Database;

/** The request queue and log: one SQLite file in WAL mode. */
export class RequestStore {
  private readonly stmts;

  constructor(private readonly db: Db, readonly path: string) {
    this.stmts = {
      insert: db.prepare(`INSERT INTO requests (id, source, status, prompt, messages, system, params, reply, dedup_key, error_code, error, created_at, finished_at)
        VALUES (@id, @source, @status, @prompt, @messages, @system, @params, @reply, @dedup_key, @error_code, @error, @created_at, @finished_at)`),
      byDedup: db.prepare('SELECT * FROM requests WHERE dedup_key = ? AND created_at >= ? ORDER BY seq DESC LIMIT 1'),
      get: db.prepare('SELECT * FROM requests WHERE seq = ?'),
      running: db.prepare(`UPDATE requests SET status = 'running', attempts = attempts + 1, started_at = ? WHERE seq = ? AND status = 'queued'`),
      finish: db.prepare(`UPDATE requests SET status = @status, answer = @answer, finish_reason = @finish_reason, prompt_tokens = @prompt_tokens,
        completion_tokens = @completion_tokens, timings = @timings, error_code = @error_code, error = @error, finished_at = @finished_at, delivered = 0
        WHERE seq = @seq`),
      delivered: db.prepare('UPDATE requests SET delivered = 1 WHERE seq = ?'),
      queued: db.prepare(`SELECT * FROM requests WHERE status = 'queued' ORDER BY seq`),
      staleRunning: db.prepare(`SELECT * FROM requests WHERE status = 'running' ORDER BY seq`),
      requeue: db.prepare(`UPDATE requests SET status = 'queued' WHERE seq = ?`),
      undelivered: db.prepare(`SELECT * FROM requests WHERE delivered = 0 AND status IN (${finalStatuses.map((s) => `'${s}'`).join(',')}) AND source = ? ORDER BY seq`),
      activeById: db.prepare(`SELECT * FROM requests WHERE id = ? AND status IN ('queued', 'running') ORDER BY seq DESC LIMIT 1`),
      recent: db.prepare('SELECT * FROM requests ORDER BY seq DESC LIMIT ?'),
      pruneAge: db.prepare(`DELETE FROM requests WHERE status IN (${finalStatuses.map((s) => `'${s}'`).join(',')}) AND delivered = 1 AND finished_at < ?`),
      pruneRows: db.prepare(`DELETE FROM requests WHERE seq IN (SELECT seq FROM requests WHERE status IN (${finalStatuses.map((s) => `'${s}'`).join(',')}) AND delivered = 1
        ORDER BY seq DESC LIMIT -1 OFFSET ?)`),
      count: db.prepare('SELECT status, COUNT(*) AS n FROM requests GROUP BY status'),
    };
  }

  /**
   * Stores an accepted request as queued and returns only once the commit is
   * durable (synchronous=FULL: it survives a power cut). The caller
   * acknowledges the request after this returns, never before.
   */
  insertAccepted(req: NewRequest, now = Date.now()): StoredRequest {
    return this.withFullSync(() => this.insertRow(req, 'queued', null, now));
  }

  /** Stores a request refused at the door (bad input, busy): logged, answered with the error, never run. */
  insertRejected(req: NewRequest, error: ErrorInfo, now = Date.now()): StoredRequest {
    return this.insertRow(req, 'error', error, now);
  }

  /** The row a redelivered message already made (same dedup key, recent), if any. */
  findDuplicate(dedupKey: string, sinceMs: number): StoredRequest | undefined {
    const row = this.stmts.byDedup.get(dedupKey, sinceMs) as Row | undefined;
    return row && fromRow(row);
  }

  get(seq: number): StoredRequest | undefined {
    const row = this.stmts.get.get(seq) as Row | undefined;
    return row && fromRow(row);
  }

  /** queued -> running; false when the row was not queued (cancelled meanwhile). */
  markRunning(seq: number, now = Date.now()): boolean {
    return this.stmts.running.run(now, seq).changes === 1;
  }

  /** Records how a request ended. synchronous=NORMAL: after a power cut the row is at worst still "running" and recovery handles it. */
  finish(seq: number, outcome: Outcome, now = Date.now()): StoredRequest {
    const ok = 'answer' in outcome;
    this.stmts.finish.run({
      seq,
      status: outcome.status,
      answer: ok ? outcome.answer : null,
      finish_reason: ok ? outcome.finishReason : null,
      prompt_tokens: ok ? outcome.promptTokens : null,
      completion_tokens: ok ? outcome.completionTokens : null,
      timings: ok && outcome.timings ? JSON.stringify(outcome.timings) : null,
      error_code: ok ? null : outcome.error.code,
      error: ok ? null : outcome.error.message,
      finished_at: now,
    });
    return this.get(seq)!;
  }

  /** running -> queued: a request stopped by shutdown runs again at the next start. */
  requeue(seq: number): void {
    this.stmts.requeue.run(seq);
  }

  markDelivered(seq: number): void {
    this.stmts.delivered.run(seq);
  }

  /** Requests waiting to run, oldest first. */
  queued(): StoredRequest[] {
    return (this.stmts.queued.all() as Row[]).map(fromRow);
  }

  /** Finished requests of `source` whose answer was never delivered (a crash came between). */
  undelivered(source: string): StoredRequest[] {
    return (this.stmts.undelivered.all(source) as Row[]).map(fromRow);
  }

  /** The newest queued or running request with this id (for cancel). */
  activeById(id: string): StoredRequest | undefined {
    const row = this.stmts.activeById.get(id) as Row | undefined;
    return row && fromRow(row);
  }

  /**
   * After a crash: rows left "running" are run again ("rerun", at most one
   * more attempt) or marked interrupted ("interrupt"). Queued rows stay queued.
   */
  recover(rule: 'rerun' | 'interrupt', now = Date.now()): { rerun: number; interrupted: number } {
    const result = { rerun: 0, interrupted: 0 };
    this.db.transaction(() => {
      for (const row of this.stmts.staleRunning.all() as Row[]) {
        if (rule === 'rerun' && row.attempts < 2) {
          this.stmts.requeue.run(row.seq);
          result.rerun++;
        } else {
          const why = rule === 'rerun' ? 'it was cut off twice (the daemon stopped while running it)' : 'the daemon stopped while running it';
          this.finish(row.seq, { status: 'interrupted', error: { code: 'interrupted', message: `request interrupted: ${why}` } }, now);
          result.interrupted++;
        }
      }
    })();
    return result;
  }

  /** Deletes delivered finished rows older than `days` and beyond the newest `maxRows` (0 = no limit). */
  prune(days: number, maxRows: number, now = Date.now()): number {
    let deleted = 0;
    if (days > 0) deleted += this.stmts.pruneAge.run(now - days * 86_400_000).changes;
    if (maxRows > 0) deleted += this.stmts.pruneRows.run(maxRows).changes;
    return deleted;
  }

  /** The newest `n` rows, newest first. */
  recent(n: number): StoredRequest[] {
    return (this.stmts.recent.all(n) as Row[]).map(fromRow);
  }

  counts(): Record<RequestStatus, number> {
    const out = { queued: 0, running: 0, done: 0, error: 0, cancelled: 0, interrupted: 0 };
    for (const { status, n } of this.stmts.count.all() as { status: RequestStatus; n: number }[]) out[status] = n;
    return out;
  }

  /** Folds the WAL back into the database file and closes it. */
  close(): void {
    if (!this.db.open) return;
    if (!this.db.readonly) this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  private insertRow(req: NewRequest, status: RequestStatus, error: ErrorInfo | null, now: number): StoredRequest {
    const info = this.stmts.insert.run({
      id: req.id,
      source: req.source,
      status,
      prompt: req.prompt,
      messages: req.messages ? JSON.stringify(req.messages) : null,
      system: req.system,
      params: JSON.stringify(req.params),
      reply: req.reply ? JSON.stringify(req.reply) : null,
      dedup_key: req.dedupKey,
      error_code: error?.code ?? null,
      error: error?.message ?? null,
      created_at: now,
      finished_at: error ? now : null,
    });
    return this.get(Number(info.lastInsertRowid))!;
  }

  // The setting applies to the commits made while it is in force; the
  // connection is ours alone, so nothing else commits in between.
  private withFullSync<T>(fn: () => T): T {
    this.db.pragma('synchronous = FULL');
    try {
      return fn();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }
}

/** Opens (creating if needed) the store. better-sqlite3 is loaded here, lazily: engine commands never load the native add-on. */
export async function openStore(path: string, options: { readonly?: boolean } = {}): Promise<RequestStore> {
  const { default: Database } = await import('better-sqlite3');
  if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(schemaSql);
  }
  return new RequestStore(db, path);
}

interface Row {
  seq: number; id: string; source: string; status: RequestStatus; prompt: string | null; messages: string | null; system: string | null;
  params: string; reply: string | null; dedup_key: string | null; attempts: number; answer: string | null; finish_reason: string | null;
  prompt_tokens: number | null; completion_tokens: number | null; timings: string | null; error_code: string | null; error: string | null;
  created_at: number; started_at: number | null; finished_at: number | null; delivered: number;
}

function fromRow(r: Row): StoredRequest {
  return {
    seq: r.seq,
    id: r.id,
    source: r.source,
    status: r.status,
    prompt: r.prompt,
    messages: r.messages ? JSON.parse(r.messages) : null,
    system: r.system,
    params: JSON.parse(r.params),
    reply: r.reply ? JSON.parse(r.reply) : null,
    dedupKey: r.dedup_key,
    attempts: r.attempts,
    answer: r.answer,
    finishReason: r.finish_reason as StoredRequest['finishReason'],
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    timings: r.timings ? JSON.parse(r.timings) : null,
    error: r.error_code ? { code: r.error_code, message: r.error ?? '' } : null,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    delivered: r.delivered === 1,
  };
}
