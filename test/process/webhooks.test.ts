import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { listen } from '../../platform/http';
import { silentLogger } from '../../platform/log';
import { EventLog, type NewEvent } from '../../platform/events/event-log';
import { EventRecorder } from '../../platform/events/sequencer';
import { verifyAtriumSignature } from '../../platform/events/webhooks/signature';
import { WebhookStore } from '../../platform/events/webhooks/store';
import { startEventsProcess, type LogLine, type ServiceProcess } from '../../scripts/process-stack';
import { throwawayDatabase, type ThrowawayDatabase } from '../../scripts/throwaway-database';
import { webhooksCommand } from '../../scripts/webhooks-command';
import { describeWithDatabase } from '../support/database';

jest.setTimeout(90_000);

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A partner's receiver: each path answers with the status its script gives for the n-th request (200 past its end). */
async function startReceiver(): Promise<{ url: string; received: Received[]; script: Record<string, number[]>; server: Server }> {
  const received: Received[] = [];
  const script: Record<string, number[]> = {};
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      const answered = script[path]?.shift() ?? 200;
      received.push({ path, headers: req.headers, body, answered });
      res.writeHead(answered).end();
    });
  });
  return { url: await listen(server, 0, '127.0.0.1'), received, script, server };
}

const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
};

describeWithDatabase('partner webhooks out of process (npm run build first)', () => {
  let database: ThrowawayDatabase;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let events: ServiceProcess;
  let eventLog: EventLog;
  let recorder: EventRecorder;
  let store: WebhookStore;
  const lines: LogLine[] = [];
  const options = () => ({ databaseUrl: database.url, maxEndpoints: 10, production: false });
  let sequence = 0;
  const record = (event: Omit<NewEvent, 'source'>) => recorder.record([{ ...event, source: `test:${(sequence += 1)}` }]);

  const register = async (path: string, eventTypes: string): Promise<{ id: string; secret: string }> => {
    const result = await webhooksCommand(['register', '--url', `${receiver.url}${path}`, '--events', eventTypes], options());
    expect(result.code).toBe(0);
    return { id: /registered endpoint (\S+)/.exec(result.stderr)?.[1] as string, secret: result.stdout.trim() };
  };

  beforeAll(async () => {
    database = await throwawayDatabase();
    receiver = await startReceiver();
    eventLog = await EventLog.open(database.url, silentLogger);
    recorder = new EventRecorder(eventLog, silentLogger);
    store = await WebhookStore.open(database.url, silentLogger);
    events = await startEventsProcess(
      database.url,
      // The window counts from when a delivery is queued, and DBOS may take a second or two to dequeue it.
      { WEBHOOK_BACKOFF_MS: '50', WEBHOOK_BACKOFF_MAX_MS: '200', WEBHOOK_RETRY_FOR_MS: '6000', WEBHOOK_POLL_MS: '50' },
      (line) => void lines.push(line),
    );
  });
  afterAll(async () => {
    await events?.stop();
    recorder?.close();
    await store?.close();
    await eventLog?.close();
    receiver?.server.close();
    await database?.drop();
  });

  it('retries a failing partner and delivers on the fourth attempt, signed with its secret', async () => {
    const { id, secret } = await register('/flaky', 'order.updated');
    receiver.script['/flaky'] = [500, 503, 502];
    // Of another type than the endpoint asked for: never sent to it.
    await record({ type: 'ticket.updated', key: 'tkt-1', customerId: 'cust-1', attributes: { ticketId: 'tkt-1', status: 'OPEN' } });
    await record({ type: 'order.updated', key: 'ord-1', customerId: 'cust-1', attributes: { orderId: 'ord-1', status: 'SHIPPED' } });

    await until('four attempts', () => receiver.received.filter((r) => r.path === '/flaky').length >= 4);
    const attempts = receiver.received.filter((r) => r.path === '/flaky');
    expect(attempts.map((r) => r.answered)).toEqual([500, 503, 502, 200]);
    const delivered = attempts[3] as Received;
    expect(delivered.headers['atrium-event-id']).toBe('2');
    expect(delivered.headers['atrium-event-type']).toBe('order.updated');
    expect(verifyAtriumSignature(delivered.body, delivered.headers['atrium-signature'] as string, secret)).toBe(true);
    expect(JSON.parse(delivered.body)).toEqual({
      id: '2',
      type: 'order.updated',
      key: 'ord-1',
      customerId: 'cust-1',
      attributes: { orderId: 'ord-1', status: 'SHIPPED' },
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    // Every attempt carries the same body and event id: the partner de-duplicates on it.
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);

    // A tampered body or the same signature replayed later fails the partner's check.
    const header = delivered.headers['atrium-signature'] as string;
    expect(verifyAtriumSignature(delivered.body.replace('SHIPPED', 'CANCELLED'), header, secret)).toBe(false);
    expect(verifyAtriumSignature(delivered.body, header, secret, { nowSeconds: Math.floor(Date.now() / 1000) + 301 })).toBe(false);

    await until('the delivery recorded', async () => (await store.delivery(`${id}:2`))?.status === 'DELIVERED');
    expect(await store.delivery(`${id}:2`)).toMatchObject({ attempts: 4, lastStatus: 200, lastError: null });
    // Nothing in the service's log names the secret or the partner's URL.
    expect(lines.some((line) => line.text.includes(secret) || line.text.includes('/flaky'))).toBe(false);
  });

  it('parks a delivery that failed for its whole retry window in the dead letters, and replay delivers it', async () => {
    const { id, secret } = await register('/down', 'payment.updated');
    receiver.script['/down'] = Array.from({ length: 100 }, () => 503);
    await record({ type: 'payment.updated', key: 'ord-2', customerId: 'cust-2', attributes: { orderId: 'ord-2', status: 'CAPTURED' } });

    const deliveryId = `${id}:3`;
    await until('the delivery dead', async () => (await store.delivery(deliveryId))?.status === 'DEAD');
    const dead = await webhooksCommand(['dead'], options());
    expect(dead.stdout).toMatch(new RegExp(`^${deliveryId}\tpayment\\.updated\t\\d+ attempt\\(s\\)\tHTTP 503\t`, 'm'));

    receiver.script['/down'] = [];
    const seen = receiver.received.length;
    const replayed = await webhooksCommand(['replay', deliveryId], options());
    expect(replayed).toMatchObject({ code: 0, stdout: `replaying ${deliveryId} (payment.updated) as ${deliveryId}:replay-1\n` });
    await until('the replay delivered', async () => (await store.delivery(deliveryId))?.status === 'DELIVERED');
    const delivered = receiver.received.slice(seen).filter((r) => r.path === '/down');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.headers['atrium-event-id']).toBe('3');
    expect(verifyAtriumSignature(delivered[0]?.body as string, delivered[0]?.headers['atrium-signature'] as string, secret)).toBe(true);
    expect((await webhooksCommand(['dead'], options())).stderr).toBe('no dead deliveries\n');
    // A delivered one is not replayed.
    expect((await webhooksCommand(['replay', deliveryId], options())).stderr).toMatch(`delivery ${deliveryId} is not dead`);
  });

  it('resumes a delivery waiting between attempts after the service is killed, without sending it twice', async () => {
    // Long waits, so the kill lands while the delivery sleeps.
    events.signal('SIGKILL');
    await events.exited();
    const slow = { WEBHOOK_BACKOFF_MS: '3000', WEBHOOK_BACKOFF_MAX_MS: '3000', WEBHOOK_RETRY_FOR_MS: '60000', WEBHOOK_POLL_MS: '50' };
    await events.restart(slow);
    const { id } = await register('/restart', 'ticket.updated');
    receiver.script['/restart'] = [500];
    await record({ type: 'ticket.updated', key: 'tkt-2', customerId: 'cust-3', attributes: { ticketId: 'tkt-2', status: 'CLOSED' } });
    await until('the first attempt', () => receiver.received.some((r) => r.path === '/restart'));

    events.signal('SIGKILL');
    await events.exited();
    await events.restart(slow);
    const deliveryId = `${id}:4`;
    await until('the delivery after the restart', async () => (await store.delivery(deliveryId))?.status === 'DELIVERED');
    expect(receiver.received.filter((r) => r.path === '/restart').map((r) => r.answered)).toEqual([500, 200]);
    // A while later, still once: the dispatcher does not queue it again.
    await sleep(500);
    expect(receiver.received.filter((r) => r.path === '/restart')).toHaveLength(2);
  });
});
