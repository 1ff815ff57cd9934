import DataLoader from 'dataloader';
import { asCaller, errorCodes, requestScope, runOperation } from '../../test/support/operations';
import { viewer } from '../../test/support/viewers';
import { subgraphOverAdapters, type Subgraph } from '../kit/build-subgraph';
import { BackendUnavailableError } from '../kit/errors';
import type { PreferenceValues, Preferences, PreferencesBackend } from './preference-client';
import declaration from './subgraph';

/**
 * An in-memory preference store that records what it was asked. Reads are grouped per tick like the real adapter's
 * DataLoader, so `batches` shows how many backend calls a request would cost.
 */
class FakePreferences implements PreferencesBackend {
  readonly asked: string[] = [];
  readonly batches: string[][] = [];
  readonly written: [string, PreferenceValues][] = [];
  failing = false;
  /** When set, every call fails with it: an error no one planned for. */
  unexpected?: Error;
  readonly stored = new Map<string, Preferences>([
    ['cust-1', { customerId: 'cust-1', language: 'en', marketingOptIn: false, channels: ['EMAIL'], updatedAt: '2024-01-01T00:00:00Z' }],
    ['cust-2', { customerId: 'cust-2', language: 'de', marketingOptIn: true, channels: ['SMS', 'POST'], updatedAt: '2024-01-02T00:00:00Z' }],
  ]);
  // Batching only, no caching: one fake serves every request of a test.
  private readonly byCustomer = new DataLoader<string, Preferences | null>(
    async (ids) => {
      const calls = ids.map((id) => `preferencesOf:${id}`);
      this.asked.push(...calls);
      this.batches.push(calls);
      this.fail();
      return ids.map((id) => this.stored.get(id) ?? null);
    },
    { cache: false },
  );
  preferencesOf(customerId: string) {
    return this.byCustomer.load(customerId);
  }
  latestPreferencesOf(customerId: string) {
    return this.byCustomer.load(customerId);
  }
  async replacePreferences(customerId: string, values: PreferenceValues) {
    this.asked.push(`replace:${customerId}`);
    this.fail();
    this.written.push([customerId, values]);
    const updated = { customerId, ...values, updatedAt: '2024-06-01T00:00:00Z' };
    this.stored.set(customerId, updated);
    return updated;
  }
  private fail() {
    if (this.unexpected) throw this.unexpected;
    if (this.failing) throw new BackendUnavailableError('preference service');
  }
}

