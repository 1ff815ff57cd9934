import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClientAsync } from 'soap';
import { adminIntents } from '../../legacy/payments/admin-view';
import type { ProcessStack } from '../process-stack';
import { customerToken, erpOrderIds, Traffic, type Outcome } from './idempotency';
import type { Scenario } from './scenario';

const CUSTOMERS = Array.from({ length: 10 }, (_, i) => `cust-${21 + i}`);
const KEYS = 100;
/** Each key is sent this many times at once: a client that retries while its first attempt is still running. */
const SENDS_PER_KEY = 3;
/** Requests in flight at once, well under the gateway's MAX_INFLIGHT. */
const CONCURRENCY = 24;
/** Every workflow must have finished this long after the last client got its answer. */
export const DRAIN_BOUND_S = 60;

/** Statuses the ERP holds for these orders, read over SOAP. */
export async function erpStatuses(stack: ProcessStack, ids: string[]): Promise<Map<string, string>> {
  const client = await createClientAsync(`${stack.backendUrls.erp}/erp?wsdl`);
  const statuses = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 100) {
    const [answer] = (await client.GetOrdersByIdsAsync({ OrderId: ids.slice(i, i + 100) })) as [
      { Order?: { OrderId: string; Status: string } | { OrderId: string; Status: string }[] },
    ];
    const orders = answer.Order === undefined ? [] : Array.isArray(answer.Order) ? answer.Order : [answer.Order];
    for (const order of orders) statuses.set(order.OrderId, order.Status);
  }
  return statuses;
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function pooled<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

/**
 * 300 card orders for 100 keys (each key sent three times at once, every client retrying with its key) while the ERP
 * and the payment provider each fail 20% of calls and lose 10% of their answers after doing the work. Then the faults
 * stop and the workflows drain: exactly one ERP order and one captured intent per key, no refund, each workflow done.
 */
const placeOrdersUnderFaults: Scenario = {
  name: 'placeOrder under ERP and payment faults',
  expectation: `300 placeOrder for 100 keys with the ERP and the provider each at 20% errors and 10% lost answers: exactly 100 orders, 100 captures, 0 refunds, every workflow confirmed within ${DRAIN_BOUND_S} s of the last answer`,
  stackEnv: { RATE_LIMIT_RATE: '1000', RATE_LIMIT_BURST: '2000' },
  async run(stack) {
    const traffic = new Traffic(stack);
    const run = randomUUID().slice(0, 8);
    const tokens = Object.fromEntries(await Promise.all(CUSTOMERS.map(async (c) => [c, await customerToken(stack, c)] as const)));
    const before = new Set((await Promise.all(CUSTOMERS.map((c) => erpOrderIds(stack, c)))).flatMap((ids) => [...ids]));
    const keys = Array.from({ length: KEYS }, (_, i) => ({ customerId: CUSTOMERS[i % CUSTOMERS.length] as string, idempotencyKey: `pay-${run}-${i}` }));
    const answers = new Map<string, Outcome[]>();
    const faults = { errorRate: 0.2, dropResponseRate: 0.1 };
    await Promise.all([stack.setFaults('erp', faults), stack.setFaults('payments', faults)]);
    const started = performance.now();
    try {
      const sends = keys.flatMap((key) => Array.from({ length: SENDS_PER_KEY }, () => key));
      await pooled(sends, CONCURRENCY, async ({ customerId, idempotencyKey }) => {
        const outcome = await traffic.placeOrder(tokens[customerId] as string, {
          customerId,
          idempotencyKey,
          lines: [{ sku: 'SKU-0005', quantity: 1 }],
          paymentMethod: 'pm_card_visa',
        });
        answers.set(idempotencyKey, [...(answers.get(idempotencyKey) ?? []), outcome]);
      });
    } finally {
      await Promise.all([stack.setFaults('erp', { errorRate: 0, dropResponseRate: 0 }), stack.setFaults('payments', { errorRate: 0, dropResponseRate: 0 })]);
    }
    const answeredS = (performance.now() - started) / 1000;

    const added = (await Promise.all(CUSTOMERS.map((c) => erpOrderIds(stack, c)))).flatMap((ids) => [...ids]).filter((id) => !before.has(id));
    const drainStarted = performance.now();
    let confirmed = 0;
    while ((performance.now() - drainStarted) / 1000 < DRAIN_BOUND_S) {
      confirmed = [...(await erpStatuses(stack, added)).values()].filter((status) => status === 'CONFIRMED').length;
      if (confirmed === added.length) break;
      await sleep(250);
    }
    const drainS = (performance.now() - drainStarted) / 1000;
    const intents = (await adminIntents(stack.backendUrls.payments as string)).filter((intent) => added.includes(intent.metadata.order_id ?? ''));
    const captured = intents.filter((intent) => intent.status === 'succeeded' && intent.amount_received === intent.amount).length;
    const refunds = intents.reduce((sum, intent) => sum + intent.refunds.length, 0);
    const failedKeys = keys.filter(({ idempotencyKey }) => (answers.get(idempotencyKey) ?? []).some((outcome) => 'code' in outcome)).length;
    const distinctPerKey = keys.filter(
      ({ idempotencyKey }) => new Set((answers.get(idempotencyKey) ?? []).flatMap((o) => ('orderId' in o ? [o.orderId] : []))).size > 1,
    ).length;
    const doubleBooked = Math.max(0, added.length - KEYS) + Math.max(0, intents.length - added.length) + distinctPerKey;
    const passed =
      added.length === KEYS && captured === KEYS && intents.length === KEYS && refunds === 0 && confirmed === KEYS && failedKeys === 0 && doubleBooked === 0;
    return traffic.result(
      `${added.length} orders, ${captured} captures, ${refunds} refunds for ${KEYS} keys; all answered in ${answeredS.toFixed(1)} s, ${confirmed}/${added.length} confirmed ${drainS.toFixed(1)} s later${failedKeys ? `; ${failedKeys} keys ended in an error` : ''}`,
      doubleBooked,
      passed,
    );
  },
};

export const scenarios: Scenario[] = [placeOrdersUnderFaults];
