import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServer, listen } from '../../platform/http';
import { silentLogger } from '../../platform/log';
import { checkWebhookSignature } from '../../platform/webhook-signature';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../../test/support/payments';
import { callSoap, text } from '../../test/support/legacy';
import { noFaults } from '../kit/faults';
import { seedTickets } from '../seed/tickets';
import createHelpdeskServer from './server';

const SECRET = 'whsec_helpdesk_stand_in_tests_0123456789';
const NAMESPACE = 'urn:atrium:legacy:helpdesk';
const seeded = seedTickets();
const withStatus = (status: string) => seeded.filter((t) => t.status === status);

/** A helpdesk over its own data folder, with these variables. */
async function startHelpdesk(env: Record<string, string>, stateDir = mkdtempSync(join(tmpdir(), 'atrium-helpdesk-'))) {
  const backend = await createHelpdeskServer({ log: silentLogger, faults: noFaults, stateDir, env });
  const url = await listen(backend.server, 0, '127.0.0.1');
  return { url, stateDir, stop: () => closeServer(backend.server) };
}

const post = async (url: string, body: unknown) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('helpdesk ticket changes', () => {
  let receiver: WebhookReceiver;
  let helpdesk: Awaited<ReturnType<typeof startHelpdesk>>;
  const admin = (path: string) => `${helpdesk.url}/_admin/tickets/${path}`;

  beforeAll(async () => {
    receiver = await startWebhookReceiver('x-helpdesk-signature');
    helpdesk = await startHelpdesk({ HELPDESK_WEBHOOK_URL: receiver.url, HELPDESK_WEBHOOK_SECRET: SECRET, HELPDESK_ACTIVITY_PACE: 'off' });
  });
  afterAll(async () => {
    await helpdesk.stop();
    await receiver.stop();
    rmSync(helpdesk.stateDir, { recursive: true, force: true });
  });

  it("an agent's reply makes an OPEN ticket PENDING, is kept with the ticket and is announced signed", async () => {
    const ticket = withStatus('OPEN')[0] as (typeof seeded)[number];
    const before = receiver.deliveries.length;
    const answer = await post(admin(`${ticket.ticketId}/reply`), { text: 'Could you send a photo?' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ticket: { ...ticket, status: 'PENDING' }, replies: [{ text: 'Could you send a photo?', at: expect.any(String) }] });
    await eventually(() => receiver.deliveries.length > before);
    const delivery = receiver.deliveries.at(-1) as { body: string; signature: string };
    expect(checkWebhookSignature(delivery.signature, delivery.body, SECRET, { toleranceSeconds: 300 })).toBeUndefined();
    expect(JSON.parse(delivery.body)).toEqual({
      id: expect.stringMatching(/^evt-/),
      type: 'ticket.updated',
      ticketId: ticket.ticketId,
      customerId: ticket.customerId,
      status: 'PENDING',
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    const read = await callSoap(`${helpdesk.url}/helpdesk`, NAMESPACE, 'GetTicketsByIds', { TicketId: [ticket.ticketId] });
    expect(text(read.body, 'Status')).toBe('PENDING');
  });

  it('a status change and a ticket opened through SOAP are announced too, each with its own event id', async () => {
    const ticket = withStatus('PENDING')[0] as (typeof seeded)[number];
    const before = receiver.deliveries.length;
    expect((await post(admin(`${ticket.ticketId}/status`), { status: 'RESOLVED' })).status).toBe(200);
    const opened = await callSoap(`${helpdesk.url}/helpdesk`, NAMESPACE, 'OpenTicket', { CustomerId: 'cust-30', Subject: 'Lost parcel', Priority: 'HIGH' });
    expect(opened.status).toBe(200);
    await eventually(() => receiver.deliveries.length >= before + 2);
    const events = receiver.deliveries.slice(before).map((d) => JSON.parse(d.body) as Record<string, string>);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'ticket.updated', ticketId: ticket.ticketId, status: 'RESOLVED' }),
        expect.objectContaining({ type: 'ticket.created', ticketId: text(opened.body, 'TicketId'), customerId: 'cust-30', status: 'OPEN' }),
      ]),
    );
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
  });

  it.each([
    ['a reply to an unknown ticket', 'tkt-999999/reply', { text: 'hello' }, 404, 'unknown_ticket'],
    ['a reply to a CLOSED ticket', `${withStatus('CLOSED')[0]?.ticketId}/reply`, { text: 'hello' }, 409, 'ticket_closed'],
    ['an empty reply', `${withStatus('OPEN')[1]?.ticketId}/reply`, { text: '' }, 400, 'invalid_request'],
    ['a status the helpdesk does not have', `${withStatus('OPEN')[1]?.ticketId}/status`, { status: 'ON_FIRE' }, 400, 'invalid_request'],
    ['the status a ticket already has', `${withStatus('OPEN')[1]?.ticketId}/status`, { status: 'OPEN' }, 409, 'status_unchanged'],
    ['a body that is not JSON', `${withStatus('OPEN')[1]?.ticketId}/status`, '{', 400, 'invalid_json'],
  ])('refuses %s', async (_case, path, body, status, code) => {
    const answer = await post(admin(path), body);
    expect(answer).toEqual({ status, body: { error: code, message: expect.any(String) } });
  });

  it('answers an admin body over 64 KiB 413 and shows a ticket with its replies', async () => {
    const big = await post(admin(`${withStatus('OPEN')[1]?.ticketId}/reply`), { text: 'x'.repeat(70_000) });
    expect(big.status).toBe(413);
    const shown = await fetch(admin(String(withStatus('OPEN')[0]?.ticketId)));
    expect(((await shown.json()) as { replies: unknown[] }).replies).toHaveLength(1);
  });

  it('keeps changes across a restart (journaled)', async () => {
    const ticket = withStatus('OPEN')[2] as (typeof seeded)[number];
    expect((await post(admin(`${ticket.ticketId}/status`), { status: 'CLOSED' })).status).toBe(200);
    const again = await startHelpdesk({ HELPDESK_ACTIVITY_PACE: 'off' }, helpdesk.stateDir);
    try {
      const shown = (await (await fetch(`${again.url}/_admin/tickets/${ticket.ticketId}`)).json()) as { ticket: { status: string } };
      expect(shown.ticket.status).toBe('CLOSED');
    } finally {
      await again.stop();
    }
  });
});

