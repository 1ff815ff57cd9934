import { callSoap, elements, soapFaultOf, startBackend, text, type RunningBackend } from '../../test/support/legacy';
import { seedTickets, type HelpdeskTicket } from '../seed/tickets';
import createHelpdeskServer from './server';

const NAMESPACE = 'urn:atrium:legacy:helpdesk';

/** A ticket as read back from the wire. */
const readTicket = (xml: string) => ({
  ticketId: text(xml, 'TicketId'),
  customerId: text(xml, 'CustomerId'),
  externalReference: text(xml, 'ExternalReference'),
  subject: text(xml, 'Subject'),
  description: text(xml, 'Description'),
  status: text(xml, 'Status'),
  priority: text(xml, 'Priority'),
  openedAt: text(xml, 'OpenedAt'),
});

const onTheWire = (t: HelpdeskTicket) => ({
  ticketId: t.ticketId,
  customerId: t.customerId,
  externalReference: t.externalReference,
  subject: t.subject,
  description: t.description,
  status: t.status,
  priority: t.priority,
  openedAt: t.openedAt,
});

describe('helpdesk (SOAP)', () => {
  const seeded = seedTickets();
  const seededOf = (customerId: string) => seeded.filter((t) => t.customerId === customerId).sort((a, b) => b.openedAt.localeCompare(a.openedAt));
  let helpdesk: RunningBackend;

  beforeAll(async () => {
    helpdesk = await startBackend(createHelpdeskServer);
  });
  afterAll(() => helpdesk.stop());
  beforeEach(() => helpdesk.restore());

  const call = (operation: string, args: Record<string, unknown>) => callSoap(`${helpdesk.url}/helpdesk`, NAMESPACE, operation, args);
  const ticketsIn = (xml: string) => elements(xml, 'Ticket').map(readTicket);
  const open = (args: Record<string, unknown>) =>
    call('OpenTicket', { CustomerId: 'cust-30', Subject: 'Printer on fire', Description: 'Smoke everywhere', Priority: 'URGENT', ...args });

  it('serves its WSDL at ?wsdl with the address the client reached, uncounted', async () => {
    const response = await fetch(`${helpdesk.url}/helpdesk?wsdl`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
    const wsdl = await response.text();
    expect(wsdl).toContain(`targetNamespace="${NAMESPACE}"`);
    for (const operation of ['GetTicketsByCustomerIds', 'GetTicketsByIds', 'OpenTicket']) expect(wsdl).toContain(`<operation name="${operation}">`);
    expect(wsdl).toContain(`<soap:address location="${helpdesk.url}/helpdesk"/>`);
    expect(await helpdesk.stats()).toEqual({ total: 0, calls: {} });
  });

  describe('GetTicketsByCustomerIds', () => {
    // Customers with several seeded tickets, so the order is worth checking.
    const busy = [...new Set(seeded.map((t) => t.customerId))].filter((id) => seededOf(id).length >= 3).slice(0, 3);

    it('answers every ticket of the customers asked for, most recent first, in one call', async () => {
      expect(busy).toHaveLength(3);
      const answer = await call('GetTicketsByCustomerIds', { CustomerId: busy });
      expect(answer.status).toBe(200);
      const tickets = ticketsIn(answer.body);
      for (const id of busy) expect(tickets.filter((t) => t.customerId === id)).toEqual(seededOf(id).map(onTheWire));
      expect(tickets).toHaveLength(busy.reduce((n, id) => n + seededOf(id).length, 0));
      expect(await helpdesk.stats()).toEqual({ total: 1, calls: { GetTicketsByCustomerIds: 1 } });
    });

    it('answers no tickets for a customer it does not know', async () => {
      const answer = await call('GetTicketsByCustomerIds', { CustomerId: 'cust-77777' });
      expect(answer.status).toBe(200);
      expect(ticketsIn(answer.body)).toEqual([]);
    });

    it.each([
      ['no customer id', {}],
      ['101 customer ids', { CustomerId: Array.from({ length: 101 }, (_, i) => `cust-${i + 1}`) }],
    ])('answers %s with a soap:Client fault', async (_case, args) => {
      const answer = await call('GetTicketsByCustomerIds', args);
      expect(answer.status).toBe(500);
      expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.stringContaining('CustomerId'), code: 'INVALID_REQUEST' });
    });
  });

  describe('GetTicketsByIds', () => {
    it('answers the known tickets and leaves unknown ids out', async () => {
      const answer = await call('GetTicketsByIds', { TicketId: ['tkt-1', 'tkt-99999', 'tkt-2500'] });
      expect(answer.status).toBe(200);
      expect(ticketsIn(answer.body)).toEqual([onTheWire(seeded[0] as HelpdeskTicket), onTheWire(seeded[2499] as HelpdeskTicket)]);
      expect(await helpdesk.stats()).toEqual({ total: 1, calls: { GetTicketsByIds: 1 } });
    });

    it('answers no ticket id with a soap:Client fault', async () => {
      const answer = await call('GetTicketsByIds', {});
      expect(soapFaultOf(answer.body)).toMatchObject({ faultcode: 'soap:Client', code: 'INVALID_REQUEST' });
    });
  });

  describe('OpenTicket', () => {
    it('opens a new ticket', async () => {
      const answer = await open({ ExternalReference: 'hd-test-new' });
      expect(answer.status).toBe(200);
      expect(text(answer.body, 'Created')).toBe('true');
      const [ticket] = ticketsIn(answer.body);
      expect(ticket).toEqual({
        ticketId: expect.stringMatching(/^tkt-\d+$/),
        customerId: 'cust-30',
        externalReference: 'hd-test-new',
        subject: 'Printer on fire',
        description: 'Smoke everywhere',
        status: 'OPEN',
        priority: 'URGENT',
        openedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      });
      expect(seeded.some((t) => t.ticketId === ticket?.ticketId)).toBe(false);
      expect(ticketsIn((await call('GetTicketsByIds', { TicketId: ticket?.ticketId })).body)).toEqual([ticket]);
    });

    it('opens an external reference once: a repeat answers the first ticket with Created=false', async () => {
      const first = await open({ ExternalReference: 'hd-test-once' });
      const again = await open({ ExternalReference: 'hd-test-once' });
      expect(text(first.body, 'Created')).toBe('true');
      expect(again.status).toBe(200);
      expect(text(again.body, 'Created')).toBe('false');
      expect(ticketsIn(again.body)).toEqual(ticketsIn(first.body));
      const list = ticketsIn((await call('GetTicketsByCustomerIds', { CustomerId: 'cust-30' })).body);
      expect(list.filter((t) => t.externalReference === 'hd-test-once')).toHaveLength(1);
      expect(await helpdesk.stats()).toEqual({ total: 3, calls: { GetTicketsByCustomerIds: 1, OpenTicket: 2 } });
    });

    it('refuses a used external reference for another ticket with a REFERENCE_REUSED Client fault, never the first ticket', async () => {
      await open({ ExternalReference: 'hd-test-reused' });
      for (const other of [{ Subject: 'Something else' }, { Priority: 'LOW' }, { CustomerId: 'cust-31' }]) {
        const reused = await open({ ExternalReference: 'hd-test-reused', ...other });
        expect(reused.status).toBe(500);
        expect(soapFaultOf(reused.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.any(String), code: 'REFERENCE_REUSED' });
      }
    });

    it('opens a new ticket every time when no external reference is given', async () => {
      const first = await open({ CustomerId: 'cust-31' });
      const second = await open({ CustomerId: 'cust-31' });
      expect(text(first.body, 'Created')).toBe('true');
      expect(text(second.body, 'Created')).toBe('true');
      expect(text(second.body, 'TicketId')).not.toBe(text(first.body, 'TicketId'));
      expect(text(first.body, 'ExternalReference')).toBeUndefined();
      expect(ticketsIn((await call('GetTicketsByCustomerIds', { CustomerId: 'cust-31' })).body)).toHaveLength(seededOf('cust-31').length + 2);
    });

    it.each([
      ['an unknown customer', { CustomerId: 'cust-1001' }, 'UNKNOWN_CUSTOMER'],
      ['no subject', { Subject: '' }, 'INVALID_REQUEST'],
      ['a subject over 200 characters', { Subject: 's'.repeat(201) }, 'INVALID_REQUEST'],
      ['a description over 10,000 characters', { Description: 'd'.repeat(10_001) }, 'INVALID_REQUEST'],
      ['an unknown priority', { Priority: 'WHENEVER' }, 'INVALID_REQUEST'],
    ])('refuses %s with a soap:Client fault and opens nothing', async (refusal, args, code) => {
      const reference = `hd-test-refused-${refusal}`;
      const count = async () => ticketsIn((await call('GetTicketsByCustomerIds', { CustomerId: 'cust-32' })).body).length;
      const before = await count();
      const answer = await open({ CustomerId: 'cust-32', ExternalReference: reference, ...args });
      expect(answer.status).toBe(500);
      expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.any(String), code });
      expect(await count()).toBe(before);
      // The refused reference was not taken.
      expect(text((await open({ CustomerId: 'cust-32', ExternalReference: reference })).body, 'Created')).toBe('true');
    });
  });

  it('answers a soap:Server fault at errorRate 1 and drops connections while down', async () => {
    await helpdesk.setFaults({ errorRate: 1 });
    const faulted = await call('GetTicketsByIds', { TicketId: 'tkt-1' });
    expect(faulted.status).toBe(500);
    expect(soapFaultOf(faulted.body)).toMatchObject({ faultcode: 'soap:Server', faultstring: 'injected fault' });
    await helpdesk.setFaults({ errorRate: 0, down: true });
    await expect(call('GetTicketsByIds', { TicketId: 'tkt-1' })).rejects.toThrow('fetch failed');
    expect((await fetch(`${helpdesk.url}/health`)).status).toBe(200);
    await helpdesk.setFaults({ down: false });
    expect((await call('GetTicketsByIds', { TicketId: 'tkt-1' })).status).toBe(200);
  });
});
