import DataLoader from 'dataloader';
import { asCaller, errorCodes, requestScope, runOperation } from '../../test/support/operations';
import { viewer } from '../../test/support/viewers';
import { subgraphOverAdapters, type Subgraph } from '../kit/build-subgraph';
import { BackendUnavailableError, badUserInput } from '../kit/errors';
import type { NewTicket, SupportTicket, TicketsBackend } from './helpdesk-client';
import declaration from './subgraph';

const ticket = (id: string, customerId: string, status: SupportTicket['status']): SupportTicket => ({
  id,
  customerId,
  subject: `Help ${id}`,
  description: 'It broke',
  status,
  priority: 'NORMAL',
  openedAt: '2024-03-01T10:00:00Z',
});

/**
 * An in-memory helpdesk that records what it was asked. Reads are grouped per tick like the real adapter's
 * DataLoaders, so `batches` shows how many helpdesk calls a request would cost.
 */
class FakeTickets implements TicketsBackend {
  readonly asked: string[] = [];
  readonly batches: string[][] = [];
  readonly opened: NewTicket[] = [];
  failing = false;
  /** When set, every call fails with it: an error no one planned for. */
  unexpected?: Error;
  private readonly tickets = [ticket('tkt-1', 'cust-1', 'OPEN'), ticket('tkt-2', 'cust-1', 'CLOSED'), ticket('tkt-3', 'cust-2', 'OPEN')];
  // Batching only, no caching: one fake serves every request of a test.
  private readonly byCustomer = new DataLoader<string, SupportTicket[]>(
    async (ids) => {
      this.record('ticketsOf', ids);
      return ids.map((id) => this.tickets.filter((t) => t.customerId === id));
    },
    { cache: false },
  );
  private readonly byId = new DataLoader<string, SupportTicket | null>(
    async (ids) => {
      this.record('ticket', ids);
      return ids.map((id) => this.tickets.find((t) => t.id === id) ?? null);
    },
    { cache: false },
  );
  ticketsOf(customerId: string) {
    return this.byCustomer.load(customerId);
  }
  ticket(id: string) {
    return this.byId.load(id);
  }
  async openTicket(input: NewTicket) {
    this.asked.push(`open:${input.customerId}`);
    this.fail();
    // As HelpdeskClient reports the helpdesk's UNKNOWN_CUSTOMER fault.
    if (input.customerId === 'cust-404') throw badUserInput('input.customerId names no customer', 'input.customerId');
    this.opened.push(input);
    return { ...ticket(`tkt-${100 + this.opened.length}`, input.customerId, 'OPEN'), subject: input.subject, priority: input.priority };
  }
  private record(operation: string, ids: readonly string[]) {
    const calls = ids.map((id) => `${operation}:${id}`);
    this.asked.push(...calls);
    this.batches.push(calls);
    this.fail();
  }
  private fail() {
    if (this.unexpected) throw this.unexpected;
    if (this.failing) throw new BackendUnavailableError('helpdesk');
  }
}

