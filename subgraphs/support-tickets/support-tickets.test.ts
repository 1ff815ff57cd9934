import { silentLogger } from '../../platform/log';
import { asCaller, errorCodes, runOperation } from '../../test/support/operations';
import { viewer } from '../../test/support/viewers';
import { BackendUnavailableError } from '../kit/errors';
import { StaleMarks } from '../kit/last-good';
import type { NewTicket, SupportTicket, TicketsBackend } from './helpdesk-client';
import { createSupportTicketsSubgraph } from './server';

const ticket = (id: string, customerId: string, status: SupportTicket['status']): SupportTicket => ({
  id,
  customerId,
  subject: `Help ${id}`,
  description: 'It broke',
  status,
  priority: 'NORMAL',
  openedAt: '2024-03-01T10:00:00Z',
});

/** An in-memory helpdesk that records what it was asked. */
class FakeTickets implements TicketsBackend {
  readonly asked: string[] = [];
  readonly opened: NewTicket[] = [];
  failing = false;
  private readonly tickets = [ticket('tkt-1', 'cust-1', 'OPEN'), ticket('tkt-2', 'cust-1', 'CLOSED'), ticket('tkt-3', 'cust-2', 'OPEN')];
  async ticketsOf(customerId: string) {
    this.asked.push(`ticketsOf:${customerId}`);
    if (this.failing) throw new BackendUnavailableError('helpdesk');
    return this.tickets.filter((t) => t.customerId === customerId);
  }
  async ticket(id: string) {
    this.asked.push(`ticket:${id}`);
    return this.tickets.find((t) => t.id === id) ?? null;
  }
  async openTicket(input: NewTicket) {
    this.asked.push(`open:${input.customerId}`);
    this.opened.push(input);
    return { ...ticket(`tkt-${100 + this.opened.length}`, input.customerId, 'OPEN'), subject: input.subject, priority: input.priority };
  }
}

describe('support-tickets subgraph', () => {
  let backend: FakeTickets;
  let subgraph: ReturnType<typeof createSupportTicketsSubgraph>;
  beforeEach(() => {
    backend = new FakeTickets();
    subgraph = createSupportTicketsSubgraph({ newBackend: () => backend, log: silentLogger });
  });
  const run = (query: string, variables?: Record<string, unknown>, caller = viewer('service')) =>
    runOperation(subgraph.apollo, asCaller(subgraph.backends(new StaleMarks()), caller), query, variables);
  const open = (input: Record<string, unknown>, caller = viewer('service')) =>
    run('mutation($input: OpenSupportTicketInput!) { openSupportTicket(input: $input) { id subject priority customer { id } } }', { input }, caller);
  const good = { customerId: 'cust-1', subject: 'Parcel missing', description: 'Never arrived', priority: 'HIGH' };

  it('serves a ticket by id and null for an unknown one', async () => {
    expect((await run('{ supportTicket(id: "tkt-1") { id subject status customer { id } } }')).data?.supportTicket).toEqual({
      id: 'tkt-1',
      subject: 'Help tkt-1',
      status: 'OPEN',
      customer: { id: 'cust-1' },
    });
    expect(await run('{ supportTicket(id: "tkt-999") { id } }')).toEqual({ data: { supportTicket: null } });
  });

  it('adds tickets to customers through _entities, filtered by status', async () => {
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id supportTickets(status: OPEN) { id } } } }', {
      r: [
        { __typename: 'Customer', id: 'cust-1' },
        { __typename: 'Customer', id: 'cust-2' },
      ],
    });
    expect(result.data?._entities).toEqual([
      { id: 'cust-1', supportTickets: [{ id: 'tkt-1' }] },
      { id: 'cust-2', supportTickets: [{ id: 'tkt-3' }] },
    ]);
  });

  it('resolves SupportTicket entities through __resolveReference under the field rules', async () => {
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on SupportTicket { id status } } }', {
      r: [{ __typename: 'SupportTicket', id: 'tkt-2' }],
    });
    expect(result.data?._entities).toEqual([{ id: 'tkt-2', status: 'CLOSED' }]);
  });

  it('serves its SDL through _service', async () => {
    const sdl = ((await run('{ _service { sdl } }')).data?._service as { sdl: string }).sdl;
    expect(sdl).toMatch(/type SupportTicket\s+@key\(fields: "id"\)/);
  });

  it('opens a ticket', async () => {
    const result = await open(good);
    expect(result.data?.openSupportTicket).toEqual({ id: 'tkt-101', subject: 'Parcel missing', priority: 'HIGH', customer: { id: 'cust-1' } });
  });

  it.each<[string, Record<string, unknown>]>([
    ['a blank subject', { subject: '   ' }],
    ['a key with spaces', { idempotencyKey: 'two words' }],
    ['a description over 10,000 characters', { description: 'x'.repeat(10_001) }],
    ['an unknown priority', { priority: 'CRITICAL' }],
  ])('refuses %s with BAD_USER_INPUT and opens nothing', async (_case, change) => {
    expect(errorCodes(await open({ ...good, ...change }))).toEqual(['BAD_USER_INPUT']);
    expect(backend.opened).toEqual([]);
  });

  it("keeps customers to their own tickets, while agents see any customer's", async () => {
    const own = viewer('customer', 'cust-1');
    expect(errorCodes(await open({ ...good, customerId: 'cust-2' }, own))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await run('{ supportTicket(id: "tkt-3") { id } }', undefined, own))).toContain('FORBIDDEN');
    expect((await run('{ supportTicket(id: "tkt-3") { id } }', undefined, viewer('agent'))).data?.supportTicket).toEqual({ id: 'tkt-3' });
    expect((await open({ ...good, customerId: 'cust-2' }, viewer('agent'))).errors).toBeUndefined();
  });

  it('turns an outage into BACKEND_UNAVAILABLE at the field', async () => {
    backend.failing = true;
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { supportTickets { id } } } }', {
      r: [{ __typename: 'Customer', id: 'cust-1' }],
    });
    expect(result.errors?.[0]).toMatchObject({ path: ['_entities', 0, 'supportTickets'], extensions: { code: 'BACKEND_UNAVAILABLE' } });
  });
});
