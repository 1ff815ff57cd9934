import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type pg from 'pg';
import type { Logger } from '../log';
import type { ChangeEvent, EventLog } from './event-log';
import { ensureStream, NatsLink, natsServer, subjectOf } from './nats-stream';
import { listenForEvents, type EventListener } from './pg-listen';
import { acquireRelayLease, type RelayLease } from './relay-lease';
import { SerialPass } from './serial-pass';
import { DEFAULT_STREAM } from './settings';

/** Events published per batch; the watermark moves after each batch is acknowledged. */
const BATCH = 500;
/** A sweep, in case a notification was missed. */
const SWEEP_MS = 1_000;
/** Retry delays after a failed pass: doubling from half a second up to ten. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;

const WATERMARK_SCHEMA_LOCK = 73715;
const WATERMARK_SCHEMA = `create table if not exists atrium_event_relay (name text primary key, last_id bigint not null default 0)`;

/** A running relay; `close` stops it and hands the lease to a relay standing by. */
export interface NatsRelay {
  close(): Promise<void>;
}

export interface NatsRelayOptions {
  /** The JetStream stream, also the relay's name in its watermark table and lock; ATRIUM_EVENTS unless given. */
  stream?: string;
}

/**
 * Relays the event log to a JetStream stream: every numbered event, in id order, at least once, to
 * `atrium.events.<type>` with its id as `Nats-Msg-Id`, so JetStream drops what a relay publishes twice. One relay runs
 * at a time across processes (a PostgreSQL advisory lock); the others stand by and take over when it dies. The last id
 * JetStream acknowledged is kept in `atrium_event_relay`, so a relay that starts or takes over resumes from there.
 * It wakes on the log's notifications and sweeps every second; while NATS is down it retries with backoff, and
 * catches up when NATS answers again.
 */
export async function startNatsRelay(eventLog: EventLog, natsUrl: string, log: Logger, options: NatsRelayOptions = {}): Promise<NatsRelay> {
  const stream = options.stream ?? DEFAULT_STREAM;
  const nats = new NatsLink(natsUrl, `atrium-event-relay-${stream}`, log);
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const running = (async () => {
    for (;;) {
      const lease = await acquireRelayLease(eventLog.databaseUrl, stream, log, stopped);
      if (!lease) return;
      log.info({ relay: stream, server: natsServer(natsUrl) }, 'event relay: relaying the event log to NATS');
      await lead({ eventLog, nats, stream, log, lease, stopped }).catch((error: unknown) => log.warn({ err: error }, 'event relay: lost the lead'));
      await lease.release();
    }
  })();
  return {
    async close() {
      stop();
      await running;
      await nats.close();
    },
  };
}

interface Leading {
  eventLog: EventLog;
  nats: NatsLink;
  stream: string;
  log: Logger;
  lease: RelayLease;
  stopped: Promise<void>;
}

/** Relays while this process holds the lease, until it is lost or the relay stops. */
async function lead({ eventLog, nats, stream, log, lease, stopped }: Leading): Promise<void> {
  let lastId = await readWatermark(lease.client, stream);
  let streamReady = false;
  let retryMs = 0;
  let retry: NodeJS.Timeout | undefined;

  const relayBatch = async (js: JetStreamClient): Promise<boolean> => {
    const events = await eventLog.after(lastId, { limit: BATCH });
    if (events.length === 0) return false;
    // One at a time, each acknowledged before the next: a publish lost in a NATS failure stops the batch, so nothing
    // after it reaches the stream before it does and the stream stays in id order.
    for (const event of events) await publish(js, stream, event);
    lastId = (events.at(-1) as ChangeEvent).id;
    await lease.client.query('update atrium_event_relay set last_id = greatest(last_id, $2) where name = $1', [stream, lastId]);
    return events.length === BATCH;
  };

  const pass: SerialPass = new SerialPass(
    async () => {
      const connection = await nats.connection();
      if (!streamReady) await ensureStream(connection, stream);
      streamReady = true;
      const js = jetstream(connection);
      while (await relayBatch(js));
      if (retryMs > 0) log.info({ relay: stream, lastId }, 'event relay: caught up');
      retryMs = 0;
    },
    (error) => {
      // The stream may be gone with a NATS that lost its data: it is checked again before the next try.
      streamReady = false;
      if (retryMs === 0) log.warn({ err: error, relay: stream, lastId }, 'event relay: could not relay; retrying with backoff');
      retryMs = Math.min(retryMs === 0 ? RETRY_FIRST_MS : retryMs * 2, RETRY_MAX_MS);
      retry = setTimeout(() => void pass.run(), retryMs).unref();
    },
  );

  let listener: EventListener | undefined;
  const sweep = setInterval(() => {
    if (retryMs === 0) void pass.run();
  }, SWEEP_MS).unref();
  try {
    listener = await listenForEvents(eventLog.databaseUrl, log, () => {
      if (retryMs === 0) void pass.run();
    });
    await Promise.race([lease.lost, stopped]);
  } finally {
    clearInterval(sweep);
    clearTimeout(retry);
    await listener?.close();
    await pass.idle();
    // The pass waited for may have failed and asked for a retry.
    clearTimeout(retry);
  }
}

async function publish(js: JetStreamClient, stream: string, event: ChangeEvent): Promise<void> {
  await js.publish(subjectOf(stream, event.type), JSON.stringify(event), { msgID: event.id });
}

async function readWatermark(client: pg.Client, name: string): Promise<string> {
  await client.query('begin');
  await client.query('select pg_advisory_xact_lock($1)', [WATERMARK_SCHEMA_LOCK]);
  await client.query(WATERMARK_SCHEMA);
  await client.query('commit');
  await client.query('insert into atrium_event_relay (name) values ($1) on conflict (name) do nothing', [name]);
  const { rows } = await client.query<{ lastId: string }>('select last_id::text as "lastId" from atrium_event_relay where name = $1', [name]);
  return rows[0]?.lastId ?? '0';
}
