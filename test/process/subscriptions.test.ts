import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { EventLog, type NewEvent } from '../../platform/events/event-log';
import { EventRecorder } from '../../platform/events/sequencer';
import { silentLogger } from '../../platform/log';
import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';
import { describeWithDatabase } from '../support/database';
import { describeWithNats, natsUrl, uniqueStream } from '../support/nats';
import { eventually } from '../support/payments';
import { subscribe, wsClient } from '../support/subscriptions';

jest.setTimeout(240_000);

const ORDER_IDS = /* GraphQL */ `
  subscription Orders($customerId: ID!) {
    orderUpdated(customerId: $customerId) {
      id
    }
  }
`;

/** A subscriber's selection of a kilobyte or so per event, so 10,000 results overflow what the sockets' kernel buffers hold. */
const WHOLE_ORDERS = /* GraphQL */ `
  subscription Whole($customerId: ID!) {
    orderUpdated(customerId: $customerId) {
      id
      status
      placedAt
      total {
        amount
        currency
      }
      lines {
        sku
        lineNumber
        description
        quantity
        unitPrice {
          amount
          currency
        }
        amount {
          amount
          currency
        }
      }
      customer {
        id
        name
      }
    }
  }
`;

/** A process's resident memory in MiB, from /proc. */
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

describeWithDatabase('subscriptions in real processes', () => {
  describeWithNats('two gateway replicas on NATS JetStream', () => {
    let stack: ProcessStack;
    let log: EventLog;
    let recorder: EventRecorder;
    let order: { id: string; customerId: string };
    /** The customer's orders: the events name them in turn. */
    let orders: string[];
    let agent: string;
    let change = 0;
    /** Another customer's order, for the stalled subscriber: the other tests' subscribers do not follow its events. */
    let other: { id: string; customerId: string };
    const changes = (count: number, of = { customerId: order.customerId, orders }): NewEvent[] =>
      Array.from({ length: count }, () => {
        const orderId = of.orders[(change += 1) % of.orders.length] as string;
        return {
          type: 'order.updated' as const,
          key: orderId,
          customerId: of.customerId,
          attributes: { orderId, status: 'SHIPPED' },
          source: `process-test:${change}`,
        };
      });

    beforeAll(async () => {
      stack = await startProcessStack({
        events: true,
        gateways: 2,
        env: { NATS_URL: natsUrl, NATS_STREAM: uniqueStream() },
      });
      log = await EventLog.open(stack.databaseUrl, silentLogger);
      recorder = new EventRecorder(log, silentLogger);
      agent = await stack.token({ role: 'agent', sub: 'agent-1', scopes: 'customers:read orders:read' });
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agent}` },
        body: JSON.stringify({ query: '{ order(id: "ord-1") { id customer { id orders { id } } } }' }),
      });
      const { data } = (await response.json()) as { data: { order: { id: string; customer: { id: string; orders: { id: string }[] } } } };
      order = { id: data.order.id, customerId: data.order.customer.id };
      orders = data.order.customer.orders.map(({ id }) => id);
      for (let n = 2; !other; n += 1) {
        const answer = await fetch(stack.gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${agent}` },
          body: JSON.stringify({ query: `{ order(id: "ord-${n}") { id customer { id } } }` }),
        });
        const found = ((await answer.json()) as { data: { order: { id: string; customer: { id: string } } } }).data.order;
        if (found.customer.id !== order.customerId) other = { id: found.id, customerId: found.customer.id };
      }
    });
    afterAll(async () => {
      recorder?.close();
      await log?.close();
      await stack?.stop();
    });

    it('1,000 events: each replica delivers each one to its own subscriber exactly once, in order', async () => {
      const subscribers = stack.gatewayUrls.map((url) => {
        const client = wsClient(url, { authorization: `Bearer ${agent}` });
        return { client, ...subscribe(client, ORDER_IDS, { customerId: order.customerId }) };
      });
      await sleep(1_000);
      const before = BigInt(await log.head());
      // Recorded 10 at a time, a batch every 20 ms.
      for (let batch = 0; batch < 100; batch += 1) {
        await recorder.record(changes(10));
        await sleep(20);
      }
      await eventually(() => subscribers.every(({ received }) => received.results.length >= 1_000 || received.completed), 120_000);
      await sleep(1_000);
      const expected = Array.from({ length: 1_000 }, (_, n) => String(before + BigInt(n + 1)));
      for (const { received, stop, client } of subscribers) {
        expect(received.error).toBeUndefined();
        expect(received.results.map((result) => result.extensions?.eventId)).toEqual(expected);
        stop();
        await client.dispose();
      }
    });

    it('a stalled subscriber with 10,000 events pending is cut off with 4413 and a reason (its buffer of 1,000 overflowed); the gateway stays within 64 MiB more', async () => {
      const gateway = stack.services.gateway!;
      const socket = new WebSocket(stack.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
      let paused: { pause(): void; resume(): void } | undefined;
      socket.on('upgrade', (response) => (paused = response.socket));
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
      );
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${agent}` } }));
      await new Promise((resolve) => socket.once('message', resolve));
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: WHOLE_ORDERS, variables: { customerId: other.customerId } } }));
      await sleep(500);
      paused?.pause();
      const rssBefore = rssMiB(gateway.pid() as number);
      let rssPeak = rssBefore;
      stack.clearLogs();
      for (let batch = 0; batch < 100; batch += 1) {
        await recorder.record(changes(100, { customerId: other.customerId, orders: [other.id] }));
        rssPeak = Math.max(rssPeak, rssMiB(gateway.pid() as number));
      }
      await eventually(() => stack.logs().some((line) => line.service === 'gateway' && line.msg === 'subscription ended by the gateway'), 30_000);
      rssPeak = Math.max(rssPeak, rssMiB(gateway.pid() as number));
      paused?.resume();
      const { code, reason } = await closed;
      expect(code).toBe(4413);
      expect(reason).toMatch(/more than 1000 events waited/);
      expect(rssPeak - rssBefore).toBeLessThan(64);
    });

    it('SIGTERM on a replica closes its subscriptions with 1012 at once; the subscriber resumes on the other replica from its last event id', async () => {
      const [first, second] = stack.gatewayUrls as [string, string];
      const client = wsClient(first, { authorization: `Bearer ${agent}` });
      const { received } = subscribe(client, ORDER_IDS, { customerId: order.customerId });
      await sleep(500);
      await recorder.record(changes(3));
      // Events of the test before may still be on their way through NATS: this one's own are the last.
      const head = await log.head();
      await eventually(() => received.results.some((result) => result.extensions?.eventId === head), 60_000);
      const gateway = stack.services.gateway!;
      const exited = gateway.exited();
      const signalled = Date.now();
      gateway.signal('SIGTERM');
      await eventually(() => received.completed, 10_000);
      expect((received.error as { code?: number }).code).toBe(1012);
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(5_000);

      await recorder.record(changes(5));
      const last = received.results.at(-1)?.extensions?.eventId;
      const again = wsClient(second, { authorization: `Bearer ${agent}` });
      const resumed = subscribe(again, ORDER_IDS, { customerId: order.customerId }, { lastEventId: last });
      await eventually(() => resumed.received.results.length === 5, 10_000);
      const ids = resumed.received.results.map((result) => BigInt(result.extensions?.eventId as string));
      expect(ids).toEqual(Array.from({ length: 5 }, (_, n) => BigInt(last as string) + BigInt(n + 1)));
      resumed.stop();
      await again.dispose();
      await gateway.restart();
    });
  });
});
