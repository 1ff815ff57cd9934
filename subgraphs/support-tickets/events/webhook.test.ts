import { createServer } from 'node:http';
import { EventLog } from '../../../platform/events/event-log';
import { closeServer, listen } from '../../../platform/http';
import { silentLogger } from '../../../platform/log';
import { HELPDESK_SIGNATURE_HEADER, signWebhook } from '../../../platform/webhook-signature';
import { throwawayDatabase, type ThrowawayDatabase } from '../../../scripts/throwaway-database';
import { describeWithDatabase } from '../../../test/support/database';
import type { SubgraphRuntime } from '../../kit/define-subgraph';
import { startTicketEvents } from './runtime';
import { readTicketEventSettings } from './settings';

const SECRET = 'whsec_helpdesk_receiver_tests_0123456789';
const unixNow = () => Math.floor(Date.now() / 1000);
const ticketEvent = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'evt-1',
    type: 'ticket.updated',
    ticketId: 'tkt-7',
    customerId: 'cust-3',
    status: 'PENDING',
    occurredAt: '2026-07-01T10:00:00Z',
    ...overrides,
  });

describe('the helpdesk webhook settings', () => {
  it('take the development secret outside production, refuse it in production and refuse a short one', () => {
    expect(readTicketEventSettings({}).webhookSecret).toMatch(/^whsec_/);
    expect(() => readTicketEventSettings({ NODE_ENV: 'production' })).toThrow(/HELPDESK_WEBHOOK_SECRET: must be set/);
    expect(() => readTicketEventSettings({ HELPDESK_WEBHOOK_SECRET: 'short' })).toThrow(/HELPDESK_WEBHOOK_SECRET: must be at least 32 characters/);
    expect(readTicketEventSettings({ NODE_ENV: 'production', HELPDESK_WEBHOOK_SECRET: SECRET }).webhookSecret).toBe(SECRET);
  });
});

describeWithDatabase('POST /webhooks/helpdesk', () => {
  let database: ThrowawayDatabase;
  let runtime: SubgraphRuntime<undefined>;
  let eventLog: EventLog;
  let url: string;
  const server = createServer((req, res) => {
    void (runtime.intercept as NonNullable<typeof runtime.intercept>)(req, res).then((handled) => handled || res.writeHead(404).end());
  });

  beforeAll(async () => {
    database = await throwawayDatabase();
    runtime = await startTicketEvents({ log: silentLogger, env: { DATABASE_URL: database.url, HELPDESK_WEBHOOK_SECRET: SECRET } });
    eventLog = await EventLog.open(database.url, silentLogger);
    url = `${await listen(server, 0, '127.0.0.1')}/webhooks/helpdesk`;
  });
  afterAll(async () => {
    await closeServer(server);
    await runtime.close();
    await eventLog.close();
    await database.drop();
  });

  const deliver = async (body: string, signature?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature !== undefined) headers[HELPDESK_SIGNATURE_HEADER] = signature;
    const response = await fetch(url, { method: 'POST', headers, body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const everything = () => eventLog.after(undefined, { limit: 100 });

  it('records a signed change once as ticket.updated, numbered, and answers a redelivery 200 without a second event', async () => {
    const body = ticketEvent();
    expect(await deliver(body, signWebhook(SECRET, body, unixNow()))).toEqual({ status: 200, body: { received: true, duplicate: false } });
    const recorded = await everything();
    expect(recorded).toEqual([
      {
        id: '1',
        type: 'ticket.updated',
        key: 'tkt-7',
        customerId: 'cust-3',
        attributes: { ticketId: 'tkt-7', status: 'PENDING' },
        occurredAt: expect.any(String),
      },
    ]);
    // A redelivery is signed afresh, as the helpdesk does.
    expect(await deliver(body, signWebhook(SECRET, body, unixNow()))).toEqual({ status: 200, body: { received: true, duplicate: true } });
    expect(await everything()).toEqual(recorded);
  });

  it('records a ticket opened (ticket.created) as ticket.updated too', async () => {
    const body = ticketEvent({ id: 'evt-opened', type: 'ticket.created', ticketId: 'tkt-2501', status: 'OPEN' });
    expect((await deliver(body, signWebhook(SECRET, body, unixNow()))).status).toBe(200);
    expect((await everything()).at(-1)).toMatchObject({ type: 'ticket.updated', key: 'tkt-2501', attributes: { ticketId: 'tkt-2501', status: 'OPEN' } });
  });

  it.each([
    [
      'a tampered body',
      () => ({ body: ticketEvent({ id: 'evt-x', status: 'CLOSED' }), signature: signWebhook(SECRET, ticketEvent({ id: 'evt-x' }), unixNow()) }),
      'invalid_signature',
    ],
    [
      'another secret',
      () => ({ body: ticketEvent({ id: 'evt-x' }), signature: signWebhook('someone-else', ticketEvent({ id: 'evt-x' }), unixNow()) }),
      'invalid_signature',
    ],
    [
      'a stale timestamp',
      () => ({ body: ticketEvent({ id: 'evt-x' }), signature: signWebhook(SECRET, ticketEvent({ id: 'evt-x' }), unixNow() - 301) }),
      'stale_signature',
    ],
    ['no signature header', () => ({ body: ticketEvent({ id: 'evt-x' }), signature: undefined }), 'missing_signature'],
    ['a header not in t=…,v1=… form', () => ({ body: ticketEvent({ id: 'evt-x' }), signature: 'sha256=abc' }), 'malformed_signature'],
    ['a signed body that is not JSON', () => ({ body: 'not json', signature: signWebhook(SECRET, 'not json', unixNow()) }), 'malformed_event'],
    [
      'a signed event without a ticket',
      () => ({ body: ticketEvent({ ticketId: undefined }), signature: signWebhook(SECRET, ticketEvent({ ticketId: undefined }), unixNow()) }),
      'malformed_event',
    ],
    [
      'a signed event of another type',
      () => ({ body: ticketEvent({ type: 'user.deleted' }), signature: signWebhook(SECRET, ticketEvent({ type: 'user.deleted' }), unixNow()) }),
      'malformed_event',
    ],
  ])('answers %s 400 with its code and records nothing', async (_case, make, code) => {
    const before = await everything();
    const { body, signature } = make();
    const answer = await deliver(body, signature);
    expect(answer).toEqual({ status: 400, body: { error: code, message: expect.any(String) } });
    expect(await everything()).toEqual(before);
  });

  it('answers a body over 16 KiB 413 and another method 405', async () => {
    const big = ticketEvent({ padding: 'x'.repeat(20_000) });
    expect((await deliver(big, signWebhook(SECRET, big, unixNow()))).status).toBe(413);
    const get = await fetch(url);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });
});
