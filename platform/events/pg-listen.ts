import pg from 'pg';
import type { Logger } from '../log';
import { EVENTS_CHANNEL } from './event-log';

/** How long to wait before connecting again after the listening connection failed. */
const RECONNECT_MS = 1_000;

/** A LISTEN on the event log's channel; `close` ends it. */
export interface EventListener {
  close(): Promise<void>;
}

/**
 * Listens on `atrium_events` on a connection of its own and calls `wake` on every notification, and once after each
 * (re)connect, since notifications sent while it was not listening are lost: a reader then sweeps for what it missed.
 * A failed connection is replaced after a second, for as long as the listener is open.
 */
export async function listenForEvents(databaseUrl: string, log: Logger, wake: () => void): Promise<EventListener> {
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000, application_name: 'atrium-event-listener' });
    next.on('notification', () => wake());
    next.on('error', (error) => {
      log.warn({ err: error }, 'event log: the listening connection failed; connecting again');
      void next.end().catch(() => undefined);
    });
    next.on('end', () => {
      if (client === next) later();
    });
    try {
      await next.connect();
      await next.query(`listen ${EVENTS_CHANNEL}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    if (closed) {
      await next.end();
      return;
    }
    client = next;
    wake();
  };

  const later = (): void => {
    client = undefined;
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect().catch((error: unknown) => {
        log.warn({ err: error }, 'event log: could not listen for events; trying again');
        later();
      });
    }, RECONNECT_MS);
    timer.unref();
  };

  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
