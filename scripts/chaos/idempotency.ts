import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClientAsync } from 'soap';
import type { ProcessStack } from '../process-stack';
import type { Scenario, ScenarioResult } from './scenario';

/** Two customers of one OAuth client: their keys must never collide. */
export const CUSTOMERS = ['cust-1', 'cust-2'] as const;
const KEYS_PER_CUSTOMER = 4;
/** Answers a client retries with the same key: nothing was booked yet, or the first attempt is still running. */
const RETRYABLE = new Set(['IDEMPOTENCY_KEY_IN_PROGRESS', 'IDEMPOTENCY_UNAVAILABLE', 'BACKEND_UNAVAILABLE', 'SUBGRAPH_UNAVAILABLE', 'RATE_LIMITED']);
/** With RETRY_PAUSE_MS between them: long enough for an ERP circuit opened by lost answers to close again. */
const ATTEMPTS = 30;
const RETRY_PAUSE_MS = 500;

const PLACE_ORDER = 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id customer { id } } }';

/** One order request as a client sends it. */
export interface OrderRequest {
  customerId: string;
  idempotencyKey: string;
  lines: { sku: string; quantity: number }[];
  /** A payment provider's token (pm_card_visa); paid by invoice without one. */
  paymentMethod?: string;
}

/** What the client finally got: the order id, or the error code that ended its retries. */
export type Outcome = { orderId: string } | { code: string };

/** Counts what a client sent and how it was answered. */
export class Traffic {
  requests = 0;
  serverErrors = 0;
  dropped = 0;

  constructor(private readonly stack: ProcessStack) {}

  /** Sends the request, retrying as a careful client would (same key, same body) while the answer says "retry". */
  async placeOrder(token: string, input: OrderRequest): Promise<Outcome> {
    let last: Outcome = { code: 'NO_ANSWER' };
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      this.requests++;
      let response: Response;
      try {
        response = await fetch(this.stack.gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: PLACE_ORDER, variables: { input } }),
          signal: AbortSignal.timeout(10_000),
        });
      } catch {
        this.dropped++;
        last = { code: 'NO_ANSWER' };
        await sleep(RETRY_PAUSE_MS);
        continue;
      }
      if (response.status >= 500) this.serverErrors++;
      const body = (await response.json().catch(() => ({}))) as {
        data?: { placeOrder?: { id: string } | null };
        errors?: { extensions?: { code?: string } }[];
      };
      const id = body.data?.placeOrder?.id;
      if (id) return { orderId: id };
      last = { code: body.errors?.[0]?.extensions?.code ?? `HTTP_${response.status}` };
      if (!('code' in last) || !RETRYABLE.has(last.code)) return last;
      await sleep(RETRY_PAUSE_MS);
    }
    return last;
  }

  result(outcome: string, doubleBooked: number, passed: boolean): ScenarioResult {
    return { requests: this.requests, serverErrors: this.serverErrors, dropped: this.dropped, doubleBooked, outcome, passed };
  }
}

/** A customer's token from the stack's issuer: the same OAuth client for every customer, a different subject. */
export const customerToken = (stack: ProcessStack, customerId: string) =>
  stack.token({ sub: customerId, role: 'customer', scopes: 'orders:read orders:write customers:read' });

/** The ERP's own books: every order id it holds for the customer, read over SOAP as any ERP client would. */
export async function erpOrderIds(stack: ProcessStack, customerId: string): Promise<Set<string>> {
  const client = await createClientAsync(`${stack.backendUrls.erp}/erp?wsdl`);
  const [answer] = (await client.GetOrdersByCustomerIdsAsync({ CustomerId: [customerId] })) as [{ Order?: { OrderId: string } | { OrderId: string }[] }];
  const orders = answer.Order === undefined ? [] : Array.isArray(answer.Order) ? answer.Order : [answer.Order];
  return new Set(orders.map((order) => order.OrderId));
}

/** Stops a service the way an orchestrator does (SIGTERM) and starts it again on the same port and data folder. */
export async function restart(stack: ProcessStack, ...names: string[]): Promise<void> {
  for (const name of names) {
    const service = stack.services[name];
    if (!service) throw new Error(`no service ${name}`);
    await service.stop();
    await service.restart();
  }
}

const requestFor = (customerId: string, key: string, quantity = 1): OrderRequest => ({
  customerId,
  idempotencyKey: key,
  lines: [{ sku: 'SKU-0001', quantity }],
});

/**
 * Books `KEYS_PER_CUSTOMER` orders for each customer with the same keys, each sent twice at once (a client retrying
 * while its first attempt runs), restarts the orders subgraph and the ERP half-way, then replays every key (same
 * body: the same order; another body: IDEMPOTENCY_KEY_REUSED) and counts the ERP's new orders per customer.
 */
