import { cpuMs } from '../../bench/process-stats';
import type { ProcessStack } from '../process-stack';
import { failuresOf, pause, serviceClient } from './clients';
import type { Scenario } from './scenario';

/** The gateway's deadline in these scenarios: far shorter than the slow ERP, so every ERP read outlives its request. */
const DEADLINE_MS = 500;

const ORDERS_OF = 'query($id: ID!) { customer(id: $id) { id orders(first: 5) { id } } }';
const PROFILE = 'query($id: ID!) { customer(id: $id) { id name orders(first: 5) { id status } preferences { language } supportTickets { id } } }';
/** A page of customers with their orders: one ERP batch of up to 100 customers, a large SOAP answer to parse. */
const PAGE_WITH_ORDERS = 'query($first: Int!) { customers(first: $first) { nodes { id orders(first: 50) { id status placedAt total { amount currency } } } } }';

const erpReads = async (stack: ProcessStack) => (await stack.calls('erp')).calls.GetOrdersByCustomerIds ?? 0;

/**
 * Loads the ERP's WSDL (and every other first-use cost) before faults are injected, so the scenarios measure business
 * calls only. A cold stack may need longer than the short deadline for its first profile: asked until one is whole.
 */
async function warmUp(stack: ProcessStack): Promise<void> {
  await stack.setFaults('erp', { latencyMs: 0, errorRate: 0, down: false, dropResponseRate: 0 });
  const client = await serviceClient(stack, 'deadline-warm-up');
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const answer = await client.ask(PROFILE, { id: 'cust-1' });
    if (answer.status === 200 && answer.errors === undefined) return;
    await pause(250);
  }
  throw new Error('the stack never answered a whole profile');
}

/**
 * Requests whose ERP reads outlive the deadline (each attempt times out, so the old policy kept retrying): once the
 * gateway has answered, the orders subgraph must send the ERP nothing more, and must have freed its bulkhead for the
 * next caller as soon as the ERP recovers.
 */
const retriesStop: Scenario = {
  name: 'deadline: backend calls stop at the deadline',
  expectation: `after a ${DEADLINE_MS} ms deadline passes, no further ERP call is sent and another client's profile gets its orders`,
  stackEnv: {
    BACKEND_TIMEOUT_MS: '2000',
    BACKEND_RETRIES: '3',
    BACKEND_BACKOFF_MS: '20',
    BACKEND_BACKOFF_MAX_MS: '100',
    BULKHEAD_LIMIT: '8',
    BULKHEAD_QUEUE: '8',
    RATE_LIMIT_RATE: '1000',
    RATE_LIMIT_BURST: '2000',
  },
  serviceEnv: { gateway: { REQUEST_DEADLINE_MS: String(DEADLINE_MS) } },
  async run(stack) {
    await warmUp(stack);
    await stack.resetCalls();
    // Longer than an attempt's 2 s timeout: without deadlines each read would be attempted four times.
    await stack.setFaults('erp', { latencyMs: 2_500 });
    const flood = await serviceClient(stack, 'deadline-flood');
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => flood.ask(ORDERS_OF, { id: `cust-${801 + i}` })));
    // The ERP is quick again; only calls sent from now on see it so.
    await stack.setFaults('erp', { latencyMs: 0 });
    const other = await (await serviceClient(stack, 'deadline-other')).ask(PROFILE, { id: 'cust-820' });
    const otherOrders = Array.isArray((other.data?.customer as { orders?: unknown } | null | undefined)?.orders);
    // Every read sent before the deadline has been answered by the ERP (and counted) 2.5 s after it was sent.
    await pause(3_000 - (performance.now() - started));
    const settled = await erpReads(stack);
    await pause(5_500 - (performance.now() - started));
    const later = await erpReads(stack);
    await stack.setFaults('erp', { latencyMs: 0 });
    return {
      ...failuresOf([...answers, other]),
      doubleBooked: 0,
      outcome: `ERP reads ${settled} at +3 s, ${later} at +5.5 s; another client's profile ${otherOrders ? 'with' : 'WITHOUT'} orders in ${Math.round(other.ms)} ms`,
      passed: later === settled && settled <= answers.length + 1 && otherOrders && failuresOf([...answers, other]).serverErrors === 0,
    };
  },
};

/**
 * Large reads whose ERP answers arrive after the deadline: the orders subgraph must not parse and resolve answers
 * nobody waits for (its CPU idles from a second after the deadline), and a profile another client asks meanwhile is
 * answered by its own deadline.
 */
const subgraphIdles: Scenario = {
  name: 'deadline: the subgraph idles after the deadline',
  expectation: `from 1 s after a ${DEADLINE_MS} ms deadline the orders subgraph uses under 10% of a core, and another client's profile is answered by its deadline`,
  stackEnv: retriesStop.stackEnv,
  serviceEnv: retriesStop.serviceEnv,
  async run(stack) {
    await warmUp(stack);
    const pid = stack.services.orders?.pid();
    if (pid === undefined) throw new Error('the orders subgraph is not running');
    await stack.resetCalls();
    // Slower than the deadline, within an attempt's timeout: the ERP answers every read, after its request is gone.
    await stack.setFaults('erp', { latencyMs: 1_200 });
    const flood = await serviceClient(stack, 'deadline-pages');
    const otherClient = await serviceClient(stack, 'deadline-concurrent');
    const started = performance.now();
    // Distinct page sizes: no two requests are the same query, so none is deduplicated on the way.
    const pages = await Promise.all(Array.from({ length: 16 }, (_, i) => flood.ask(PAGE_WITH_ORDERS, { first: 100 - i })));
    await pause(DEADLINE_MS + 1_000 - (performance.now() - started));
    const before = cpuMs(pid);
    // Asked while the ERP's late answers arrive: without deadlines the subgraph would be busy with them now.
    const other = await otherClient.ask(PROFILE, { id: 'cust-830' });
    const answers = [...pages, other];
    await pause(DEADLINE_MS + 2_000 - (performance.now() - started));
    const windowCpuMs = cpuMs(pid) - before;
    await stack.setFaults('erp', { latencyMs: 0 });
    const reads = await erpReads(stack);
    const otherServed = (other.data?.customer as { name?: unknown } | null | undefined)?.name !== undefined && other.ms < DEADLINE_MS + 300;
    return {
      ...failuresOf(answers),
      doubleBooked: 0,
      outcome: `orders subgraph ${Math.round(windowCpuMs)} ms CPU in the second from +1 s after the deadline; ${reads} ERP reads for 16 pages; another client's profile in ${Math.round(other.ms)} ms`,
      passed: windowCpuMs < 100 && otherServed && failuresOf(answers).serverErrors === 0,
    };
  },
};

export const scenarios: Scenario[] = [retriesStop, subgraphIdles];
