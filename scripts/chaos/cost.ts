import type { Identity } from '../../platform/identity';
import type { ProcessStack } from '../process-stack';
import { postGraphQL, PROFILE_QUERY } from './clients';
import type { Scenario, ScenarioResult } from './scenario';

/** Each list size in a variable, nested four deep: 100 customers × 100 orders × 100 × 100 if it were ever served. */
const VARIABLES_ATTACK = 'query($n:Int){customers(first:$n){nodes{orders(first:$n){customer{orders(first:$n){customer{orders(first:$n){id}}}}}}}}';
/** No answer within this long counts as dropped: a refusal takes milliseconds, a served attack far longer. */
const ANSWER_TIMEOUT_MS = 5_000;

interface Answer {
  status: number;
  code?: unknown;
  message?: string;
  data?: Record<string, unknown> | null;
  ms: number;
}

/** One GraphQL POST with the first error's code and message at hand; `undefined` when no answer came in time. */
async function post(url: string, token: string, query: string, variables?: Record<string, unknown>): Promise<Answer | undefined> {
  const answer = await postGraphQL(url, { authorization: `Bearer ${token}` }, query, variables, ANSWER_TIMEOUT_MS);
  if (answer.status === 0) return undefined;
  const [error] = answer.errors ?? [];
  return { status: answer.status, code: error?.extensions?.code, message: error?.message, data: answer.data, ms: answer.ms };
}

const tally = (answers: Array<Answer | undefined>) => ({
  serverErrors: answers.filter((answer) => answer && answer.status >= 500).length,
  dropped: answers.filter((answer) => !answer).length,
});
const refusedForCost = (answer: Answer | undefined) => answer?.status === 400 && answer.code === 'COST_LIMIT_EXCEEDED';
const agentToken = (stack: ProcessStack, sub: string) => stack.token({ sub, role: 'agent', scopes: 'customers:read orders:read' });

const variablesAttack: Scenario = {
  name: 'cost: list sizes in variables',
  expectation:
    'an agent nesting first:$n four deep with n=100 is refused with HTTP 400 COST_LIMIT_EXCEEDED before the ERP is called, while a customer loading their profile at the same time is answered in full within 3 s',
  async run(stack): Promise<ScenarioResult> {
    const attacker = await agentToken(stack, 'agent-cost-variables');
    const customer = await stack.token({ sub: 'cust-1', role: 'customer', scopes: 'customers:read orders:read preferences:read tickets:read' });
    // One profile first, so the bar below measures the attack's effect, not a cold start (key fetches, connections).
    const warmUp = await post(stack.gatewayUrl, customer, PROFILE_QUERY, { id: 'cust-1' });
    await stack.resetCalls();
    const alone = await Promise.all(Array.from({ length: 3 }, () => post(stack.gatewayUrl, attacker, VARIABLES_ATTACK, { n: 100 })));
    const erpCalls = (await stack.calls('erp')).total;
    const [attacks, profiles] = await Promise.all([
      Promise.all(Array.from({ length: 3 }, () => post(stack.gatewayUrl, attacker, VARIABLES_ATTACK, { n: 100 }))),
      Promise.all(Array.from({ length: 10 }, () => post(stack.gatewayUrl, customer, PROFILE_QUERY, { id: 'cust-1' }))),
    ]);
    const refused = [...alone, ...attacks].filter(refusedForCost).length;
    const served = profiles.filter((answer) => answer?.status === 200 && (answer.data?.customer as { orders?: unknown } | undefined)?.orders).length;
    const slowest = Math.round(Math.max(...profiles.map((answer) => answer?.ms ?? Infinity)));
    return {
      requests: 1 + alone.length + attacks.length + profiles.length,
      ...tally([warmUp, ...alone, ...attacks, ...profiles]),
      doubleBooked: 0,
      outcome: `attacks ${refused}/6 refused COST_LIMIT_EXCEEDED, ${erpCalls} ERP calls; profiles ${served}/10 with orders, slowest ${slowest} ms`,
      passed: refused === 6 && erpCalls === 0 && served === 10 && slowest < 3_000,
    };
  },
};

