import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Scope } from '../../platform/identity';
import type { ProcessStack } from '../process-stack';
import { PROFILE_QUERY } from './clients';
import type { Scenario, ScenarioResult } from './scenario';

const PROFILE_SCOPES = 'customers:read pii:read orders:read preferences:read tickets:read';
const IN_FLIGHT = 20;
/** Every Profile waits this long on the ERP, so the signal lands while all of them are in flight. */
const ERP_LATENCY_MS = 3_000;
/** Long enough for a service under load to have read a request's head. */
const HEAD_READ_MS = 300;
/** Long enough for the signalled process to have closed its listener. */
const CLOSE_MS = 200;
const ANSWER_TIMEOUT_MS = 20_000;

/** What `/ready` answered, asked during the drain on a connection opened before the signal. */
export interface ReadyAnswer {
  status: number;
  reason?: string;
  /** The answer told the client to drop the connection (`connection: close`). */
  connectionClose: boolean;
}

/** What clients saw when one service was signalled with Profile queries in flight. */
export interface DrainReport {
  sent: number;
  /** Answered 200 with the customer's orders. */
  withOrders: number;
  serverErrors: number;
  /** No answer at all. */
  dropped: number;
  /** Undefined when the service never answered it. */
  readyDuringDrain?: ReadyAnswer;
  /** A connection attempted during the drain was refused. */
  refusedDuringDrain: boolean;
  exit: { code: number | null; signal: NodeJS.Signals | null };
}

interface Outcome {
  status?: number;
  withOrders: boolean;
}

async function profile(gatewayUrl: string, token: string, id: string): Promise<Outcome> {
  try {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: PROFILE_QUERY, variables: { id } }),
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
    const body = (await response.json()) as { data?: { customer?: { orders?: unknown } | null } };
    return { status: response.status, withOrders: response.ok && Array.isArray(body.data?.customer?.orders) };
  } catch {
    return { withOrders: false };
  }
}

/**
 * A raw connection kept busy across the signal: a POST whose body is held back, so the server cannot count the
 * connection idle and close it. `askReady` sends the rest of the body and, pipelined behind it, `GET /ready`.
 */
