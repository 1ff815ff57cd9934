import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { KeyvStoreAdapter, StoredData } from 'keyv';

/** How long a write waits for another process holding the file (a replica on the same host) before it fails. */
const BUSY_TIMEOUT_MS = 5_000;

interface Row {
  value: string;
  expires_at: number | null;
}

/**
 * A keyv store in one SQLite file: a write is on disk when it returns (WAL, synchronous=FULL), and several processes
 * on one host may share the file. keyv serialises values and checks their expiry itself; the `expires_at` column lets
 * expired rows be purged without reading them.
 */
export class SqliteStore extends EventEmitter implements KeyvStoreAdapter {
  opts = {};
  private readonly db: Database.Database;
  private readonly statements;

  constructor(file: string) {
    super();
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER);' +
        'CREATE INDEX IF NOT EXISTS entries_by_expiry ON entries (expires_at)',
    );
    this.statements = {
      get: this.db.prepare<[string], Row>('SELECT value, expires_at FROM entries WHERE key = ?'),
      set: this.db.prepare<[string, string, number | null]>(
        'INSERT INTO entries (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
      ),
      delete: this.db.prepare<[string]>('DELETE FROM entries WHERE key = ?'),
      purge: this.db.prepare<[number]>('DELETE FROM entries WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      clear: this.db.prepare('DELETE FROM entries'),
    };
    this.statements.purge.run(Date.now());
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const row = this.statements.get.get(key);
    if (!row || (row.expires_at !== null && row.expires_at <= Date.now())) return undefined;
    return row.value as StoredData<Value>;
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    if (typeof value !== 'string') throw new TypeError('SqliteStore keeps serialised values only');
    const now = Date.now();
    // Each write also drops what has expired (an index range), so a file never grows with records nobody reads again.
    this.statements.purge.run(now);
    this.statements.set.run(key, value, typeof ttl === 'number' && ttl > 0 ? now + ttl : null);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return this.statements.delete.run(key).changes > 0;
  }

  async clear(): Promise<void> {
    this.statements.clear.run();
  }

  async disconnect(): Promise<void> {
    this.db.close();
  }
}
