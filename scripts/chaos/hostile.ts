import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostileRequests, type CorpusTarget } from '../../test/corpus/hostile-requests';
import { missedExpectation, sendHostile } from '../../test/corpus/send-hostile';
import type { ProcessStack } from '../process-stack';
import type { Scenario } from './scenario';

/** How the stack runs for these scenarios: short body deadline, a small per-address bound, no rate limit in the way. */
export const HOSTILE_ENV = {
  BODY_TIMEOUT_MS: '1000',
  MAX_CONNECTIONS_PER_CLIENT: '20',
  RATE_LIMIT_RATE: '100000',
  RATE_LIMIT_BURST: '1000000',
};
const BODY_TIMEOUT_MS = Number(HOSTILE_ENV.BODY_TIMEOUT_MS);
const CONNECTION_LIMIT = Number(HOSTILE_ENV.MAX_CONNECTIONS_PER_CLIENT);

/** The gateway's schema: a customer's tickets filtered by an enum. */
export const GATEWAY_TARGET: CorpusTarget = {
  enumSelection: (value) => `customer(id: "cust-1") { supportTickets(status: ${value}) { id } }`,
  enumType: 'TicketStatus',
  operationLimits: true,
};

/** The support-tickets subgraph called directly, as only the gateway should: the same field through `_entities`. */
export const SUBGRAPH_TARGET: CorpusTarget = {
  enumSelection: (value) =>
    `_entities(representations: [{ __typename: "Customer", id: "cust-1" }]) { ... on Customer { supportTickets(status: ${value}) { id } } }`,
  enumType: 'TicketStatus',
  operationLimits: false,
};

const errorLogsSince = (stack: ProcessStack, from: number) =>
  stack
    .logs()
    .slice(from)
    .filter((line) => (line.level ?? 0) >= 50);

/** Every case of the corpus against one service; the names of the cases it answered wrongly, with what came back. */
export async function runCorpus(base: string, target: CorpusTarget, credentials: Record<string, string>) {
  const cases = hostileRequests(target);
  const misses: string[] = [];
  let serverErrors = 0;
  let dropped = 0;
  for (const hostile of cases) {
    const answer = await sendHostile(base, hostile, credentials);
    if (typeof answer.status === 'number' && answer.status >= 500) serverErrors += 1;
    if (answer.status === 'none' && hostile.expect !== 'no-answer') dropped += 1;
    const missed = missedExpectation(hostile, answer);
    if (missed) misses.push(`${hostile.name}: ${missed}`);
  }
  return { requests: cases.length, serverErrors, dropped, misses };
}

function corpusScenario(
  name: string,
  serviceBase: (stack: ProcessStack) => string,
  target: CorpusTarget,
  credentials: (stack: ProcessStack) => Promise<Record<string, string>>,
): Scenario {
  return {
    name,
    expectation: 'every hostile or malformed request answered with a 4xx (or a 200 with errors) carrying a code; no 5xx, no error log',
    stackEnv: HOSTILE_ENV,
    async run(stack) {
      const from = stack.logs().length;
      const result = await runCorpus(serviceBase(stack), target, await credentials(stack));
      // The services log a client's abort once it notices; give them a moment.
      await sleep(300);
      const errorLogs = errorLogsSince(stack, from);
      return {
        requests: result.requests,
        serverErrors: result.serverErrors,
        dropped: result.dropped,
        doubleBooked: 0,
        outcome: `${result.requests - result.misses.length}/${result.requests} as expected, ${errorLogs.length} error logs${result.misses.length ? `; first: ${result.misses.slice(0, 3).join(' | ')}` : ''}${errorLogs.length ? `; log: ${errorLogs[0]?.text.slice(0, 200)}` : ''}`,
        passed: result.misses.length === 0 && errorLogs.length === 0 && result.serverErrors === 0,
      };
    },
  };
}

