import { openDatabase } from '../database';
import pg from 'pg';
import type { Logger } from '../log';

/** The kinds of change Atrium announces; each names the entity its key belongs to. */
export const EVENT_TYPES = ['order.updated', 'payment.updated', 'ticket.updated'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A change as the log holds it: only the entity's key and what subscriptions filter on, never the entity itself. */
export interface ChangeEvent {
  /** The event's place in the log (a decimal integer): ascending in the order events became visible, with no gaps. */
  id: string;
  type: EventType;
  /** The changed entity's key: an order id for order and payment events, a ticket id for ticket events. */
  key: string;
  /** The customer the entity belongs to: who may hear of it. */
  customerId: string;
  /** What subscriptions filter on besides the customer, such as { orderId }. */
  attributes: Record<string, string>;
  occurredAt: string;
}

/** A change to record. */
export interface NewEvent {
  type: EventType;
  key: string;
  customerId: string;
  attributes?: Record<string, string>;
  /**
   * Names the change where it came from (a feed's change number, a webhook's event id, a workflow's outcome): a change
   * appended twice under one source is recorded once, so sources may re-deliver freely.
   */
  source: string;
}

/** The channel the sequencer notifies with the last id it gave out. */
export const EVENTS_CHANNEL = 'atrium_events';

const SCHEMA = `
create sequence if not exists atrium_event_order;
create table if not exists atrium_events (
  entry bigint primary key default nextval('atrium_event_order'),
  id bigint unique,
  source text not null unique,
  type text not null,
  key text not null,
  customer_id text not null,
  attributes jsonb not null default '{}',
  occurred_at timestamptz not null default now()
);
create index if not exists atrium_events_unsequenced on atrium_events (entry) where id is null;`;

/** The output column id is text: ORDER BY must name the table's (numeric) id, or it sorts 10 before 9. */
const COLUMNS = `id::text, type, key, customer_id as "customerId", attributes, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "occurredAt"`;

/** Advisory lock keys: one for creating the tables, one held by whichever process is numbering events. */
const SCHEMA_LOCK = 73712;
const SEQUENCER_LOCK = 73713;
/** Most events numbered per pass; a pass that hits it runs again at once. */
const SEQUENCE_BATCH = 1_000;

/**
 * Atrium's durable event log, in PostgreSQL. Sources append changes with a source key (recorded once); a sequencer
 * numbers them. Appends from concurrent transactions commit in any order, so the row order is not the order readers
 * see: the sequencer, one at a time across processes (an advisory lock), gives each newly visible event the next id
 * and notifies `atrium_events`. A reader that has seen id N has seen every id below it, which is what makes resuming
 * from an id exact.
 */
export class EventLog {
  private constructor(
    private readonly pool: pg.Pool,
    readonly databaseUrl: string,
  ) {}

  /** Connects and creates the tables when missing (under an advisory lock, so replicas starting together do not race). */
  static async open(databaseUrl: string, log: Logger, signal?: AbortSignal): Promise<EventLog> {
    const pool = await openDatabase(databaseUrl, log, { name: 'event log', schema: SCHEMA, schemaLock: SCHEMA_LOCK, max: 4, signal });
    return new EventLog(pool, databaseUrl);
  }

  /** Records changes; one already recorded under its source is left as it is. Answers how many were new. */
  async append(events: readonly NewEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      `insert into atrium_events (source, type, key, customer_id, attributes)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
       on conflict (source) do nothing`,
      [
        events.map((event) => event.source),
        events.map((event) => event.type),
        events.map((event) => event.key),
        events.map((event) => event.customerId),
        events.map((event) => JSON.stringify(event.attributes ?? {})),
      ],
    );
    return rowCount ?? 0;
  }

  /**
   * Numbers what has been appended and not numbered yet, in one transaction, if no other process is doing so; answers
   * the events it numbered, in order (none when another process holds the sequencer).
   */
  async sequence(): Promise<ChangeEvent[]> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const { rows: lock } = await client.query<{ held: boolean }>('select pg_try_advisory_xact_lock($1) as held', [SEQUENCER_LOCK]);
      if (!lock[0]?.held) {
        await client.query('commit');
        return [];
      }
      // Under the lock this transaction is the only writer of ids, so the next ones follow the highest given.
      const { rows } = await client.query<ChangeEvent>(
        `with pending as (
           select entry, row_number() over (order by entry) as n from atrium_events where id is null order by entry limit $1
         ), numbered as (
           update atrium_events e set id = (select coalesce(max(id), 0) from atrium_events) + pending.n
           from pending where e.entry = pending.entry
           returning e.*
         )
         select ${COLUMNS} from numbered order by numbered.id`,
        [SEQUENCE_BATCH],
      );
      const last = rows.at(-1);
      if (last) await client.query('select pg_notify($1, $2)', [EVENTS_CHANNEL, last.id]);
      await client.query('commit');
      return rows;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Numbered events after an id (all when it is undefined), oldest first, at most `limit`. */
  async after(id: string | undefined, options: { limit: number; types?: readonly EventType[] }): Promise<ChangeEvent[]> {
    const { rows } = await this.pool.query<ChangeEvent>(
      `select ${COLUMNS} from atrium_events where id > $1 and ($2::text[] is null or type = any($2)) order by atrium_events.id limit $3`,
      [id ?? '0', options.types ?? null, options.limit],
    );
    return rows;
  }

  /** The highest id given out so far ('0' when none). */
  async head(): Promise<string> {
    const { rows } = await this.pool.query<{ id: string }>('select coalesce(max(id), 0)::text as id from atrium_events');
    return rows[0]?.id ?? '0';
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