describe('helpdesk webhook delivery', () => {
  it('retries a refused delivery with backoff until the receiver answers 2xx, in order per ticket', async () => {
    const receiver = await startWebhookReceiver('x-helpdesk-signature');
    receiver.refuseNext(2);
    const helpdesk = await startHelpdesk({ HELPDESK_WEBHOOK_URL: receiver.url, HELPDESK_WEBHOOK_SECRET: SECRET, HELPDESK_ACTIVITY_PACE: 'off' });
    try {
      const ticket = withStatus('OPEN')[0] as (typeof seeded)[number];
      await post(`${helpdesk.url}/_admin/tickets/${ticket.ticketId}/reply`, { text: 'first' });
      await post(`${helpdesk.url}/_admin/tickets/${ticket.ticketId}/status`, { status: 'RESOLVED' });
      await eventually(() => receiver.deliveries.length === 2, 10_000);
      expect(receiver.attempts).toHaveLength(4);
      expect(receiver.deliveries.map((d) => (JSON.parse(d.body) as { status: string }).status)).toEqual(['PENDING', 'RESOLVED']);
      // The refused event was signed afresh and is the same event each time.
      expect(new Set(receiver.attempts.slice(0, 3).map((a) => (JSON.parse(a.body) as { id: string }).id)).size).toBe(1);
    } finally {
      await helpdesk.stop();
      await receiver.stop();
      rmSync(helpdesk.stateDir, { recursive: true, force: true });
    }
  });

  it('at HELPDESK_ACTIVITY_PACE its agents work tickets on their own, each step journaled and announced', async () => {
    const receiver = await startWebhookReceiver('x-helpdesk-signature');
    const helpdesk = await startHelpdesk({ HELPDESK_WEBHOOK_URL: receiver.url, HELPDESK_WEBHOOK_SECRET: SECRET, HELPDESK_ACTIVITY_PACE: '1s' });
    try {
      await eventually(() => receiver.deliveries.length >= 2, 5_000);
      const journaled = readFileSync(join(helpdesk.stateDir, 'changes.jsonl'), 'utf8').trim().split('\n');
      expect(journaled.length).toBeGreaterThanOrEqual(2);
      for (const delivery of receiver.deliveries)
        expect(JSON.parse(delivery.body)).toMatchObject({ type: 'ticket.updated', status: expect.stringMatching(/^(PENDING|RESOLVED|CLOSED)$/) });
    } finally {
      await helpdesk.stop();
      await receiver.stop();
      rmSync(helpdesk.stateDir, { recursive: true, force: true });
    }
  });

  it('refuses a pace that is not a duration or off, naming the variable', async () => {
    await expect(startHelpdesk({ HELPDESK_ACTIVITY_PACE: 'often' })).rejects.toThrow(/HELPDESK_ACTIVITY_PACE/);
  });
});
