import type { ProcessStack } from '../process-stack';
import { failuresOf, serviceClient, type ClientAnswer } from './clients';
import type { Scenario } from './scenario';

const PROFILE = 'query($id: ID!) { customer(id: $id) { id name orders(first: 5) { id status } preferences { language } supportTickets { id } } }';

/** Default resilience settings; only the gateway's rate limit is raised, so one client may send the whole burst. */
const stackEnv = { RATE_LIMIT_RATE: '1000', RATE_LIMIT_BURST: '2000' };

/** Orders answered live: a list, and not a last good value standing in for a failed read. */
const keptOrders = (answer: ClientAnswer) => {
  const orders = (answer.data?.customer as { orders?: unknown } | null | undefined)?.orders;
  const stale = (answer.extensions?.stale as { backends?: string[] } | undefined)?.backends ?? [];
  return Array.isArray(orders) && !stale.includes('ERP');
};

/** `closed` while the orders subgraph's `/ready` answers 200, `open` while it answers 503 (its ERP circuit open). */
async function erpCircuit(stack: ProcessStack): Promise<'closed' | 'open'> {
  const ready = await fetch((stack.subgraphUrls.orders as string).replace('/graphql', '/ready'));
  return ready.status === 200 ? 'closed' : 'open';
}

/** Loads the ERP's WSDL before faults are injected, with a customer no scenario reads. */
async function warmUp(stack: ProcessStack): Promise<void> {
  await stack.setFaults('erp', { latencyMs: 0, errorRate: 0, down: false, dropResponseRate: 0 });
  await (await serviceClient(stack, 'breaker-warm-up')).ask(PROFILE, { id: 'cust-1' });
}

/**
 * 40 cold profiles (each a customer read nowhere before, so neither a cache nor a last good value can help) while
 * half of the ERP's calls fail: retries rescue nearly all of them, and as the breaker counts calls rather than
 * attempts, the circuit stays closed.
 */
const halfFailing: Scenario = {
  name: 'breaker: reads survive a 50% error rate',
  expectation: 'with default settings and the ERP failing half its calls, at least 34 of 40 cold profiles keep their orders and the circuit stays closed',
  stackEnv,
  async run(stack) {
    await warmUp(stack);
    await stack.setFaults('erp', { errorRate: 0.5 });
    const client = await serviceClient(stack, 'breaker-half-failing');
    // One after another, as a steady stream of callers: each read's attempts reach the breaker in turn.
    const answers: ClientAnswer[] = [];
    for (let i = 0; i < 40; i += 1) answers.push(await client.ask(PROFILE, { id: `cust-${901 + i}` }));
    // Not only closed at the end: never opened on the way (a half-open trial could have closed it again).
    const opened = stack.logs().some((line) => line.service === 'orders' && line.msg === 'ERP circuit open');
    const circuit = opened ? 'opened' : await erpCircuit(stack);
    await stack.setFaults('erp', { errorRate: 0 });
    const kept = answers.filter(keptOrders).length;
    const lost = answers.find((answer) => !keptOrders(answer));
    return {
      ...failuresOf(answers),
      doubleBooked: 0,
      // What the first profile without orders got, so a failure says why.
      outcome: `${kept}/40 with orders, circuit ${circuit}${lost ? ` (first without: HTTP ${lost.status} ${lost.errors?.[0]?.extensions?.code ?? ''})` : ''}`,
      passed: kept >= 34 && circuit === 'closed' && failuresOf(answers).serverErrors === 0,
    };
  },
};

/**
 * The ERP down: the circuit opens once a window's worth of calls failed, and from then on profiles answer at once,
 * whole but for their orders (null, with an error at their path).
 */
const outage: Scenario = {
  name: 'breaker: the circuit opens when the ERP is down',
  expectation: 'with the ERP down the circuit opens, and then every profile answers within 200 ms with orders null and a pathed error',
  stackEnv,
  async run(stack) {
    await warmUp(stack);
    await stack.setFaults('erp', { down: true });
    const client = await serviceClient(stack, 'breaker-outage');
    const tripping: ClientAnswer[] = [];
    // Enough failed calls for the default window (10 s at 1 call/s) to judge, in bursts; bounded.
    for (let burst = 0; burst < 4 && (await erpCircuit(stack)) === 'closed'; burst += 1)
      tripping.push(...(await Promise.all(Array.from({ length: 12 }, (_, i) => client.ask(PROFILE, { id: `cust-${950 + burst * 12 + i}` })))));
    const circuit = await erpCircuit(stack);
    const timed: ClientAnswer[] = [];
    for (let i = 0; i < 5; i += 1) timed.push(await client.ask(PROFILE, { id: `cust-${990 + i}` }));
    await stack.setFaults('erp', { down: false });
    const slowest = Math.max(...timed.map((answer) => answer.ms));
    const partial = timed.every(
      (answer) =>
        (answer.data?.customer as { name?: unknown; orders?: unknown } | null | undefined)?.orders === null &&
        typeof (answer.data?.customer as { name?: unknown }).name === 'string' &&
        answer.errors?.some((error) => error.path?.join('.') === 'customer.orders' && error.extensions?.code === 'BACKEND_UNAVAILABLE') === true,
    );
    return {
      ...failuresOf([...tripping, ...timed]),
      doubleBooked: 0,
      outcome: `circuit ${circuit} after ${tripping.length} profiles; then 5 profiles in at most ${Math.round(slowest)} ms, ${partial ? 'each' : 'NOT each'} partial with orders null`,
      passed: circuit === 'open' && slowest < 200 && partial && failuresOf([...tripping, ...timed]).serverErrors === 0,
    };
  },
};

export const scenarios: Scenario[] = [halfFailing, outage];