async function busyConnection(base: string, path: string, customer: string, token: string): Promise<{ askReady(): Promise<ReadyAnswer | undefined> }> {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  const body = JSON.stringify({ query: PROFILE_QUERY, variables: { id: customer } });
  const head = [
    `POST ${path} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    'content-type: application/json',
    `authorization: Bearer ${token}`,
    `content-length: ${Buffer.byteLength(body)}`,
  ];
  // A first answer proves the connection is being served, not still waiting in the listen queue.
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('data', () => resolve());
    socket.write(`GET /health HTTP/1.1\r\nhost: ${hostname}:${port}\r\n\r\n`);
  });
  socket.write(`${head.join('\r\n')}\r\n\r\n${body.slice(0, 10)}`);
  // Time for the service to read the held request's head: it must count as accepted before the signal.
  await sleep(HEAD_READ_MS);
  return {
    async askReady() {
      socket.write(`${body.slice(10)}GET /ready HTTP/1.1\r\nhost: ${hostname}:${port}\r\n\r\n`);
      await Promise.race([ended, sleep(ANSWER_TIMEOUT_MS)]);
      socket.destroy();
      const last = received.lastIndexOf('HTTP/1.1 ');
      const [, status] = /^HTTP\/1\.1 (\d{3})/.exec(received.slice(last)) ?? [];
      if (last < 0 || status === undefined || !received.slice(last).includes('\r\n\r\n')) return undefined;
      const [headers = '', payload = ''] = received.slice(last).split('\r\n\r\n');
      let reason: string | undefined;
      try {
        reason = (JSON.parse(payload) as { reason?: string }).reason;
      } catch {
        // Not JSON: no reason to report.
      }
      return { status: Number(status), reason, connectionClose: /^connection: *close/im.test(headers) };
    },
  };
}

/** Whether a new connection to `base` is refused. */
function refusesConnections(base: string): Promise<boolean> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/**
 * Waits until a Profile comes back with orders: the orders subgraph has fetched the ERP's WSDL (it does on first use)
 * and its circuit is closed, so what follows measures the shutdown and nothing else.
 */
async function warmUp(gatewayUrl: string, token: string): Promise<void> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  while (!(await profile(gatewayUrl, token, 'cust-1')).withOrders) {
    if (Date.now() > deadline) throw new Error('the stack never answered a Profile with orders');
    await sleep(250);
  }
}

/** Waits until every Profile has passed the gateway and the orders subgraph and waits on the ERP: truly in flight everywhere. */
async function allWaitingOnTheErp(stack: ProcessStack): Promise<void> {
  const deadline = Date.now() + ERP_LATENCY_MS;
  while ((await stack.inFlight('erp')) < IN_FLIGHT && Date.now() < deadline) await sleep(50);
}

/**
 * Sends 20 Profile queries that wait on a slow ERP, signals `service` while they are in flight, and reports what clients
 * saw: answers, `/ready` during the drain, whether new connections were refused, and how the process exited. The
 * service is started again afterwards and the ERP's latency removed, so the stack is whole for whoever comes next.
 */
export async function signalUnderLoad(stack: ProcessStack, service: string, signal: NodeJS.Signals): Promise<DrainReport> {
  const target = stack.services[service];
  if (!target) throw new Error(`no service ${service}`);
  // Each customer may read only their own profile: one token each, the probe's customer last.
  const customers = Array.from({ length: IN_FLIGHT + 1 }, (_, i) => `cust-${i + 1}`);
  const tokens = await Promise.all(customers.map((sub) => stack.token({ sub, role: 'customer', scopes: PROFILE_SCOPES })));
  await warmUp(stack.gatewayUrl, tokens[0] as string);
  await stack.setFaults('erp', { latencyMs: ERP_LATENCY_MS });
  const answers = customers.slice(0, IN_FLIGHT).map((id, i) => profile(stack.gatewayUrl, tokens[i] as string, id));
  await allWaitingOnTheErp(stack);
  const probeCustomer = customers[IN_FLIGHT] as string;
  // A subgraph takes only a gateway-signed token for itself, and refuses any other before it reads the body.
  const probeToken =
    service in stack.subgraphUrls
      ? await stack.internalToken(
          { subject: probeCustomer, clientId: 'atrium-processes', role: 'customer', scopes: PROFILE_SCOPES.split(' ') as Scope[], via: 'oauth' },
          service,
        )
      : (tokens[IN_FLIGHT] as string);
  const probe = await busyConnection(target.base, service === 'erp' ? '/erp' : '/graphql', probeCustomer, probeToken);
  const exited = target.exited();
  target.signal(signal);
  await sleep(CLOSE_MS);
  const refusedDuringDrain = await refusesConnections(target.base);
  const [readyDuringDrain, outcomes] = await Promise.all([probe.askReady(), Promise.all(answers)]);
  const exit = await Promise.race([exited, sleep(ANSWER_TIMEOUT_MS).then(() => ({ code: null, signal: null }))]);
  if (exit.code === null && exit.signal === null) await target.stop(0);
  await target.restart();
  await stack.setFaults('erp', { latencyMs: 0 });
  return {
    sent: IN_FLIGHT,
    withOrders: outcomes.filter((outcome) => outcome.withOrders).length,
    serverErrors: outcomes.filter((outcome) => (outcome.status ?? 0) >= 500).length,
    dropped: outcomes.filter((outcome) => outcome.status === undefined).length,
    readyDuringDrain,
    refusedDuringDrain,
    exit,
  };
}

/** A clean drain: every request answered in full, readiness withdrawn, the door shut, exit 0. */
export function drainedCleanly(report: DrainReport): boolean {
  return (
    report.withOrders === report.sent &&
    report.readyDuringDrain?.status === 503 &&
    report.readyDuringDrain.reason === 'shutting down' &&
    report.refusedDuringDrain &&
    report.exit.code === 0
  );
}

function asResult(report: DrainReport): ScenarioResult {
  const ready = report.readyDuringDrain ? `/ready ${report.readyDuringDrain.status}` : '/ready unanswered';
  const door = report.refusedDuringDrain ? 'new connections refused' : 'new connections accepted';
  return {
    requests: report.sent,
    serverErrors: report.serverErrors,
    dropped: report.dropped,
    doubleBooked: 0,
    outcome: `${report.withOrders}/${report.sent} with orders, ${ready}, ${door}, exit ${report.exit.code ?? report.exit.signal}`,
    passed: drainedCleanly(report),
  };
}

const scenario = (name: string, service: string, signal: NodeJS.Signals): Scenario => ({
  name,
  expectation: `${signal} to ${service} with ${IN_FLIGHT} Profile queries in flight: all answered with orders, /ready 503 "shutting down" during the drain, new connections refused, exit 0`,
  run: async (stack) => asResult(await signalUnderLoad(stack, service, signal)),
});

export const scenarios: Scenario[] = [
  scenario('SIGTERM to the gateway mid-traffic', 'gateway', 'SIGTERM'),
  scenario('SIGTERM to a subgraph mid-traffic', 'orders', 'SIGTERM'),
  scenario('SIGINT to a legacy backend mid-traffic', 'erp', 'SIGINT'),
];
