import { openDatabase } from '../../platform/database';
import pg from 'pg';
import { intVar, setting } from '../../platform/env';
import type { NewEvent } from '../../platform/events/event-log';
import type { EventRecorder } from '../../platform/events/sequencer';
import type { Logger } from '../../platform/log';
import type { OrderChangeFeed, OrderStatusChange } from './erp-client';

/** What the change-feed poller reads at start-up. */
export const changeFeedSettings = {
  /** How often the ERP's change feed is read; 0 turns the poller off (test stacks that count backend calls). */
  pollMs: setting(
    'ERP_FEED_POLL_MS',
    intVar(1_000, 0, 60_000).refine((ms) => ms === 0 || ms >= 50, 'must be 0 (off) or a whole number from 50 to 60000'),
  ),
};

/** The watermark's row: how far the log has what a feed announced. */
const FEED = 'erp';
const SCHEMA = `create table if not exists atrium_feed_watermarks (feed text primary key, position bigint not null)`;
/** Advisory lock keys: one for creating the table, one held by whichever process is polling the ERP's feed. */
const SCHEMA_LOCK = 73714;
const FEED_LOCK = 73715;
/** Changes asked for per call, and pages read per poll before the next poll goes on. */
const PAGE_SIZE = 100;
const PAGES_PER_POLL = 10;

/** A feed change as the event the log keeps: its change number names it, so re-reading it records nothing new. */
const toEvent = (change: OrderStatusChange): NewEvent => ({
  type: 'order.updated',
  key: change.orderId,
  customerId: change.customerId,
  attributes: { orderId: change.orderId, status: change.status },
  source: `erp:${change.changeNumber}`,
});

export interface ChangeFeedOptions {
  /** A fresh reader of the feed for every poll (an adapter's loaders must not outlive a poll). */
  feed(): OrderChangeFeed;
  recorder: EventRecorder;
  databaseUrl: string;
  /** 0: never polls on its own (`poll()` still works). */
  pollMs: number;
  log: Logger;
}

/**
 * Turns the ERP's change feed into 'order.updated' events: every `pollMs`, one process at a time across replicas (an
 * advisory lock, tried per poll) reads the changes after the watermark kept in PostgreSQL, records them, then moves
 * the watermark on. A crash between the two reads the changes again, and their sources make that harmless: each change
 * is in the log once. A poll that fails is logged and the next one starts from the same watermark.
 */
export class ChangeFeedPoller {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: ChangeFeedOptions,
  ) {}

  /** Connects, creates the watermark table when missing, and starts polling (unless `pollMs` is 0). */
  static async start(options: ChangeFeedOptions): Promise<ChangeFeedPoller> {
    const pool = await openDatabase(options.databaseUrl, options.log, { name: 'change feed', schema: SCHEMA, schemaLock: SCHEMA_LOCK, max: 2 });
    const poller = new ChangeFeedPoller(pool, options);
    poller.schedule();
    return poller;
  }

  /**
   * Reads what the feed has after the watermark (up to 10 pages), records it and moves the watermark on. Answers how
   * many changes it read, or undefined when another process is polling.
   */
  poll(): Promise<number | undefined> {
    const run = this.polling.then(() => this.pollOnce());
    this.polling = run.catch(() => undefined);
    return run;
  }

  /** Stops polling, lets a poll under way finish, and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.polling;
    await this.pool.end();
  }

  private schedule(): void {
    if (this.options.pollMs === 0 || this.closed) return;
    this.timer = setTimeout(() => {
      this.poll()
        .catch((error: unknown) => this.options.log.warn({ err: error }, 'change feed: poll failed; the next one starts from the same watermark'))
        .finally(() => this.schedule());
    }, this.options.pollMs);
    this.timer.unref();
  }

  private async pollOnce(): Promise<number | undefined> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ held: boolean }>('select pg_try_advisory_lock($1) as held', [FEED_LOCK]);
      if (!rows[0]?.held) return undefined;
      try {
        return await this.readFeed(client);
      } finally {
        await client.query('select pg_advisory_unlock($1)', [FEED_LOCK]);
      }
    } catch (error) {
      // A connection that failed may still hold the lock: it is dropped, not pooled, and its session ends with it.
      broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async readFeed(client: pg.PoolClient): Promise<number> {
    const { rows } = await client.query<{ position: string }>('select position::text from atrium_feed_watermarks where feed = $1', [FEED]);
    let position = Number(rows[0]?.position ?? 0);
    const feed = this.options.feed();
    let read = 0;
    for (let pages = 0; pages < PAGES_PER_POLL && !this.closed; pages += 1) {
      const page = await feed.orderChanges(position, PAGE_SIZE);
      if (page.last < position) {
        // The ERP numbers from 1 again (its data was reset): recording its changes would reuse old sources.
        this.options.log.error({ watermark: position, last: page.last }, 'change feed: the ERP has fewer changes than were read; nothing is recorded');
        return read;
      }
      const changes = page.changes.filter((change) => change.changeNumber > position);
      const last = changes.at(-1);
      if (!last) return read;
      await this.options.recorder.record(changes.map(toEvent));
      position = last.changeNumber;
      await client.query(
        `insert into atrium_feed_watermarks (feed, position) values ($1, $2)
         on conflict (feed) do update set position = greatest(atrium_feed_watermarks.position, excluded.position)`,
        [FEED, position],
      );
      read += changes.length;
      if (!page.more) return read;
    }
    return read;
  }
}
