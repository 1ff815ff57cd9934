import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { silentLogger } from '../log';
import { throwawayDatabase, type ThrowawayDatabase } from '../../scripts/throwaway-database';
import { describeWithDatabase } from '../../test/support/database';
import { describeWithNats, describeWithNatsServer, natsUrl, startOwnNatsServer, uniqueStream } from '../../test/support/nats';
import { ids, orderEvents } from '../../test/support/events';
import { eventually } from '../../test/support/payments';
import { EventLog, type ChangeEvent } from './event-log';
import { openEventFeed, type EventFeed } from './event-feed';
import { NatsEventFeed } from './nats-event-feed';
import { startNatsRelay, type NatsRelay } from './nats-relay';
import { subjectOf } from './nats-stream';
import { PostgresEventFeed } from './postgres-event-feed';
import { EventRecorder } from './sequencer';

/** A started feed and the ids its listener heard, in order. */
async function heard(feed: EventFeed): Promise<string[]> {
  const seen: string[] = [];
  feed.onEvent((event) => seen.push(event.id));
  await feed.start();
  return seen;
}

/** 1,000 events recorded by four concurrent writers, in batches, as sources in several processes would. */
async function recordThousand(recorder: EventRecorder, offset = 0): Promise<void> {
  await Promise.all(
    [0, 1, 2, 3].map(async (writer) => {
      for (let batch = 0; batch < 10; batch += 1) await recorder.record(orderEvents(offset + writer * 250 + batch * 25 + 1, 25));
    }),
  );
}

describeWithDatabase('event feeds', () => {
  let database: ThrowawayDatabase;
  let eventLog: EventLog;
  let recorder: EventRecorder;
  const feeds: EventFeed[] = [];

  beforeEach(async () => {
    database = await throwawayDatabase();
    eventLog = await EventLog.open(database.url, silentLogger);
    recorder = new EventRecorder(eventLog, silentLogger);
    await recorder.record(orderEvents(-9, 10));
  });

  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((feed) => feed.close()));
    recorder.close();
    await eventLog.close();
    await database.drop();
  });

  it('openEventFeed reads PostgreSQL without NATS_URL and JetStream with it', () => {
    expect(openEventFeed(eventLog, { natsUrl: undefined, natsStream: 'ATRIUM_EVENTS' }, silentLogger)).toBeInstanceOf(PostgresEventFeed);
    expect(openEventFeed(eventLog, { natsUrl: 'nats://127.0.0.1:1', natsStream: 'ATRIUM_EVENTS' }, silentLogger)).toBeInstanceOf(NatsEventFeed);
  });

  /** Two replicas' feeds started, 1,000 events recorded: each must hear all, once, in order, and nothing more after. */
  async function expectReplicasHearThousand(replicas: EventFeed[]): Promise<void> {
    feeds.push(...replicas);
    const [first, second] = await Promise.all(replicas.map(heard));
    await recordThousand(recorder);
    await eventually(() => first?.length === 1_000 && second?.length === 1_000, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(first).toEqual(ids(11, 1_010));
    expect(second).toEqual(ids(11, 1_010));
  }

  it('PostgreSQL: two replicas each hear 1,000 events from the head on, once each, in order', async () => {
    await expectReplicasHearThousand([
      new PostgresEventFeed(eventLog, database.url, silentLogger),
      new PostgresEventFeed(eventLog, database.url, silentLogger),
    ]);
  });

  it('a listener that throws does not keep the others from hearing', async () => {
    const feed = new PostgresEventFeed(eventLog, database.url, silentLogger);
    feeds.push(feed);
    feed.onEvent(() => {
      throw new Error('listener failed');
    });
    const seen = await heard(feed);
    await recorder.record(orderEvents(1, 3));
    await eventually(() => seen.length === 3);
    expect(seen).toEqual(ids(11, 13));
  });

  describeWithNats('over JetStream', () => {
    let nats: NatsConnection;
    let stream: string;
    let relay: NatsRelay;

    beforeEach(async () => {
      nats = await connect({ servers: natsUrl });
      stream = uniqueStream();
      relay = await startNatsRelay(eventLog, natsUrl, silentLogger, { stream });
    });

    afterEach(async () => {
      await relay.close();
      await (await jetstreamManager(nats)).streams.delete(stream).catch(() => undefined);
      await nats.close();
    });

    it('two replicas each hear 1,000 events from the head on, once each, in order', async () => {
      await expectReplicasHearThousand([
        new NatsEventFeed(eventLog, natsUrl, silentLogger, { stream }),
        new NatsEventFeed(eventLog, natsUrl, silentLogger, { stream }),
      ]);
    });

    it('fills a gap from the log before an id that skips ahead, and drops ids already heard', async () => {
      await relay.close();
      const feed = new NatsEventFeed(eventLog, natsUrl, silentLogger, { stream });
      feeds.push(feed);
      const events: ChangeEvent[] = [];
      feed.onEvent((event) => events.push(event));
      await feed.start();
      const manager = await jetstreamManager(nats);
      await eventually(
        async () =>
          (
            await manager.consumers
              .list(stream)
              .next()
              .catch(() => [])
          ).length > 0,
      );
      // Recorded, but the relay is stopped: the stream only gets what this test publishes by hand, and the feed
      // reads the log only to fill a gap.
      await recorder.record(orderEvents(1, 5));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(events).toEqual([]);
      const [, , , , fifth] = await eventLog.after('10', { limit: 5 });
      const js = jetstream(nats);
      await js.publish(subjectOf(stream, 'order.updated'), JSON.stringify(fifth));
      await js.publish(subjectOf(stream, 'order.updated'), JSON.stringify(fifth));
      await js.publish(subjectOf(stream, 'order.updated'), '{"not":"an event"}');
      await eventually(() => events.length === 5);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(events.map((event) => event.id)).toEqual(ids(11, 15));
      expect(events[4]).toEqual(fifth);
    });
  });

  describeWithNatsServer('over a NATS that restarts', () => {
    it('the feed reconnects and hears every event in order', async () => {
      const server = await startOwnNatsServer();
      const stream = uniqueStream();
      const relay = await startNatsRelay(eventLog, server.url, silentLogger, { stream });
      const feed = new NatsEventFeed(eventLog, server.url, silentLogger, { stream });
      feeds.push(feed);
      try {
        const seen = await heard(feed);
        await recorder.record(orderEvents(1, 50));
        await eventually(() => seen.length === 50);
        await server.stop();
        await recorder.record(orderEvents(51, 50));
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await server.start();
        await recorder.record(orderEvents(101, 50));
        await eventually(() => seen.length === 150, 25_000);
        expect(seen).toEqual(ids(11, 160));
      } finally {
        await relay.close();
        await feed.close();
        await server.remove();
      }
    });
  });
});