describe('support-tickets subgraph', () => {
  let backend: FakeTickets;
  let subgraph: Subgraph<{ tickets: TicketsBackend }>;
  beforeEach(() => {
    backend = new FakeTickets();
    subgraph = subgraphOverAdapters(declaration, () => ({ tickets: backend }));
  });
  const run = (query: string, variables?: Record<string, unknown>, caller = viewer('service')) =>
    runOperation(subgraph.server, asCaller(subgraph.backends(requestScope()), caller), query, variables);
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
    expect(sdl).toMatch(/type Customer\s+@key\(fields: "id"\)/);
    expect(sdl).toContain('openSupportTicket(');
  });

  it('opens a ticket', async () => {
    const result = await open(good);
    expect(result.data?.openSupportTicket).toEqual({ id: 'tkt-101', subject: 'Parcel missing', priority: 'HIGH', customer: { id: 'cust-1' } });
  });

  it("keeps customers to their own tickets, while agents see any customer's", async () => {
    const own = viewer('customer', 'cust-1');
    expect(errorCodes(await open({ ...good, customerId: 'cust-2' }, own))).toEqual(['FORBIDDEN']);
    // Someone else's ticket answers exactly like a missing one, so ids cannot be probed.
    expect(await run('{ supportTicket(id: "tkt-3") { __typename id } }', undefined, own)).toEqual(
      await run('{ supportTicket(id: "tkt-999") { __typename id } }', undefined, own),
    );
    expect(await run('{ supportTicket(id: "tkt-3") { id } }', undefined, own)).toEqual({ data: { supportTicket: null } });
    expect((await run('{ supportTicket(id: "tkt-3") { id } }', undefined, viewer('agent'))).data?.supportTicket).toEqual({ id: 'tkt-3' });
    expect((await open({ ...good, customerId: 'cust-2' }, viewer('agent'))).errors).toBeUndefined();
  });

  it('turns an outage into BACKEND_UNAVAILABLE at the field', async () => {
    backend.failing = true;
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { supportTickets { id } } } }', {
      r: [{ __typename: 'Customer', id: 'cust-1' }],
    });
    expect(result.errors?.[0]).toMatchObject({ path: ['_entities', 0, 'supportTickets'], extensions: { code: 'BACKEND_UNAVAILABLE' } });
    expect(JSON.stringify(result.errors)).not.toMatch(/stack|http:\/\//);
  });

  it("reads several customers' tickets in one batched helpdesk call", async () => {
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { supportTickets { id status } } } }', {
      r: ['cust-1', 'cust-2', 'cust-404'].map((id) => ({ __typename: 'Customer', id })),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([
      {
        supportTickets: [
          { id: 'tkt-1', status: 'OPEN' },
          { id: 'tkt-2', status: 'CLOSED' },
        ],
      },
      { supportTickets: [{ id: 'tkt-3', status: 'OPEN' }] },
      { supportTickets: [] },
    ]);
    expect(backend.batches).toEqual([['ticketsOf:cust-1', 'ticketsOf:cust-2', 'ticketsOf:cust-404']]);
  });

  it('resolves several SupportTicket entities in one batched helpdesk call, null for an unknown id', async () => {
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on SupportTicket { id openedAt customer { id } } } }', {
      r: ['tkt-3', 'tkt-999', 'tkt-1'].map((id) => ({ __typename: 'SupportTicket', id })),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([
      { id: 'tkt-3', openedAt: '2024-03-01T10:00:00Z', customer: { id: 'cust-2' } },
      null,
      { id: 'tkt-1', openedAt: '2024-03-01T10:00:00Z', customer: { id: 'cust-1' } },
    ]);
    expect(backend.batches).toEqual([['ticket:tkt-3', 'ticket:tkt-999', 'ticket:tkt-1']]);
  });

  it('opens a ticket with a trimmed subject and the defaults, passing a reference derived from the idempotency key on', async () => {
    const bare = await open({ customerId: 'cust-2', subject: '  Where is my refund?  ' });
    expect(bare.data?.openSupportTicket).toEqual({ id: 'tkt-101', subject: 'Where is my refund?', priority: 'NORMAL', customer: { id: 'cust-2' } });
    await open({ ...good, idempotencyKey: 'tkt-key-1' });
    expect(backend.opened).toEqual([
      { customerId: 'cust-2', subject: 'Where is my refund?', description: '', priority: 'NORMAL' },
      { ...good, idempotencyKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a blank subject', { subject: '   ' }, 'input.subject'],
    ['a subject over 200 characters', { subject: 's'.repeat(201) }, 'input.subject'],
    ['a blank customer id', { customerId: ' ' }, 'input.customerId'],
    ['a description over 10,000 characters', { description: 'x'.repeat(10_001) }, 'input.description'],
    ['a key with spaces', { idempotencyKey: 'two words' }, 'input.idempotencyKey'],
    ['an empty key', { idempotencyKey: '' }, 'input.idempotencyKey'],
    ['a key over 100 characters', { idempotencyKey: 'k'.repeat(101) }, 'input.idempotencyKey'],
  ])('refuses %s with BAD_USER_INPUT naming the field, before calling the helpdesk', async (_case, change, argumentName) => {
    const result = await open({ ...good, ...change });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.extensions?.argumentName).toBe(argumentName);
    expect(result.errors?.[0]?.message).toContain(argumentName);
    expect(backend.asked).toEqual([]);
  });

  it('refuses an unknown priority or status while coercing arguments, before calling the helpdesk', async () => {
    const priority = await open({ ...good, priority: 'CRITICAL' });
    expect(errorCodes(priority)).toEqual(['BAD_USER_INPUT']);
    expect(priority.errors?.[0]?.message).toMatch(/CRITICAL.*TicketPriority/);
    const status = await run(
      'query($r: [_Any!]!, $s: TicketStatus) { _entities(representations: $r) { ... on Customer { supportTickets(status: $s) { id } } } }',
      {
        r: [{ __typename: 'Customer', id: 'cust-1' }],
        s: 'DONE',
      },
    );
    expect(errorCodes(status)).toEqual(['BAD_USER_INPUT']);
    expect(status.errors?.[0]?.message).toMatch(/DONE.*TicketStatus/);
    expect(backend.asked).toEqual([]);
  });

  it('refuses an unknown customer with BAD_USER_INPUT', async () => {
    const result = await open({ ...good, customerId: 'cust-404' });
    expect(result.data).toBeNull();
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]).toMatchObject({ message: 'input.customerId names no customer', extensions: { argumentName: 'input.customerId' } });
    expect(backend.opened).toEqual([]);
  });

  it('turns an outage while opening into BACKEND_UNAVAILABLE without internals', async () => {
    backend.failing = true;
    const result = await open(good);
    expect(result.data).toBeNull();
    expect(errorCodes(result)).toEqual(['BACKEND_UNAVAILABLE']);
    expect(JSON.stringify(result.errors)).not.toMatch(/stack|http:\/\//);
    expect(backend.opened).toEqual([]);
  });

  it('masks an unexpected error as INTERNAL_SERVER_ERROR, hiding its message', async () => {
    backend.unexpected = new Error('SOAP envelope parse failure at http://helpdesk.internal:4104/helpdesk');
    const result = await run('{ supportTicket(id: "tkt-1") { id } }');
    expect(result.data).toEqual({ supportTicket: null });
    expect(errorCodes(result)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(result.errors?.[0]?.message).toMatch(/^Internal server error/);
    expect(JSON.stringify(result.errors)).not.toMatch(/SOAP|helpdesk\.internal|stack/);
  });

  it('opens an explicit priority: null at the default NORMAL', async () => {
    const result = await open({ customerId: 'cust-1', subject: 'Help', priority: null });
    expect(result.errors).toBeUndefined();
    expect(backend.opened[0]?.priority).toBe('NORMAL');
  });

  it('gives the helpdesk a reference per client and key: a repeat returns the first ticket, another client never collides', async () => {
    const input = { customerId: 'cust-1', subject: 'Parcel missing', idempotencyKey: 'k-1' };
    const first = await open(input);
    const again = await open(input);
    expect(again.data).toEqual(first.data);
    await open({ ...input, customerId: 'cust-2' }, viewer('agent'));
    expect(backend.opened).toHaveLength(2);
    const [service, agent] = backend.opened.map((ticket) => ticket.idempotencyKey);
    expect(service).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(agent).not.toBe(service);
    expect(errorCodes(await open({ ...input, subject: 'Other' }))).toEqual(['IDEMPOTENCY_KEY_REUSED']);
  });
});
