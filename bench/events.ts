import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { EventLog, type NewEvent } from '../platform/events/event-log';
import { EventRecorder } from '../platform/events/sequencer';
import { silentLogger } from '../platform/log';
import { fixed, markdownTable } from './report';
import type { BenchStack } from './stack';
import { startAtriumGateway } from './targets';

/** Subscribers, each following one customer's orders over graphql-ws. */
const SUBSCRIBERS = 20;
/** How long deliveries may trail the last event before what has not arrived counts as lost. */
const SETTLE_MS = 15_000;

const ORDER_UPDATED = 'subscription($c: ID!) { orderUpdated(customerId: $c) { id status total { amount currency } customer { name } } }';

export interface EventsRun {
  offeredPerSecond: number;
  sent: number;
  delivered: number;
  deliveredPerSecond: number;
  /** From the event's commit to the subscriber's receipt. */
  p50Ms: number;
  p99Ms: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/**
 * Events through a production gateway: `SUBSCRIBERS` graphql-ws subscribers, each on its own customer, while events
 * are recorded into the log at `rate` per second for `seconds`. Each event is read through the supergraph for its
 * subscriber; counted are the events delivered per second and the time from the event's commit (its `occurredAt`)
 * to its arrival.
 */
export async function measureEvents(stack: BenchStack, rates: number[], seconds: number): Promise<EventsRun[]> {
  const gateway = await startAtriumGateway(stack, 'atrium-events');
  const log = await EventLog.open(stack.databaseUrl, silentLogger);
  const recorder = new EventRecorder(log, silentLogger);
  const token = await stack.accessToken();
  try {
    const followed: { orderId: string; customerId: string }[] = [];
    for (let n = 1; followed.length < SUBSCRIBERS; n += 1) {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: `{ order(id: "ord-${n}") { id customer { id } } }` }),
      });
      const order = ((await response.json()) as { data: { order: { id: string; customer: { id: string } } } }).data.order;
      if (!followed.some((seen) => seen.customerId === order.customer.id)) followed.push({ orderId: order.id, customerId: order.customer.id });
    }
    const latencies: number[] = [];
    const clients = followed.map(({ customerId }) => {
      const client = createClient({
        url: gateway.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
      });
      client.subscribe(
        { query: ORDER_UPDATED, variables: { c: customerId } },
        {
          next: ({ extensions }) => void latencies.push(Date.now() - Date.parse(String((extensions as { occurredAt?: string })?.occurredAt))),
          error: () => undefined,
          complete: () => undefined,
        },
      );
      return client;
    });
    await sleep(1_000);
    const runs: EventsRun[] = [];
    let change = 0;
    for (const rate of rates) {
      latencies.length = 0;
      // Recorded every 50 ms, as many as the rate asks for, spread over the followed customers.
      const perTick = Math.max(1, Math.round(rate / 20));
      const started = performance.now();
      let sent = 0;
      while (performance.now() - started < seconds * 1_000) {
        const batch: NewEvent[] = Array.from({ length: perTick }, () => {
          const { orderId, customerId } = followed[(change += 1) % followed.length] as (typeof followed)[number];
          return { type: 'order.updated', key: orderId, customerId, attributes: { orderId }, source: `bench:${Date.now()}:${change}` };
        });
        await recorder.record(batch);
        sent += batch.length;
        await sleep(Math.max(0, started + (sent / perTick) * 50 - performance.now()));
      }
      const elapsed = (performance.now() - started) / 1_000;
      const deadline = Date.now() + SETTLE_MS;
      while (latencies.length < sent && Date.now() < deadline) await sleep(100);
      const sorted = [...latencies].sort((a, b) => a - b);
      runs.push({
        offeredPerSecond: rate,
        sent,
        delivered: latencies.length,
        deliveredPerSecond: latencies.length / Math.max(elapsed, (sorted.at(-1) ?? 0) / 1_000),
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
      });
    }
    await Promise.all(clients.map((client) => client.dispose()));
    return runs;
  } finally {
    recorder.close();
    await log.close();
    await gateway.process.stop();
  }
}

/** The runs as a table. */
export function eventsTable(runs: EventsRun[]): string {
  return markdownTable(
    ['offered events/s', 'sent', 'delivered', 'delivered/s', 'p50 ms', 'p99 ms'],
    ['right', 'right', 'right', 'right', 'right', 'right'],
    runs.map((run) => [
      String(run.offeredPerSecond),
      String(run.sent),
      String(run.delivered),
      fixed(run.deliveredPerSecond, 0),
      fixed(run.p50Ms, 0),
      fixed(run.p99Ms, 0),
    ]),
  );
}
