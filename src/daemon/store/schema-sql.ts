/** The one table: every request, from acceptance to its answer. */
export const schemaSql = `
CREATE TABLE IF NOT EXISTS requests (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  id                TEXT NOT NULL,     -- as the asker gave it, or made up by nibble
  source            TEXT NOT NULL,     -- mqtt | serial | gpio | cli
  status            TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'error', 'cancelled', 'interrupted')),
  prompt            TEXT,
  messages          TEXT,              -- JSON [{role, content}]
  system            TEXT,
  params            TEXT NOT NULL,     -- JSON {max_tokens, temperature, seed, stop, stream}
  reply             TEXT,              -- JSON {topic, correlation}: where the answer goes, also after a restart
  dedup_key         TEXT,              -- recognises a redelivered message
  attempts          INTEGER NOT NULL DEFAULT 0,
  answer            TEXT,
  finish_reason     TEXT,
  prompt_tokens     INTEGER,
  completion_tokens INTEGER,
  timings           TEXT,              -- JSON
  error_code        TEXT,
  error             TEXT,
  created_at        INTEGER NOT NULL,  -- ms since the epoch
  started_at        INTEGER,
  finished_at       INTEGER,
  delivered         INTEGER NOT NULL DEFAULT 0  -- the answer reached its sink
);
CREATE INDEX IF NOT EXISTS requests_status ON requests (status);
CREATE INDEX IF NOT EXISTS requests_id ON requests (id);
CREATE INDEX IF NOT EXISTS requests_dedup ON requests (dedup_key) WHERE dedup_key IS NOT NULL;
`;