/** A POST whose body trickles in a byte every 100 ms; resolves with the status and how long the answer took. */
export function trickle(gatewayUrl: string, headers: Record<string, string>): Promise<{ status: number | 'none'; elapsedMs: number }> {
  const url = new URL(gatewayUrl);
  const body = JSON.stringify({ query: '{ __typename }' });
  const head = [
    'POST /graphql HTTP/1.1',
    `Host: ${url.host}`,
    'Content-Type: application/json',
    `Content-Length: ${body.length}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return new Promise((resolve) => {
    const started = Date.now();
    let answer = '';
    let sent = 0;
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`${head.join('\r\n')}\r\n\r\n`));
    const drip = setInterval(() => {
      if (sent < body.length && socket.writable) socket.write(body[sent++] as string);
    }, 100);
    const done = () => {
      clearInterval(drip);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      resolve({ status: status ? Number(status) : 'none', elapsedMs: Date.now() - started });
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n\r\n')) done();
    });
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.setTimeout(30_000, done);
  });
}

const slowAnonymous: Scenario = {
  name: 'slow body without credentials',
  expectation: 'a body sent a byte at a time without credentials is refused with 401 at once, before any of it is read',
  stackEnv: HOSTILE_ENV,
  async run(stack) {
    const answer = await trickle(stack.gatewayUrl, {});
    return {
      requests: 1,
      serverErrors: answer.status !== 'none' && answer.status >= 500 ? 1 : 0,
      dropped: answer.status === 'none' ? 1 : 0,
      doubleBooked: 0,
      outcome: `HTTP ${answer.status} after ${answer.elapsedMs} ms`,
      passed: answer.status === 401 && answer.elapsedMs < BODY_TIMEOUT_MS / 2,
    };
  },
};

const slowAuthenticated: Scenario = {
  name: 'slow body with credentials',
  expectation: `a body still arriving after BODY_TIMEOUT_MS (${BODY_TIMEOUT_MS} ms) is refused with 408`,
  stackEnv: HOSTILE_ENV,
  async run(stack) {
    const token = await stack.token({ role: 'service', scopes: 'customers:read' });
    const answer = await trickle(stack.gatewayUrl, { Authorization: `Bearer ${token}` });
    return {
      requests: 1,
      serverErrors: answer.status !== 'none' && answer.status >= 500 ? 1 : 0,
      dropped: answer.status === 'none' ? 1 : 0,
      doubleBooked: 0,
      outcome: `HTTP ${answer.status} after ${answer.elapsedMs} ms`,
      passed: answer.status === 408 && answer.elapsedMs >= BODY_TIMEOUT_MS * 0.9 && answer.elapsedMs < BODY_TIMEOUT_MS * 3,
    };
  },
};

/** Opens `count` idle connections at once; resolves with the sockets the gateway kept open after a moment. */
async function holdConnections(gatewayUrl: string, count: number): Promise<{ open: Socket[]; closed: number }> {
  const url = new URL(gatewayUrl);
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve) => {
          const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
          socket.on('error', () => resolve(socket));
        }),
    ),
  );
  await sleep(500);
  const open = sockets.filter((socket) => !socket.destroyed && !socket.readableEnded);
  return { open, closed: count - open.length };
}

const connectionFlood: Scenario = {
  name: 'connection flood from one address',
  expectation: `connections beyond MAX_CONNECTIONS_PER_CLIENT (${CONNECTION_LIMIT}) are closed at once; the gateway serves again when they go`,
  stackEnv: HOSTILE_ENV,
  async run(stack) {
    const attempted = CONNECTION_LIMIT * 5;
    const from = stack.logs().length;
    const { open, closed } = await holdConnections(stack.gatewayUrl, attempted);
    const warnings = stack
      .logs()
      .slice(from)
      .filter((line) => line.service === 'gateway' && line.level === 40 && line.msg?.includes('too many connections')).length;
    for (const socket of open) socket.destroy();
    await sleep(200);
    const token = await stack.token({ role: 'service', scopes: 'customers:read' });
    const after = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    return {
      requests: attempted + 1,
      serverErrors: after.status >= 500 ? 1 : 0,
      dropped: 0,
      doubleBooked: 0,
      outcome: `${open.length} of ${attempted} connections kept, ${closed} closed, ${warnings} warning(s); then HTTP ${after.status}`,
      // One warning for the whole flood: a line per refused connection would flood the log too.
      passed: open.length <= CONNECTION_LIMIT && open.length >= CONNECTION_LIMIT - 2 && warnings === 1 && after.status === 200,
    };
  },
};

/** POSTs a GraphQL request; the status and the parsed body. */
export async function ask(
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; body: { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as never };
}

/** Typos that graphql-js would answer with a suggestion: enum values (literal and variable), fields, types, arguments. */
export const TYPOS: Array<{ name: string; query: string; variables?: Record<string, unknown> }> = [
  { name: 'enum literal', query: '{ customer(id: "cust-1") { supportTickets(status: OPN) { id } } }' },
  { name: 'enum variable', query: 'query($s: TicketStatus) { customer(id: "cust-1") { supportTickets(status: $s) { id } } }', variables: { s: 'OPN' } },
  { name: 'enum in an input', query: 'mutation { openSupportTicket(input: { customerId: "cust-1", subject: "x", priority: HIGHH }) { id } }' },
  { name: 'field', query: '{ customer(id: "cust-1") { nam } }' },
  { name: 'type', query: '{ customer(id: "cust-1") { ... on Custome { id } } }' },
  { name: 'argument', query: '{ customer(idd: "cust-1") { id } }' },
  { name: 'variable type', query: 'query($s: TicketStatu) { customer(id: "cust-1") { supportTickets(status: $s) { id } } }' },
];

const noSuggestions: Scenario = {
  name: 'no schema suggestions in production',
  expectation: 'typos in enum values, fields, types and arguments are refused with a code and no "Did you mean"',
  stackEnv: HOSTILE_ENV,
  async run(stack) {
    const token = await stack.token({ role: 'service', scopes: 'customers:read tickets:read tickets:write' });
    const leaks: string[] = [];
    let serverErrors = 0;
    for (const typo of TYPOS) {
      const answer = await ask(stack.gatewayUrl, { authorization: `Bearer ${token}` }, { query: typo.query, variables: typo.variables });
      if (answer.status >= 500) serverErrors += 1;
      const text = JSON.stringify(answer.body);
      if (/did you mean/i.test(text) || !answer.body.errors?.every((error) => typeof error.extensions?.code === 'string'))
        leaks.push(`${typo.name}: ${text.slice(0, 200)}`);
    }
    return {
      requests: TYPOS.length,
      serverErrors,
      dropped: 0,
      doubleBooked: 0,
      outcome: leaks.length ? `${leaks.length} leaked; first: ${leaks[0]}` : `${TYPOS.length}/${TYPOS.length} refused without a suggestion`,
      passed: leaks.length === 0 && serverErrors === 0,
    };
  },
};

/** A probe pair: what the caller may not read and what does not exist must answer alike. */
export interface OraclePair {
  name: string;
  url: string;
  headers: Record<string, string>;
  forbidden: unknown;
  missing: unknown;
}

/** The pairs for customer cust-1 probing cust-2's ticket, order and profile, through the gateway and `_entities`. */
export async function oraclePairs(stack: ProcessStack): Promise<OraclePair[]> {
  const staff = { authorization: `Bearer ${await stack.token({ role: 'service', scopes: 'customers:read orders:read tickets:read' })}` };
  const theirs = await ask(stack.gatewayUrl, staff, { query: '{ customer(id: "cust-2") { supportTickets { id } orders(first: 1) { id } } }' });
  const other = theirs.body.data as { customer: { supportTickets: Array<{ id: string }>; orders: Array<{ id: string }> } };
  const ticketId = other.customer.supportTickets[0]?.id;
  const orderId = other.customer.orders[0]?.id;
  if (!ticketId || !orderId) throw new Error(`cust-2 has no ticket or order to probe: ${JSON.stringify(theirs.body)}`);
  const customer = { authorization: `Bearer ${await stack.token({ sub: 'cust-1', role: 'customer', scopes: 'customers:read orders:read tickets:read' })}` };
  const prober = { subject: 'cust-1', clientId: 'probe', role: 'customer', scopes: ['customers:read', 'orders:read', 'tickets:read'], via: 'oauth' } as const;
  const internal = async (subgraph: string) => ({ authorization: `Bearer ${await stack.internalToken({ ...prober, scopes: [...prober.scopes] }, subgraph)}` });
  const gateway = (field: string, id: string) => ({ query: `{ ${field}(id: "${id}") { __typename id } }` });
  const entities = (typename: string, id: string) => ({
    query: `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on ${typename} { id } } }`,
    variables: { r: [{ __typename: typename, id }] },
  });
  const pair = (name: string, url: string | undefined, headers: Record<string, string>, forbidden: unknown, missing: unknown): OraclePair => ({
    name,
    url: url ?? '',
    headers,
    forbidden,
    missing,
  });
  return [
    pair('supportTicket', stack.gatewayUrl, customer, gateway('supportTicket', ticketId), gateway('supportTicket', 'tkt-999999')),
    pair('order', stack.gatewayUrl, customer, gateway('order', orderId), gateway('order', 'ord-999999')),
    pair('customer', stack.gatewayUrl, customer, gateway('customer', 'cust-2'), gateway('customer', 'cust-999999')),
    pair(
      'SupportTicket entity',
      stack.subgraphUrls['support-tickets'],
      await internal('support-tickets'),
      entities('SupportTicket', ticketId),
      entities('SupportTicket', 'tkt-999999'),
    ),
    pair('Order entity', stack.subgraphUrls.orders, await internal('orders'), entities('Order', orderId), entities('Order', 'ord-999999')),
    pair('Customer entity', stack.subgraphUrls.customers, await internal('customers'), entities('Customer', 'cust-2'), entities('Customer', 'cust-999999')),
  ];
}

const noExistenceOracle: Scenario = {
  name: 'no existence oracle',
  expectation: "another customer's ticket, order or profile answers exactly like one that does not exist",
  stackEnv: HOSTILE_ENV,
  async run(stack) {
    const differing: string[] = [];
    const pairs = await oraclePairs(stack);
    let serverErrors = 0;
    for (const pair of pairs) {
      const [forbidden, missing] = await Promise.all([ask(pair.url, pair.headers, pair.forbidden), ask(pair.url, pair.headers, pair.missing)]);
      serverErrors += [forbidden, missing].filter((answer) => answer.status >= 500).length;
      const shown = (answer: typeof forbidden) => JSON.stringify({ status: answer.status, ...answer.body });
      if (shown(forbidden) !== shown(missing)) differing.push(`${pair.name}: ${shown(forbidden)} vs ${shown(missing)}`);
    }
    return {
      requests: pairs.length * 2,
      serverErrors,
      dropped: 0,
      doubleBooked: 0,
      outcome: differing.length ? `${differing.length} differ; first: ${differing[0]?.slice(0, 300)}` : `${pairs.length}/${pairs.length} pairs alike`,
      passed: differing.length === 0 && serverErrors === 0,
    };
  },
};

const withBearer = async (stack: ProcessStack) => ({
  authorization: `Bearer ${await stack.token({ role: 'service', scopes: 'customers:read tickets:read' })}`,
});
const withGatewayToken = async (stack: ProcessStack) => ({
  authorization: `Bearer ${await stack.internalToken({ subject: 'corpus', clientId: 'corpus', role: 'service', scopes: ['customers:read', 'tickets:read'], via: 'oauth' }, 'support-tickets')}`,
});

export const scenarios: Scenario[] = [
  corpusScenario('hostile corpus at the gateway', (stack) => new URL(stack.gatewayUrl).origin, GATEWAY_TARGET, withBearer),
  corpusScenario('hostile corpus at a subgraph', (stack) => new URL(stack.subgraphUrls['support-tickets'] ?? '').origin, SUBGRAPH_TARGET, withGatewayToken),
  slowAnonymous,
  slowAuthenticated,
  connectionFlood,
  noSuggestions,
  noExistenceOracle,
];
