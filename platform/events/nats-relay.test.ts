import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { silentLogger } from '../log';
import { throwawayDatabase, type ThrowawayDatabase } from '../../scripts/throwaway-database';
import { describeWithDatabase } from '../../test/support/database';
import { describeWithNats, describeWithNatsServer, natsUrl, startOwnNatsServer, uniqueStream } from '../../test/support/nats';
import { ids, orderEvents } from '../../test/support/events';
import { eventually } from '../../test/support/payments';
import { EventLog, type ChangeEvent } from './event-log';
import { startNatsRelay } from './nats-relay';
import { RELAY_APPLICATION } from './relay-lease';
import { EventRecorder } from './sequencer';

/** Every message in the stream, oldest first, as its ChangeEvent and message id. */
async function streamContents(nats: NatsConnection, stream: string): Promise<Array<{ event: ChangeEvent; msgId: string | undefined; subject: string }>> {
  const info = await (await jetstreamManager(nats)).streams.info(stream);
  const total = info.state.messages;
  if (total === 0) return [];
  const consumer = await jetstream(nats).consumers.get(stream);
  const messages = await consumer.fetch({ max_messages: total, expires: 5_000 });
  const contents = [];
  for await (const message of messages) {
    contents.push({ event: message.json<ChangeEvent>(), msgId: message.headers?.get('Nats-Msg-Id'), subject: message.subject });
    if (contents.length === total) break;
  }
  return contents;
}

const streamCount = async (nats: NatsConnection, stream: string): Promise<number> =>
  (await (await jetstreamManager(nats)).streams.info(stream).catch(() => undefined))?.state.messages ?? 0;

describeWithDatabase('the NATS relay', () => {
  let database: ThrowawayDatabase;
  let eventLog: EventLog;
  let recorder: EventRecorder;

  beforeEach(async () => {
    database = await throwawayDatabase();
    eventLog = await EventLog.open(database.url, silentLogger);
    recorder = new EventRecorder(eventLog, silentLogger);
  });

  afterEach(async () => {
    recorder.close();
    await eventLog.close();
    await database.drop();
  });

  describeWithNats('against the machine’s NATS', () => {
    let nats: NatsConnection;
    let stream: string;

    beforeEach(async () => {
      nats = await connect({ servers: natsUrl });
      stream = uniqueStream();
    });

    afterEach(async () => {
      await (await jetstreamManager(nats)).streams.delete(stream).catch(() => undefined);
      await nats.close();
    });

    it('publishes each event once, in id order, to atrium.events.<type> with its id as Nats-Msg-Id', async () => {
      await recorder.record(orderEvents(1, 5));
      const relay = await startNatsRelay(eventLog, natsUrl, silentLogger, { stream });
      try {
        await recorder.record([
          ...orderEvents(6, 5),
          { type: 'ticket.updated', key: 't-1', customerId: 'cust-2', attributes: { ticketId: 't-1', status: 'OPEN' }, source: 'test:t' },
        ]);
        await eventually(async () => (await streamCount(nats, stream)) === 11);
        const contents = await streamContents(nats, stream);
        expect(contents.map(({ event }) => event.id)).toEqual(ids(1, 11));
        expect(contents.map(({ msgId }) => msgId)).toEqual(ids(1, 11));
        expect(contents[0]?.subject).toBe(`${stream.toLowerCase().replaceAll('_', '.')}.order.updated`);
        expect(contents[10]).toMatchObject({
          subject: `${stream.toLowerCase().replaceAll('_', '.')}.ticket.updated`,
          event: { type: 'ticket.updated', key: 't-1', customerId: 'cust-2', attributes: { ticketId: 't-1', status: 'OPEN' } },
        });
      } finally {
        await relay.close();
      }
    });

    it('with two relays at once, one relays and each event is in the stream once; the other takes over when it stops', async () => {
      const first = await startNatsRelay(eventLog, natsUrl, silentLogger, { stream });
      const second = await startNatsRelay(eventLog, natsUrl, silentLogger, { stream });
      try {
        for (let batch = 0; batch < 10; batch += 1) await recorder.record(orderEvents(batch * 50 + 1, 50));
        await eventually(async () => (await streamCount(nats, stream)) >= 500, 10_000);
        await first.close();
        await recorder.record(orderEvents(501, 100));
        await eventually(async () => (await streamCount(nats, stream)) >= 600, 10_000);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect((await streamContents(nats, stream)).map(({ event }) => event.id)).toEqual(ids(1, 600));
      } finally {
        await first.close();
        await second.close();
      }
    });

    it('when the leader’s database connection dies, a relay takes over and nothing is lost or doubled', async () => {
      const first = await startNatsRelay(eventLog, natsUrl, silentLogger, { stream });
      const second = await startNatsRelay(eventLog, natsUrl, silentLogger, { stream });
      try {
        await recorder.record(orderEvents(1, 100));
        await eventually(async () => (await streamCount(nats, stream)) === 100);
        const { rowCount } = await eventLogQuery(
          database.url,
          'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = current_database()',
          [RELAY_APPLICATION],
        );
        expect(rowCount).toBeGreaterThan(0);
        await recorder.record(orderEvents(101, 100));
        await eventually(async () => (await streamCount(nats, stream)) >= 200, 10_000);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect((await streamContents(nats, stream)).map(({ event }) => event.id)).toEqual(ids(1, 200));
      } finally {
        await first.close();
        await second.close();
      }
    });

    it('restarted, continues from its watermark: none lost, none doubled', async () => {
      const first = await startNatsRelay(eventLog, natsUrl, silentLogger, { stream });
      await recorder.record(orderEvents(1, 300));
      await eventually(async () => (await streamCount(nats, stream)) === 300);
      await first.close();
      await recorder.record(orderEvents(301, 300));
      const second = await startNatsRelay(eventLog, natsUrl, silentLogger, { stream });
      try {
        await eventually(async () => (await streamCount(nats, stream)) >= 600, 10_000);
        expect((await streamContents(nats, stream)).map(({ event }) => event.id)).toEqual(ids(1, 600));
        const { rows } = await eventLogQuery(database.url, 'select last_id::text as "lastId" from atrium_event_relay where name = $1', [stream]);
        expect(rows).toEqual([{ lastId: '600' }]);
      } finally {
        await second.close();
      }
    });
  });

  describeWithNatsServer('against a NATS that stops and comes back', () => {
    it('retries while NATS is down and catches up when it is back, nothing lost', async () => {
      const server = await startOwnNatsServer();
      const stream = uniqueStream();
      const relay = await startNatsRelay(eventLog, server.url, silentLogger, { stream });
      let nats: NatsConnection | undefined;
      try {
        await recorder.record(orderEvents(1, 100));
        nats = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
        await eventually(async () => (await streamCount(nats as NatsConnection, stream)) === 100);
        await server.stop();
        await recorder.record(orderEvents(101, 100));
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await server.start();
        await eventually(async () => (await streamCount(nats as NatsConnection, stream).catch(() => 0)) >= 200, 20_000);
        expect((await streamContents(nats, stream)).map(({ event }) => event.id)).toEqual(ids(1, 200));
      } finally {
        await relay.close();
        await nats?.close();
        await server.remove();
      }
    });
  });
});

async function eventLogQuery(url: string, text: string, values: unknown[]) {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}
