import { EventLog } from '../../platform/events/event-log';
import { silentLogger } from '../../platform/log';
import { seedTickets } from '../../legacy/seed/tickets';
import { eventually } from '../support/payments';
import { startStack, type Stack } from '../support/stack';
import { describeWithDatabase } from '../support/database';

describeWithDatabase('ticket changes at the helpdesk reach the event log', () => {
  let stack: Stack;
  let eventLog: EventLog;

  beforeAll(async () => {
    stack = await startStack();
    eventLog = await EventLog.open(stack.databaseUrl, silentLogger);
  }, 60_000);
  afterAll(async () => {
    await eventLog.close();
    await stack.stop();
  });

  const ticketEvents = () => eventLog.after(undefined, { limit: 100, types: ['ticket.updated'] });

  it("an agent's reply on the stand-in ends as one ticket.updated event, signed, received and numbered", async () => {
    const ticket = seedTickets().find((t) => t.status === 'OPEN');
    if (!ticket) throw new Error('the seed has no OPEN ticket');
    const reply = await fetch(`${stack.backendUrls.helpdesk}/_admin/tickets/${ticket.ticketId}/reply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'We are on it.' }),
    });
    expect(reply.status).toBe(200);
    await eventually(async () => (await ticketEvents()).length > 0);
    // Once there, it stays the only one: nothing else changed a ticket.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await ticketEvents()).toEqual([
      {
        id: expect.stringMatching(/^\d+$/),
        type: 'ticket.updated',
        key: ticket.ticketId,
        customerId: ticket.customerId,
        attributes: { ticketId: ticket.ticketId, status: 'PENDING' },
        occurredAt: expect.any(String),
      },
    ]);
  });
});
