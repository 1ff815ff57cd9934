import { silentLogger } from '../../platform/log';
import { asCaller, errorCodes, runOperation } from '../../test/support/operations';
import { viewer } from '../../test/support/viewers';
import { BackendUnavailableError } from '../kit/errors';
import { StaleMarks } from '../kit/last-good';
import type { PreferenceValues, Preferences, PreferencesBackend } from './preference-client';
import { createPreferencesSubgraph } from './server';

/** An in-memory preference store that records what it was asked. */
class FakePreferences implements PreferencesBackend {
  readonly asked: string[] = [];
  failing = false;
  readonly stored = new Map<string, Preferences>([
    ['cust-1', { customerId: 'cust-1', language: 'en', marketingOptIn: false, channels: ['EMAIL'], updatedAt: '2024-01-01T00:00:00Z' }],
    ['cust-2', { customerId: 'cust-2', language: 'de', marketingOptIn: true, channels: ['SMS', 'POST'], updatedAt: '2024-01-02T00:00:00Z' }],
  ]);
  async preferencesOf(customerId: string) {
    this.asked.push(`preferencesOf:${customerId}`);
    if (this.failing) throw new BackendUnavailableError('preference service');
    return this.stored.get(customerId) ?? null;
  }
  async replacePreferences(customerId: string, values: PreferenceValues) {
    this.asked.push(`replace:${customerId}`);
    const updated = { customerId, ...values, updatedAt: '2024-06-01T00:00:00Z' };
    this.stored.set(customerId, updated);
    return updated;
  }
}

describe('preferences subgraph', () => {
  let backend: FakePreferences;
  let subgraph: ReturnType<typeof createPreferencesSubgraph>;
  beforeEach(() => {
    backend = new FakePreferences();
    subgraph = createPreferencesSubgraph({ newBackend: () => backend, log: silentLogger });
  });
  const run = (query: string, variables?: Record<string, unknown>, caller = viewer('service')) =>
    runOperation(subgraph.apollo, asCaller(subgraph.backends(new StaleMarks()), caller), query, variables);
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
    expect(backend.asked.filter((call) => call.startsWith('replace'))).toEqual([]);
  });

  it('refuses an unknown channel in validation', async () => {
    expect(errorCodes(await update('cust-1', { channels: ['FAX'] }))).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses an unknown customer with BAD_USER_INPUT', async () => {
    expect(errorCodes(await update('cust-404', { language: 'fr' }))).toEqual(['BAD_USER_INPUT']);
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
  });
});
