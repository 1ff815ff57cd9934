import { createWriteStream, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminIntents } from '../legacy/payments/admin-view';
import { freePort } from '../platform/http';
import { readSubgraphList } from '../schema/registry';
import { erpOrderIds } from './chaos/idempotency';
import { erpStatuses } from './chaos/payments';
import { finish, parseCommandArgs, runCommand, UsageError } from './cli';
import { haproxyBinary, replicaName, startProcessStack, type ProcessStack } from './process-stack';
import { killReplica, redisOutage, rollingRestart, steady, type HurtEvent } from './scale/hurt';
import { Load, type OrderIntent, type SentRequest } from './scale/load';
import { RedisServer, redisServerBinary } from './scale/redis-server';
import { eventTable, figuresOf } from './scale/report';

const USAGE = `usage: npm run test:scale -- [--gateways N] [--replicas N] [--rate R] [--log FILE]
  --gateways N   gateway replicas (default 2)
  --replicas N   replicas of each subgraph and of the events service (default 2)
  --rate R       requests started per second, one in five a card placeOrder (default 8)
  --log FILE     every service's log lines, prefixed with the replica's name, written to FILE`;

const ORDER_CUSTOMERS = Array.from({ length: 10 }, (_, i) => `cust-${41 + i}`);
/** A client whose placeOrder failed sends it again with the same key, this often, this far apart. */
const SETTLE_ATTEMPTS = 30;
const SETTLE_PAUSE_MS = 1_000;
/** Every order's workflow must have finished this long after the load stopped. */
const DRAIN_BOUND_MS = 60_000;

const whole = (value: string | undefined, option: string, fallback: number, max: number) => {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) throw new UsageError(`${option} must be a whole number from 1 to ${max}, not "${value}"`);
  return parsed;
};

/** What became of the orders: one ERP order and one capture for each key, whatever the clients went through. */
async function orderAccount(stack: ProcessStack, load: Load, before: Set<string>) {
  const idsByKey = new Map<string, Set<string>>();
  const note = (request: SentRequest) => {
    if (request.key && request.orderId) idsByKey.set(request.key, new Set([...(idsByKey.get(request.key) ?? []), request.orderId]));
  };
  load.requests.forEach(note);
  let retries = 0;
  const unresolved: OrderIntent[] = [];
  for (const intent of load.intents.filter((i) => !idsByKey.has(i.key))) {
    let settled = false;
    for (let attempt = 0; attempt < SETTLE_ATTEMPTS && !settled; attempt++) {
      retries++;
      const answer = await load.placeOrder(intent);
      note(answer);
      settled = answer.orderId !== undefined;
      if (!settled) await sleep(SETTLE_PAUSE_MS);
    }
    if (!settled) unresolved.push(intent);
  }
  const added = (await Promise.all(ORDER_CUSTOMERS.map((c) => erpOrderIds(stack, c)))).flatMap((ids) => [...ids]).filter((id) => !before.has(id));
  const deadline = performance.now() + DRAIN_BOUND_MS;
  let confirmed = 0;
  while (performance.now() < deadline) {
    confirmed = [...(await erpStatuses(stack, added)).values()].filter((status) => status === 'CONFIRMED').length;
    if (confirmed === added.length) break;
    await sleep(500);
  }
  const intents = (await adminIntents(stack.backendUrls.payments as string)).filter((intent) => added.includes(intent.metadata.order_id ?? ''));
  const captures = intents.filter((intent) => intent.status === 'succeeded' && intent.amount_received === intent.amount).length;
  const keys = load.intents.length;
  const twoOrders = [...idsByKey.values()].filter((ids) => ids.size > 1).length;
  const refunds = intents.reduce((sum, intent) => sum + intent.refunds.length, 0);
  const met = added.length === keys && captures === keys && confirmed === keys && twoOrders === 0 && unresolved.length === 0 && refunds === 0;
  return {
    met,
    line: `${keys} keys used (${retries} requests sent again by clients whose first answer failed): ${added.length} ERP orders created, ${confirmed} confirmed, ${captures} captures, ${refunds} refunds; ${twoOrders} keys answered with two orders, ${unresolved.length} keys without an order`,
  };
}

