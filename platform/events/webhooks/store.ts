import { randomBytes } from 'node:crypto';
import { openDatabase } from '../../database';
import pg from 'pg';
import type { Logger } from '../../log';
import type { EventType } from '../event-log';

/** A partner's endpoint as operators see it: never its secret. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  eventTypes: EventType[];
  /** The last event id handed to delivery: the endpoint gets every later event of its types. */
  cursor: string;
  createdAt: Date;
}

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'DEAD';

/** One event's delivery to one endpoint, across its attempts and replays. */
export interface DeliveryRecord {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: EventType;
  status: DeliveryStatus;
  attempts: number;
  /** The partner's last HTTP status, when it answered. */
  lastStatus: number | null;
  /** Why the last attempt failed (`HTTP 500`, `timed out after 10000 ms`…): never a response body. */
  lastError: string | null;
  replays: number;
  updatedAt: Date;
}

const SCHEMA = `
create table if not exists atrium_webhook_endpoints (
  id text primary key,
  url text not null,
  event_types text[] not null,
  secret text not null,
  cursor bigint not null,
  created_at timestamptz not null default now()
);
create table if not exists atrium_webhook_deliveries (
  id text primary key,
  endpoint_id text not null references atrium_webhook_endpoints (id) on delete cascade,
  event_id bigint not null,
  event_type text not null,
  status text not null default 'PENDING',
  attempts integer not null default 0,
  last_status integer,
  last_error text,
  replays integer not null default 0,
  updated_at timestamptz not null default now(),
  unique (endpoint_id, event_id)
);
create index if not exists atrium_webhook_dead on atrium_webhook_deliveries (updated_at) where status = 'DEAD';`;

/** Held while creating the tables (the event log's locks are 73712 and 73713). */
const SCHEMA_LOCK = 73714;

const ENDPOINT_COLUMNS = `id, url, event_types as "eventTypes", cursor::text, created_at as "createdAt"`;
const DELIVERY_COLUMNS = `id, endpoint_id as "endpointId", event_id::text as "eventId", event_type as "eventType", status, attempts,
  last_status as "lastStatus", last_error as "lastError", replays, updated_at as "updatedAt"`;

/** The partners' endpoints and their deliveries, in PostgreSQL beside the event log. */
export class WebhookStore {
  private constructor(private readonly pool: pg.Pool) {}

  /**
   * Connects and creates the tables when missing. A service waits for a database that starts with the stack; a
   * command (`connectAttempts: 1`) says at once that it cannot reach it.
   */
  static async open(databaseUrl: string, log: Logger, connectAttempts?: number): Promise<WebhookStore> {
    const pool = await openDatabase(databaseUrl, log, { name: 'webhook store', schema: SCHEMA, schemaLock: SCHEMA_LOCK, max: 4, connectAttempts });
    return new WebhookStore(pool);
  }

  /**
   * Registers an endpoint that gets the events after `cursor` (the log's head: from now on), with a new signing secret
   * answered once; null when `maxEndpoints` are registered already.
   */
  async register(
    request: { url: string; eventTypes: readonly EventType[]; cursor: string },
    maxEndpoints: number,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string } | null> {
    const id = `whe_${randomBytes(8).toString('hex')}`;
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const { rows } = await this.pool.query<WebhookEndpoint>(
      `insert into atrium_webhook_endpoints (id, url, event_types, secret, cursor)
       select $1, $2, $3, $4, $5 where (select count(*) from atrium_webhook_endpoints) < $6
       returning ${ENDPOINT_COLUMNS}`,
      [id, request.url, request.eventTypes, secret, request.cursor, maxEndpoints],
    );
    return rows[0] ? { endpoint: rows[0], secret } : null;
  }

  async endpoints(): Promise<WebhookEndpoint[]> {
    return (await this.pool.query<WebhookEndpoint>(`select ${ENDPOINT_COLUMNS} from atrium_webhook_endpoints order by created_at, id`)).rows;
  }

  /** The endpoint with the secret its deliveries are signed with; undefined once removed. */
  async signingEndpoint(id: string): Promise<{ url: string; secret: string } | undefined> {
    return (await this.pool.query<{ url: string; secret: string }>('select url, secret from atrium_webhook_endpoints where id = $1', [id])).rows[0];
  }

  /** Removes an endpoint and its deliveries (a delivery under way ends at its next attempt); false when there was none. */
  async remove(id: string): Promise<boolean> {
    return ((await this.pool.query('delete from atrium_webhook_endpoints where id = $1', [id])).rowCount ?? 0) > 0;
  }

  /** Moves an endpoint's cursor forward (never back: replicas may advance it concurrently). */
  async advance(endpointId: string, eventId: string): Promise<void> {
    await this.pool.query('update atrium_webhook_endpoints set cursor = greatest(cursor, $2::bigint) where id = $1', [endpointId, eventId]);
  }

  /** Records that an event is on its way to an endpoint; recorded once, however often it is queued. */
  async queued(delivery: { id: string; endpointId: string; eventId: string; eventType: EventType }): Promise<void> {
    await this.pool.query(
      `insert into atrium_webhook_deliveries (id, endpoint_id, event_id, event_type) values ($1, $2, $3, $4)
       on conflict do nothing`,
      [delivery.id, delivery.endpointId, delivery.eventId, delivery.eventType],
    );
  }

  /** Counts an attempt and what came of it. */
  async attempted(id: string, outcome: { status: DeliveryStatus; lastStatus: number | null; lastError: string | null }): Promise<void> {
    await this.pool.query(
      `update atrium_webhook_deliveries set attempts = attempts + 1, status = $2, last_status = $3, last_error = $4, updated_at = now() where id = $1`,
      [id, outcome.status, outcome.lastStatus, outcome.lastError],
    );
  }

  async markDead(id: string): Promise<void> {
    await this.pool.query(`update atrium_webhook_deliveries set status = 'DEAD', updated_at = now() where id = $1`, [id]);
  }

  async delivery(id: string): Promise<DeliveryRecord | undefined> {
    return (await this.pool.query<DeliveryRecord>(`select ${DELIVERY_COLUMNS} from atrium_webhook_deliveries where id = $1`, [id])).rows[0];
  }

  /** The dead letters, oldest first. */
  async dead(limit: number): Promise<DeliveryRecord[]> {
    return (
      await this.pool.query<DeliveryRecord>(
        `select ${DELIVERY_COLUMNS} from atrium_webhook_deliveries where status = 'DEAD' order by updated_at, id limit $1`,
        [limit],
      )
    ).rows;
  }

  /** Takes a dead delivery back for another round of attempts; answers its replay number, or null when it is not dead. */
  async revive(id: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ replays: number }>(
      `update atrium_webhook_deliveries set status = 'PENDING', replays = replays + 1, updated_at = now() where id = $1 and status = 'DEAD' returning replays`,
      [id],
    );
    return rows[0]?.replays ?? null;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
