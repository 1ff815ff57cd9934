import { silentLogger } from '../../platform/log';
import { defaultResilience } from '../kit/resilience';
import { GraphQLError } from 'graphql';
import createHelpdeskServer from '../../legacy/helpdesk/server';
import { seedTickets, type HelpdeskTicket } from '../../legacy/seed/tickets';
import { startBackend, withLatency, type RunningBackend } from '../../test/support/legacy';
import { BackendUnavailableError } from '../kit/errors';
import { SoapClient, SoapClientFault } from '../kit/soap-client';
import { HelpdeskClient, type NewTicket, type SupportTicket } from './helpdesk-client';

/** What the adapter should make of a seeded ticket. */
const expected = (t: HelpdeskTicket): SupportTicket => ({
  id: t.ticketId,
  customerId: t.customerId,
  subject: t.subject,
  description: t.description,
  status: t.status,
  priority: t.priority,
  openedAt: t.openedAt,
});

describe('HelpdeskClient against the helpdesk', () => {
  const seeded = seedTickets();
  const seededOf = (customerId: string) => seeded.filter((t) => t.customerId === customerId).sort((a, b) => b.openedAt.localeCompare(a.openedAt));
  let helpdesk: RunningBackend;
  let soap: SoapClient;
  let impatient: SoapClient;

  beforeAll(async () => {
    helpdesk = await startBackend(createHelpdeskServer);
    // As supportTicketsOverHelpdesk builds it: one SOAP client per process, a new adapter per request.
    soap = new SoapClient({
      backend: 'helpdesk',
      endpoint: `${helpdesk.url}/helpdesk`,
      connections: 4,
      resilience: { ...defaultResilience, timeoutMs: 5_000, retries: 0 },
      log: silentLogger,
    });
    impatient = new SoapClient({
      backend: 'helpdesk',
      endpoint: `${helpdesk.url}/helpdesk`,
      connections: 2,
      resilience: { ...defaultResilience, timeoutMs: 200, retries: 0 },
      log: silentLogger,
    });
  });
  afterAll(async () => {
    await soap.close();
    await impatient.close();
    await helpdesk.stop();
  });
  beforeEach(() => helpdesk.restore());

  const calls = () => helpdesk.backend.stats.toJSON();
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error,
    );
  const ticket = (fields: Partial<NewTicket> = {}): NewTicket => ({
    customerId: 'cust-60',
    subject: 'Parcel never arrived',
    description: 'Tracking says delivered, the porch says otherwise.',
    priority: 'HIGH',
    ...fields,
  });

  it('maps tickets with dates as ISO strings, most recent first', async () => {
    const busy = seeded.find((t) => seededOf(t.customerId).length >= 3)?.customerId as string;
    const tickets = await new HelpdeskClient(soap).ticketsOf(busy);
    expect(tickets).toEqual(seededOf(busy).map(expected));
    for (const t of tickets) expect(t.openedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(await helpdesk.stats()).toEqual({ total: 1, calls: { GetTicketsByCustomerIds: 1 } });
  });

  it('loads the tickets of many customers asked for in the same tick with one call, and none more', async () => {
    const client = new HelpdeskClient(soap);
    const ids = Array.from({ length: 50 }, (_, i) => `cust-${i + 1}`);
    const lists = await Promise.all([...ids, 'cust-9'].map((id) => client.ticketsOf(id)));
    expect(lists.slice(0, 50)).toEqual(ids.map((id) => seededOf(id).map(expected)));
    expect(lists[50]).toEqual(seededOf('cust-9').map(expected));
    expect(await helpdesk.stats()).toEqual({ total: 1, calls: { GetTicketsByCustomerIds: 1 } });
    // Tickets that came with a list are primed for by-id lookups.
    const first = lists.flat()[0] as SupportTicket;
    expect(await client.ticket(first.id)).toBe(first);
    expect(calls().total).toBe(1);
  });

  it('loads many tickets by id in the same tick with one call', async () => {
    const client = new HelpdeskClient(soap);
    const ids = ['tkt-5', 'tkt-50', 'tkt-500', 'tkt-2500'];
    const tickets = await Promise.all(ids.map((id) => client.ticket(id)));
    expect(tickets).toEqual(ids.map((id) => expected(seeded.find((t) => t.ticketId === id) as HelpdeskTicket)));
    expect(calls()).toEqual({ total: 1, calls: { GetTicketsByIds: 1 } });
  });

  it('splits more than 100 ids into batches the helpdesk accepts', async () => {
    const client = new HelpdeskClient(soap);
    const tickets = await Promise.all(Array.from({ length: 130 }, (_, i) => client.ticket(`tkt-${i + 1}`)));
    expect(tickets.map((t) => t?.id)).toEqual(seeded.slice(0, 130).map((t) => t.ticketId));
    expect(calls()).toEqual({ total: 2, calls: { GetTicketsByIds: 2 } });
  });

  it('answers an empty list and null for what the helpdesk does not know', async () => {
    const client = new HelpdeskClient(soap);
    const [none, missing] = await Promise.all([client.ticketsOf('cust-31337'), client.ticket('tkt-31337')]);
    expect(none).toEqual([]);
    expect(missing).toBeNull();
  });

  describe('openTicket', () => {
    it('opens a ticket, a repeat with the same idempotency key returns the same ticket, another ticket under it is IDEMPOTENCY_KEY_REUSED', async () => {
      const first = await new HelpdeskClient(soap).openTicket(ticket({ idempotencyKey: 'adapter-ticket-once' }));
      expect(first).toEqual({
        id: expect.stringMatching(/^tkt-\d+$/),
        customerId: 'cust-60',
        subject: 'Parcel never arrived',
        description: 'Tracking says delivered, the porch says otherwise.',
        status: 'OPEN',
        priority: 'HIGH',
        openedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      });
      const again = await new HelpdeskClient(soap).openTicket(ticket({ idempotencyKey: 'adapter-ticket-once' }));
      expect(again).toEqual(first);
      const other = new HelpdeskClient(soap).openTicket(ticket({ idempotencyKey: 'adapter-ticket-once', subject: 'Changed my mind', priority: 'LOW' }));
      await expect(other).rejects.toMatchObject({ extensions: { code: 'IDEMPOTENCY_KEY_REUSED' } });
      const tickets = await new HelpdeskClient(soap).ticketsOf('cust-60');
      expect(tickets.filter((t) => t.id === first.id)).toHaveLength(1);
      expect(tickets).toHaveLength(seededOf('cust-60').length + 1);
      expect(calls()).toEqual({ total: 4, calls: { GetTicketsByCustomerIds: 1, OpenTicket: 3 } });
    });

    it('opens a new ticket each time without an idempotency key', async () => {
      const client = new HelpdeskClient(soap);
      const first = await client.openTicket(ticket({ customerId: 'cust-61' }));
      const second = await client.openTicket(ticket({ customerId: 'cust-61' }));
      expect(second.id).not.toBe(first.id);
    });

    it('shows the new ticket in the same request, although the customer’s tickets were loaded before', async () => {
      const client = new HelpdeskClient(soap);
      const before = await client.ticketsOf('cust-62');
      const opened = await client.openTicket(ticket({ customerId: 'cust-62', idempotencyKey: 'adapter-ticket-fresh' }));
      const after = await client.ticketsOf('cust-62');
      expect(after).toHaveLength(before.length + 1);
      expect(after.find((t) => t.id === opened.id)).toEqual(opened);
      expect(await client.ticket(opened.id)).toEqual(opened);
    });

    it('keeps an empty description as an empty string', async () => {
      const opened = await new HelpdeskClient(soap).openTicket(ticket({ customerId: 'cust-63', description: '' }));
      expect(opened.description).toBe('');
      expect((await new HelpdeskClient(soap).ticket(opened.id))?.description).toBe('');
    });

    it('keeps markup and entities in text exactly, both ways', async () => {
      const subject = 'Invoice <draft> & "final" — it’s &amp; wrong';
      const opened = await new HelpdeskClient(soap).openTicket(ticket({ customerId: 'cust-65', subject, description: 'a & b\n<c/>' }));
      expect(opened).toMatchObject({ subject, description: 'a & b\n<c/>' });
      expect((await new HelpdeskClient(soap).ticket(opened.id))?.subject).toBe(subject);
    });

    it('reports an unknown customer as BAD_USER_INPUT on input.customerId, and opens nothing', async () => {
      const error = await failure(new HelpdeskClient(soap).openTicket(ticket({ customerId: 'cust-1001', idempotencyKey: 'adapter-ticket-nobody' })));
      expect(error).toBeInstanceOf(GraphQLError);
      expect(error).not.toBeInstanceOf(SoapClientFault);
      expect((error as GraphQLError).extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'input.customerId' });
      expect(await new HelpdeskClient(soap).ticketsOf('cust-1001')).toEqual([]);
    });

    it('reports any other refusal as BACKEND_ERROR', async () => {
      const error = await failure(new HelpdeskClient(soap).openTicket(ticket({ subject: 'x'.repeat(201) })));
      expect(error).toBeInstanceOf(SoapClientFault);
      expect((error as SoapClientFault).faultCode).toBe('INVALID_REQUEST');
      expect((error as GraphQLError).extensions.code).toBe('BACKEND_ERROR');
    });
  });

  describe('when the helpdesk fails', () => {
    const expectUnavailable = (error: unknown) => {
      expect(error).toBeInstanceOf(BackendUnavailableError);
      const { message, extensions } = error as BackendUnavailableError;
      expect(extensions.code).toBe('BACKEND_UNAVAILABLE');
      expect(message).toMatch(/^helpdesk is unavailable( \(timed out\))?; try again later$/);
      expect(message).not.toContain(helpdesk.url);
      expect(message).not.toMatch(/127\.0\.0\.1|http|Fault|injected/i);
    };
    const everyCall = async (client: HelpdeskClient) => {
      const [list, one] = await Promise.allSettled([client.ticketsOf('cust-1'), client.ticket('tkt-1')]);
      expectUnavailable((list as PromiseRejectedResult).reason);
      expectUnavailable((one as PromiseRejectedResult).reason);
      expectUnavailable(await failure(client.openTicket(ticket({ customerId: 'cust-64' }))));
    };

    it.each([
      ['answers a SOAP Server fault', { errorRate: 1 }],
      ['is down', { down: true }],
    ])('reports BACKEND_UNAVAILABLE when it %s', async (_case, faults) => {
      await new HelpdeskClient(soap).ticket('tkt-1'); // the WSDL is loaded: the operations themselves fail
      await helpdesk.setFaults(faults);
      await everyCall(new HelpdeskClient(soap));
      await helpdesk.setFaults({ errorRate: 0, down: false });
      expect(await new HelpdeskClient(soap).ticketsOf('cust-64')).toHaveLength(seededOf('cust-64').length);
    });

    it('reports BACKEND_UNAVAILABLE when the WSDL cannot be read, and reads it again once the helpdesk is back', async () => {
      const cold = new SoapClient({
        backend: 'helpdesk',
        endpoint: `${helpdesk.url}/helpdesk`,
        connections: 1,
        resilience: { ...defaultResilience, timeoutMs: 5_000, retries: 0 },
        log: silentLogger,
      });
      try {
        await helpdesk.setFaults({ errorRate: 1 });
        await everyCall(new HelpdeskClient(cold));
        await helpdesk.setFaults({ errorRate: 0 });
        expect((await new HelpdeskClient(cold).ticket('tkt-1'))?.id).toBe('tkt-1');
      } finally {
        await cold.close();
      }
    });

    it('reports BACKEND_UNAVAILABLE as soon as the timeout passes when the helpdesk is slow', async () => {
      await new HelpdeskClient(impatient).ticket('tkt-1');
      const { outcome, elapsedMs } = await withLatency(helpdesk, 600, () => new HelpdeskClient(impatient).ticketsOf('cust-1'));
      expect(outcome.status).toBe('rejected');
      expectUnavailable((outcome as PromiseRejectedResult).reason);
      expect(elapsedMs).toBeGreaterThanOrEqual(150);
      expect(elapsedMs).toBeLessThan(500);
    });
  });
});