async function scale(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const { values } = parseCommandArgs(args, { gateways: { type: 'string' }, replicas: { type: 'string' }, rate: { type: 'string' }, log: { type: 'string' } });
  const gateways = whole(values.gateways, '--gateways', 2, 8);
  const replicas = whole(values.replicas, '--replicas', 2, 8);
  const rate = whole(values.rate, '--rate', 8, 200);
  const log = values.log === undefined ? undefined : createWriteStream(values.log);
  if (gateways < 2 || replicas < 2) throw new UsageError('killing a replica needs at least 2 of each: --gateways and --replicas must be 2 or more');
  for (const binary of [haproxyBinary(), redisServerBinary()])
    if (!existsSync(binary)) throw new UsageError(`${binary} is missing: install Debian's haproxy and redis-server`);

  const say = (line: string) => process.stderr.write(`${line}\n`);
  const redis = new RedisServer(await freePort());
  await redis.start();
  say(`starting ${gateways} gateways and ${replicas} replicas of each subgraph and of the events service behind HAProxy, Redis at ${redis.url}…`);
  const stack = await startProcessStack({
    gateways,
    replicas,
    loadBalancer: true,
    events: true,
    // The load is one reader and ten customers: the per-client limits are not what is measured.
    env: { REDIS_URL: redis.url, RATE_LIMIT_RATE: '1000', RATE_LIMIT_BURST: '2000' },
    onLog: (line) => void log?.write(`${line.service} ${line.text}\n`),
  });
  try {
    const before = new Set((await Promise.all(ORDER_CUSTOMERS.map((c) => erpOrderIds(stack, c)))).flatMap((ids) => [...ids]));
    const load = await Load.prepare(stack, { perSecond: rate, orderEvery: 5, orderCustomers: ORDER_CUSTOMERS });
    const subgraphs = readSubgraphList().map((entry) => entry.name);
    const every = (service: string, count: number) => Array.from({ length: count }, (_, i) => replicaName(service, i));
    const events: HurtEvent[] = [];
    const record = async (event: Promise<HurtEvent>) => {
      const done = await event;
      events.push(done);
      say(`  ${done.name}: ${((done.endedAt - done.startedAt) / 1000).toFixed(1)} s`);
    };
    load.start();
    // Each replica's first requests fetch keys and WSDLs, and its pools fill: reported, not judged.
    await record(steady(10_000, 'first 10 s, replicas warming up'));
    await record(killReplica(stack, replicaName('gateway', 1), 5_000));
    for (const name of subgraphs) await record(killReplica(stack, replicaName(name, 1), 3_000));
    await record(steady(5_000));
    await record(rollingRestart(stack, [...every('gateway', gateways), ...subgraphs.flatMap((name) => every(name, replicas)), ...every('events', replicas)]));
    const redisKeysBefore = await redis.keys();
    await record(redisOutage(redis, 10_000));
    await record(steady(10_000, 'after Redis is back, 10 s'));
    await load.stop();
    const redisKeysAfter = await redis.keys();

    const figures = figuresOf(events, load.requests);
    const orders = await orderAccount(stack, load, before);
    const redisBack = redisKeysAfter > 0;
    const met = figures.every((f) => f.met) && orders.met && redisBack;
    const stdout = [
      `${load.requests.length} requests at ${rate}/s through HAProxy to ${gateways} gateways and ${replicas} replicas of each subgraph (failed: not a 200 with data and no errors):`,
      '',
      eventTable(figures),
      '',
      `Orders: ${orders.line} — ${orders.met ? 'met' : 'NOT MET'}`,
      `Redis: ${redisKeysBefore} keys before it stopped; ${redisKeysAfter} written to the new, empty one within 10 s of its start, without restarting a service — ${redisBack ? 'met' : 'NOT MET'}`,
      '',
      met ? 'every goal met' : 'goals NOT met',
      '',
    ].join('\n');
    if (!met) process.exitCode = 1;
    return { stdout, stderr: '' };
  } finally {
    await stack.stop();
    await redis.stop();
    log?.end();
  }
}

// A goal not met is exit code 1, after the figures are printed.
void runCommand('test:scale', USAGE, () => scale(process.argv.slice(2))).then(
  (result) => finish(result.code === 0 && process.exitCode === 1 ? { ...result, code: 1 } : result),
  (error: unknown) => {
    process.stderr.write(`test:scale: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