describe('preferences subgraph', () => {
  let backend: FakePreferences;
  let subgraph: Subgraph<{ preferences: PreferencesBackend }>;
  beforeEach(() => {
    backend = new FakePreferences();
    subgraph = subgraphOverAdapters(declaration, () => ({ preferences: backend }));
  });
  const run = (query: string, variables?: Record<string, unknown>, caller = viewer('service')) =>
    runOperation(subgraph.server, asCaller(subgraph.backends(requestScope()), caller), query, variables);
  const update = (customerId: string, input: Record<string, unknown>, caller = viewer('service')) =>
    run(
      'mutation($id: ID!, $input: PreferencesInput!) { updatePreferences(customerId: $id, input: $input) { language marketingOptIn channels } }',
      { id: customerId, input },
      caller,
    );
  const entities = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id preferences { language channels } } } }';

  it('adds preferences to customers through _entities', async () => {
    const result = await run(entities, {
      r: [
        { __typename: 'Customer', id: 'cust-1' },
        { __typename: 'Customer', id: 'cust-2' },
        { __typename: 'Customer', id: 'cust-404' },
      ],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([
      { id: 'cust-1', preferences: { language: 'en', channels: ['EMAIL'] } },
      { id: 'cust-2', preferences: { language: 'de', channels: ['SMS', 'POST'] } },
      { id: 'cust-404', preferences: null },
    ]);
  });

  it('serves its SDL through _service', async () => {
    const sdl = ((await run('{ _service { sdl } }')).data?._service as { sdl: string }).sdl;
    expect(sdl).toMatch(/type Customer\s+@key\(fields: "id"\)/);
    expect(sdl).toContain('updatePreferences(');
    expect(sdl).toContain('type Preferences');
  });

  it('changes only the fields given', async () => {
    const result = await update('cust-1', { marketingOptIn: true });
    expect(result.data?.updatePreferences).toEqual({ language: 'en', marketingOptIn: true, channels: ['EMAIL'] });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an empty input', {}, 'input'],
    ['a malformed language', { language: 'english' }, 'input.language'],
    ['a channel listed twice', { channels: ['SMS', 'SMS'] }, 'input.channels'],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_case, input, argumentName) => {
    const result = await update('cust-1', input);
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.extensions?.argumentName).toBe(argumentName);
    expect(result.errors?.[0]?.message).toContain(argumentName);
    expect(backend.asked.filter((call) => call.startsWith('replace'))).toEqual([]);
  });

  it('refuses an unknown channel in validation', async () => {
    const result = await update('cust-1', { channels: ['FAX'] });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.message).toMatch(/FAX.*Channel/);
    expect(backend.asked).toEqual([]);
  });

  it('refuses an unknown customer with BAD_USER_INPUT', async () => {
    const result = await update('cust-404', { language: 'fr' });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]).toMatchObject({ message: 'customerId names no customer', extensions: { argumentName: 'customerId' } });
    expect(backend.written).toEqual([]);
  });

  it('lets a customer read and change their own preferences only; agents never change them', async () => {
    const own = viewer('customer', 'cust-1');
    expect((await update('cust-1', { language: 'fr' }, own)).errors).toBeUndefined();
    expect(errorCodes(await update('cust-2', { language: 'fr' }, own))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await update('cust-2', { language: 'fr' }, viewer('agent')))).toEqual(['FORBIDDEN']);
    const other = await run(entities, { r: [{ __typename: 'Customer', id: 'cust-2' }] }, own);
    expect(other.data?._entities).toEqual([{ id: 'cust-2', preferences: null }]);
    expect(errorCodes(other)).toEqual(['FORBIDDEN']);
    expect(backend.stored.get('cust-2')?.language).toBe('de');
  });

  it('turns an outage into BACKEND_UNAVAILABLE at the field', async () => {
    backend.failing = true;
    const result = await run(entities, { r: [{ __typename: 'Customer', id: 'cust-1' }] });
    expect(result.data?._entities).toEqual([{ id: 'cust-1', preferences: null }]);
    expect(result.errors?.[0]).toMatchObject({ path: ['_entities', 0, 'preferences'], extensions: { code: 'BACKEND_UNAVAILABLE' } });
    expect(JSON.stringify(result.errors)).not.toMatch(/stack|http:\/\//);
  });

  it('reads the preferences of several customers in one batched call', async () => {
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { preferences { marketingOptIn updatedAt } } } }', {
      r: ['cust-2', 'cust-1', 'cust-404'].map((id) => ({ __typename: 'Customer', id })),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([
      { preferences: { marketingOptIn: true, updatedAt: '2024-01-02T00:00:00Z' } },
      { preferences: { marketingOptIn: false, updatedAt: '2024-01-01T00:00:00Z' } },
      { preferences: null },
    ]);
    expect(backend.batches).toEqual([['preferencesOf:cust-2', 'preferencesOf:cust-1', 'preferencesOf:cust-404']]);
  });

  it('writes the given fields merged over the current ones, once', async () => {
    const result = await run(
      'mutation { updatePreferences(customerId: "cust-2", input: { language: "fr-CA", channels: [PUSH] }) { language marketingOptIn channels updatedAt } }',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.updatePreferences).toEqual({ language: 'fr-CA', marketingOptIn: true, channels: ['PUSH'], updatedAt: '2024-06-01T00:00:00Z' });
    expect(backend.written).toEqual([['cust-2', { language: 'fr-CA', marketingOptIn: true, channels: ['PUSH'] }]]);
  });

  it('turns an outage while writing into BACKEND_UNAVAILABLE without internals', async () => {
    backend.failing = true;
    const result = await update('cust-1', { language: 'fr' });
    expect(result.data).toBeNull();
    expect(errorCodes(result)).toEqual(['BACKEND_UNAVAILABLE']);
    expect(JSON.stringify(result.errors)).not.toMatch(/stack|http:\/\//);
    expect(backend.written).toEqual([]);
  });

  it('masks an unexpected error as INTERNAL_SERVER_ERROR, hiding its message', async () => {
    backend.unexpected = new Error('ECONNRESET at http://preferences.internal:4102/preferences');
    const result = await run(entities, { r: [{ __typename: 'Customer', id: 'cust-1' }] });
    expect(result.data?._entities).toEqual([{ id: 'cust-1', preferences: null }]);
    expect(errorCodes(result)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(result.errors?.[0]?.message).toMatch(/^Internal server error/);
    expect(JSON.stringify(result.errors)).not.toMatch(/ECONNRESET|preferences\.internal|stack/);
  });

  it('checks updatePreferences input before anything reaches the preference service, even while it is down', async () => {
    backend.failing = true;
    const result = await update('cust-1', { language: 'english' });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(backend.asked).toEqual([]);
  });
});