const acrossCustomersAndRestarts: Scenario = {
  name: 'idempotency across customers and restarts',
  expectation:
    'two customers with the same keys each get their own order per key, a replay after restarting orders and the ERP returns the same order, another body is IDEMPOTENCY_KEY_REUSED, and the ERP holds exactly one new order per customer and key',
  async run(stack) {
    const traffic = new Traffic(stack);
    const run = randomUUID().slice(0, 8);
    const keys = Array.from({ length: KEYS_PER_CUSTOMER }, (_, i) => `chaos-${run}-${i}`);
    const tokens = Object.fromEntries(await Promise.all(CUSTOMERS.map(async (c) => [c, await customerToken(stack, c)] as const)));
    const before = Object.fromEntries(await Promise.all(CUSTOMERS.map(async (c) => [c, await erpOrderIds(stack, c)] as const)));
    const booked = new Map<string, Set<string>>();
    const problems: string[] = [];
    const place = async (customerId: string, key: string) => {
      const twice = await Promise.all([0, 1].map(() => traffic.placeOrder(tokens[customerId] as string, requestFor(customerId, key))));
      for (const outcome of twice) {
        if ('code' in outcome) problems.push(`${customerId}/${key}: ${outcome.code}`);
        else booked.set(`${customerId}/${key}`, (booked.get(`${customerId}/${key}`) ?? new Set()).add(outcome.orderId));
      }
    };

    const half = keys.slice(0, KEYS_PER_CUSTOMER / 2);
    await Promise.all(CUSTOMERS.flatMap((c) => half.map((key) => place(c, key))));
    await restart(stack, 'orders', 'erp');
    await Promise.all(CUSTOMERS.flatMap((c) => keys.map((key) => place(c, key))));

    let reusedRefused = 0;
    for (const c of CUSTOMERS) {
      const other = await traffic.placeOrder(tokens[c] as string, requestFor(c, keys[0] as string, 2));
      if ('code' in other && other.code === 'IDEMPOTENCY_KEY_REUSED') reusedRefused++;
      else problems.push(`${c}: another body with a used key answered ${JSON.stringify(other)}`);
    }

    let doubleBooked = 0;
    let newOrders = 0;
    for (const c of CUSTOMERS) {
      const added = [...(await erpOrderIds(stack, c))].filter((id) => !before[c]?.has(id));
      newOrders += added.length;
      doubleBooked += Math.max(0, added.length - keys.length);
    }
    for (const [who, ids] of booked) if (ids.size > 1) problems.push(`${who}: ${ids.size} different orders`);
    const allIds = [...booked.values()].flatMap((ids) => [...ids]);
    if (new Set(allIds).size !== booked.size) problems.push('two customers or keys share an order');
    const expected = CUSTOMERS.length * keys.length;
    const passed = problems.length === 0 && doubleBooked === 0 && newOrders === expected && booked.size === expected && reusedRefused === CUSTOMERS.length;
    return traffic.result(
      `${booked.size}/${expected} keys booked, ${newOrders} new ERP orders, ${reusedRefused}/${CUSTOMERS.length} reused keys refused${problems.length ? `; ${problems.slice(0, 3).join('; ')}` : ''}`,
      doubleBooked,
      passed,
    );
  },
};

/** The ERP books orders but loses half its answers: the subgraph's retries and the client's must still book each key once. */
const lostAnswers: Scenario = {
  name: 'idempotency when the ERP loses answers',
  expectation: 'with half of the ERP answers lost after booking, every key still ends with exactly one ERP order and the client gets it',
  async run(stack) {
    const traffic = new Traffic(stack);
    const run = randomUUID().slice(0, 8);
    const customerId = CUSTOMERS[0];
    const token = await customerToken(stack, customerId);
    const before = await erpOrderIds(stack, customerId);
    const keys = Array.from({ length: 6 }, (_, i) => `lost-${run}-${i}`);
    await stack.setFaults('erp', { dropResponseRate: 0.5 });
    const outcomes: Outcome[] = [];
    try {
      for (const key of keys) outcomes.push(await traffic.placeOrder(token, requestFor(customerId, key)));
    } finally {
      await stack.setFaults('erp', { dropResponseRate: 0 });
    }
    const replays: Outcome[] = [];
    for (const key of keys) replays.push(await traffic.placeOrder(token, requestFor(customerId, key)));
    const answered = outcomes.filter((o) => 'orderId' in o).length;
    const sameOnReplay = replays.filter(
      (o, i) => 'orderId' in o && 'orderId' in (outcomes[i] as Outcome) && o.orderId === (outcomes[i] as { orderId: string }).orderId,
    ).length;
    const added = [...(await erpOrderIds(stack, customerId))].filter((id) => !before.has(id)).length;
    const doubleBooked = Math.max(0, added - keys.length);
    const unanswered = [...outcomes, ...replays].flatMap((o) => ('code' in o ? [o.code] : []));
    return traffic.result(
      `${answered}/${keys.length} answered under lost answers, ${sameOnReplay}/${keys.length} replays the same order, ${added} new ERP orders${unanswered.length ? `; unanswered: ${[...new Set(unanswered)].join(', ')}` : ''}`,
      doubleBooked,
      doubleBooked === 0 && added === keys.length && sameOnReplay === keys.length,
    );
  },
};

export const scenarios: Scenario[] = [acrossCustomersAndRestarts, lostAnswers];
