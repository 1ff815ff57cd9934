import pg from 'pg';
import createErpServer from '../../legacy/erp/server';
import { seedAccountCurrencies, seedOrders, seedProducts } from '../../legacy/seed/orders';
import { readSettings } from '../../platform/env';
import { EventLog, type ChangeEvent } from '../../platform/events/event-log';
import { EventRecorder } from '../../platform/events/sequencer';
import { silentLogger } from '../../platform/log';
import { throwawayDatabase, type ThrowawayDatabase } from '../../scripts/throwaway-database';
import { captureLogger } from '../../test/support/capture-logger';
import { describeWithDatabase } from '../../test/support/database';
import { startBackend, type RunningBackend } from '../../test/support/legacy';
import { eventually } from '../../test/support/payments';
import { defaultResilience } from '../kit/resilience';
import { SoapClient } from '../kit/soap-client';
import { ChangeFeedPoller, changeFeedSettings } from './change-feed';
import { ErpClient } from './erp-client';

describeWithDatabase('the change-feed poller, against the ERP and a throwaway database', () => {
  const placed = seedOrders(seedProducts(), seedAccountCurrencies()).filter((order) => order.status === 'PLACED');
  let erp: RunningBackend;
  let soap: SoapClient;
  let database: ThrowawayDatabase;
  let eventLog: EventLog;
  let recorder: EventRecorder;
  let admin: pg.Client;
  let next = 0;
  const pollers: ChangeFeedPoller[] = [];

  beforeEach(async () => {
    erp = await startBackend((options) => createErpServer({ ...options, env: { ERP_FULFILMENT_PACE: 'off' } }));
    soap = new SoapClient({ backend: 'ERP', endpoint: `${erp.url}/erp`, connections: 4, resilience: { ...defaultResilience, retries: 0 }, log: silentLogger });
    database = await throwawayDatabase();
    eventLog = await EventLog.open(database.url, silentLogger);
    recorder = new EventRecorder(eventLog, silentLogger);
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((poller) => poller.close()));
    recorder.close();
    await eventLog.close();
    await admin.end();
    await database.drop();
    await soap.close();
    await erp.stop();
  });

  const poller = async (pollMs = 0, log = silentLogger) => {
    const started = await ChangeFeedPoller.start({ feed: () => new ErpClient(soap), recorder, databaseUrl: database.url, pollMs, log });
    pollers.push(started);
    return started;
  };
  /** Moves `count` more seeded orders on (PLACED to SHIPPED): one change each, and answers their ids. */
  const ship = async (count: number) => {
    const ids = placed.slice(next, next + count).map((order) => order.orderId);
    next += count;
    for (const id of ids) expect((await fetch(`${erp.url}/_admin/orders/${id}/advance`, { method: 'POST' })).status).toBe(200);
    return ids;
  };
  const logged = () => eventLog.after(undefined, { limit: 10_000 });
  const watermark = async () =>
    (await admin.query<{ position: string }>(`select position::text from atrium_feed_watermarks where feed = 'erp'`)).rows[0]?.position;
  const orderIdsOf = (events: ChangeEvent[]) => events.map((event) => event.attributes.orderId);

  it('records each change as an order.updated event under its change number, then moves the watermark on', async () => {
    const ids = await ship(3);
    const feed = await poller();
    expect(await feed.poll()).toBe(3);
    const events = await logged();
    expect(events).toEqual(
      ids.map((orderId, i) => ({
        id: String(i + 1),
        type: 'order.updated',
        key: orderId,
        customerId: placed[i]?.customerId,
        attributes: { orderId, status: 'SHIPPED' },
        occurredAt: expect.any(String),
      })),
    );
    expect(await watermark()).toBe('3');
    expect(await feed.poll()).toBe(0);
    expect(await logged()).toHaveLength(3);
  });

  it('reads a long feed page after page, and goes on from its watermark after a restart', async () => {
    await ship(130);
    const first = await poller();
    expect(await first.poll()).toBe(130);
    await first.close();
    const more = await ship(5);
    const second = await poller();
    expect(await second.poll()).toBe(5);
    const events = await logged();
    expect(events).toHaveLength(135);
    expect(orderIdsOf(events.slice(-5))).toEqual(more);
    expect(new Set(orderIdsOf(events)).size).toBe(135);
  });

  it('records nothing twice when the watermark is behind what was recorded (a crash between the two)', async () => {
    await ship(4);
    expect(await (await poller()).poll()).toBe(4);
    await admin.query(`update atrium_feed_watermarks set position = 1 where feed = 'erp'`);
    expect(await (await poller()).poll()).toBe(3);
    expect(await logged()).toHaveLength(4);
    expect(await watermark()).toBe('4');
  });

  it('records nothing from an ERP whose feed is behind the watermark (its data was reset), and says so', async () => {
    const { log, lines } = captureLogger();
    await ship(2);
    const feed = await poller(0, log);
    await admin.query(`insert into atrium_feed_watermarks (feed, position) values ('erp', 40)`);
    expect(await feed.poll()).toBe(0);
    expect(await logged()).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ watermark: 40, last: 2, msg: expect.stringContaining('fewer changes than were read') }));
  });

  it('lets one poller at a time read the feed: two polling together record each change once', async () => {
    const [a, b] = [await poller(), await poller()];
    for (let round = 0; round < 5; round += 1) {
      await ship(7);
      const read = await Promise.all([a.poll(), b.poll(), a.poll(), b.poll()]);
      // Whichever held the lock read the round's changes; the other found it held or nothing new.
      expect(read.reduce<number>((sum, n) => sum + (n ?? 0), 0)).toBe(7);
    }
    const events = await logged();
    expect(events).toHaveLength(35);
    expect(new Set(orderIdsOf(events)).size).toBe(35);
  });

  it('polls on its own every ERP_FEED_POLL_MS, and after a failed poll goes on from the same watermark', async () => {
    const { log, lines } = captureLogger();
    await ship(2);
    await erp.setFaults({ errorRate: 1 });
    await poller(50, log);
    await eventually(() => lines.some((line) => line.msg === 'change feed: poll failed; the next one starts from the same watermark'));
    expect(await logged()).toEqual([]);
    await erp.setFaults({ errorRate: 0 });
    await ship(1);
    await eventually(async () => (await logged()).length === 3);
    expect(await watermark()).toBe('3');
  });

  it('reads ERP_FEED_POLL_MS: 1000 by default, 0 for off, and refuses other values naming the variable', () => {
    expect(readSettings(changeFeedSettings, {}).pollMs).toBe(1_000);
    expect(readSettings(changeFeedSettings, { ERP_FEED_POLL_MS: '0' }).pollMs).toBe(0);
    for (const value of ['10', 'soon', '60001']) expect(() => readSettings(changeFeedSettings, { ERP_FEED_POLL_MS: value })).toThrow(/ERP_FEED_POLL_MS/);
  });
});