/** 1 + 80 × (1 + 80) = 6,481: under MAX_COST (20,000) but 65 points, over the default plan's burst of 40. */
const ABOVE_BURST = 'query($n:Int){customers(first:$n){nodes{orders(first:$n){id}}}}';

const aboveBurst: Scenario = {
  name: 'cost: an operation above the burst',
  expectation:
    "an operation costing more than the caller's whole burst is refused with HTTP 400 COST_LIMIT_EXCEEDED every time (it can never pass), not admitted once per window",
  async run(stack): Promise<ScenarioResult> {
    const token = await agentToken(stack, 'agent-cost-burst');
    await stack.resetCalls();
    const answers: Array<Answer | undefined> = [];
    // Two tries a full refill apart (burst 40 / rate 20 per second): a charge capped at the burst would pass each time.
    answers.push(await post(stack.gatewayUrl, token, ABOVE_BURST, { n: 80 }));
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    answers.push(await post(stack.gatewayUrl, token, ABOVE_BURST, { n: 80 }));
    const backendCalls = Object.values(await Promise.all(Object.keys(stack.backendUrls).map((backend) => stack.calls(backend)))).reduce(
      (sum, calls) => sum + calls.total,
      0,
    );
    const refused = answers.filter(refusedForCost).length;
    const admitted = answers.filter((answer) => answer?.status === 200).length;
    return {
      requests: answers.length,
      ...tally(answers),
      doubleBooked: 0,
      outcome: `${refused}/2 refused COST_LIMIT_EXCEEDED, ${admitted}/2 admitted, ${backendCalls} backend calls`,
      passed: refused === 2 && backendCalls === 0,
    };
  },
};

const agent: Identity = { subject: 'agent-cost-direct', clientId: 'atrium-processes', role: 'agent', scopes: ['customers:read', 'orders:read'], via: 'oauth' };
const ENTITIES_BOMB =
  'query($r:[_Any!]!){_entities(representations:$r){...on Customer{orders(first:100){customer{orders(first:100){customer{orders(first:100){id}}}}}}}}';
const DEPTH_BOMB = `{ order(id: "ord-1") { ${'customer { orders(first: 1) { '.repeat(12)}id${' } }'.repeat(12)} } }`;
const ONE_CUSTOMER_ORDERS = 'query($r:[_Any!]!){_entities(representations:$r){...on Customer{orders(first:5){id}}}}';

const pastTheGateway: Scenario = {
  name: 'cost: straight to a subgraph',
  expectation:
    'with a valid internal token, a 100-entity nested fetch and a query 26 levels deep sent straight to the orders subgraph are refused there (400) before the ERP is called, while a fetch as the gateway plans it is served',
  async run(stack): Promise<ScenarioResult> {
    const token = await stack.internalToken(agent, 'orders');
    const url = stack.subgraphUrls.orders as string;
    const representations = Array.from({ length: 100 }, (_, i) => ({ __typename: 'Customer', id: `cust-${i + 1}` }));
    await stack.resetCalls();
    const huge = await post(url, token, ENTITIES_BOMB, { r: representations });
    const deep = await post(url, token, DEPTH_BOMB);
    const erpCalls = (await stack.calls('erp')).total;
    const planned = await post(url, token, ONE_CUSTOMER_ORDERS, { r: representations.slice(0, 1) });
    const answers = [huge, deep, planned];
    const deepRefused = deep?.status === 400 && deep.code === 'GRAPHQL_VALIDATION_FAILED';
    return {
      requests: answers.length,
      ...tally(answers),
      doubleBooked: 0,
      outcome: `huge ${huge?.status ?? 'dropped'} ${String(huge?.code ?? '')}, deep ${deep?.status ?? 'dropped'} ${String(deep?.code ?? '')}, ${erpCalls} ERP calls; planned fetch ${planned?.status ?? 'dropped'}`,
      passed: refusedForCost(huge) && deepRefused && erpCalls === 0 && planned?.status === 200 && planned.data?._entities !== undefined,
    };
  },
};

export const scenarios: Scenario[] = [variablesAttack, aboveBurst, pastTheGateway];
