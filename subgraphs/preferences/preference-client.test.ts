import { silentLogger } from '../../platform/log';
import { defaultResilience } from '../kit/resilience';
import { GraphQLError } from 'graphql';
import createPreferenceServer from '../../legacy/preference-service/server';
import { seedPreferences, type StoredPreferences } from '../../legacy/seed/preferences';
import { startBackend, withLatency, type RunningBackend } from '../../test/support/legacy';
import { BackendContractError, BackendUnavailableError } from '../kit/errors';
import { RestClient } from '../kit/rest-client';
import { PreferenceClient, type Channel, type Preferences } from './preference-client';

/** What the adapter should make of a stored record: the same values, channels in the API's upper case. */
const expected = (stored: StoredPreferences): Preferences => ({ ...stored, channels: stored.channels.map((c) => c.toUpperCase() as Channel) });

describe('PreferenceClient against the preference service', () => {
  const seeded = new Map(seedPreferences().map((p) => [p.customerId, p]));
  const seededOf = (id: string) => seeded.get(id) as StoredPreferences;
  let service: RunningBackend;
  let http: RestClient;
  let impatient: RestClient;

  beforeAll(async () => {
    service = await startBackend(createPreferenceServer);
    // As preferencesOverStore builds it: one pool per process, a new adapter per request.
    http = new RestClient({
      backend: 'preference service',
      baseUrl: service.url,
      connections: 4,
      resilience: { ...defaultResilience, timeoutMs: 5_000, retries: 0 },
      log: silentLogger,
    });
    impatient = new RestClient({
      backend: 'preference service',
      baseUrl: service.url,
      connections: 2,
      resilience: { ...defaultResilience, timeoutMs: 200, retries: 0 },
      log: silentLogger,
    });
  });
  afterAll(async () => {
    await http.close();
    await impatient.close();
    await service.stop();
  });
  beforeEach(() => service.restore());

  const calls = () => service.backend.stats.toJSON();

  it('maps stored preferences, with channels in upper case and dates as ISO strings', async () => {
    const withChannels = [...seeded.values()].find((p) => p.channels.length >= 2) as StoredPreferences;
    const preferences = await new PreferenceClient(http).preferencesOf(withChannels.customerId);
    expect(preferences).toEqual(expected(withChannels));
    expect(preferences?.channels).toContain('EMAIL');
    expect(preferences?.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(await service.stats()).toEqual({ total: 1, calls: { getPreferences: 1 } });
  });

  it('loads many customers asked for in the same tick with one call, and none more', async () => {
    const client = new PreferenceClient(http);
    const ids = Array.from({ length: 60 }, (_, i) => `cust-${i + 1}`);
    const all = await Promise.all([...ids, 'cust-3'].map((id) => client.preferencesOf(id)));
    expect(all.slice(0, 60)).toEqual(ids.map((id) => expected(seededOf(id))));
    expect(all[60]).toEqual(expected(seededOf('cust-3')));
    expect(await service.stats()).toEqual({ total: 1, calls: { getPreferences: 1 } });
    await client.preferencesOf('cust-30');
    expect(calls().total).toBe(1);
  });

  it('splits more than 100 customers into batches the service accepts', async () => {
    const client = new PreferenceClient(http);
    const all = await Promise.all(Array.from({ length: 101 }, (_, i) => client.preferencesOf(`cust-${i + 1}`)));
    expect(all.every((p) => p !== null)).toBe(true);
    expect(calls()).toEqual({ total: 2, calls: { getPreferences: 2 } });
  });

  it('answers null for unknown customers, in the same batch as known ones', async () => {
    const client = new PreferenceClient(http);
    const [unknown, known, malformed] = await Promise.all([client.preferencesOf('cust-1001'), client.preferencesOf('cust-4'), client.preferencesOf('nobody')]);
    expect(unknown).toBeNull();
    expect(known).toEqual(expected(seededOf('cust-4')));
    expect(malformed).toBeNull();
    expect(calls()).toEqual({ total: 1, calls: { getPreferences: 1 } });
  });

  describe('replacePreferences', () => {
    it('stores the values in the service’s own spelling and answers them in the API’s', async () => {
      const client = new PreferenceClient(http);
      const updated = await client.replacePreferences('cust-70', { language: 'nl', marketingOptIn: true, channels: ['PUSH', 'EMAIL'] });
      expect(updated).toEqual({ customerId: 'cust-70', language: 'nl', marketingOptIn: true, channels: ['PUSH', 'EMAIL'], updatedAt: expect.any(String) });
      const stored = (await (await fetch(`${service.url}/preferences?customerIds=cust-70`)).json()) as { preferences: StoredPreferences[] };
      expect(stored.preferences[0]).toMatchObject({ language: 'nl', marketingOptIn: true, channels: ['push', 'email'] });
      // The same request sees the new values without asking again; the next request reads them from the service.
      expect(await client.preferencesOf('cust-70')).toEqual(updated);
      expect(calls()).toEqual({ total: 2, calls: { getPreferences: 1, putPreferences: 1 } });
      expect(await new PreferenceClient(http).preferencesOf('cust-70')).toEqual(updated);
    });

    it('replaces what the same request loaded before', async () => {
      const client = new PreferenceClient(http);
      const before = await client.preferencesOf('cust-71');
      expect(before).toEqual(expected(seededOf('cust-71')));
      await client.replacePreferences('cust-71', { language: 'es', marketingOptIn: false, channels: [] });
      expect(await client.preferencesOf('cust-71')).toMatchObject({ language: 'es', marketingOptIn: false, channels: [] });
    });

    it('is safe to repeat', async () => {
      const values = { language: 'fr-FR', marketingOptIn: false, channels: ['SMS'] as Channel[] };
      const first = await new PreferenceClient(http).replacePreferences('cust-72', values);
      const second = await new PreferenceClient(http).replacePreferences('cust-72', values);
      expect({ ...second, updatedAt: undefined }).toEqual({ ...first, updatedAt: undefined });
      expect(await new PreferenceClient(http).preferencesOf('cust-72')).toMatchObject(values);
    });

    it('reports an unknown customer as BAD_USER_INPUT on customerId, and creates nobody', async () => {
      const error = await new PreferenceClient(http)
        .replacePreferences('cust-1001', { language: 'de', marketingOptIn: true, channels: [] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'customerId' });
      expect(await new PreferenceClient(http).preferencesOf('cust-1001')).toBeNull();
    });

    it('reports values the service refuses as BACKEND_ERROR (the subgraph checks them first), and writes nothing', async () => {
      const error = await new PreferenceClient(http)
        .replacePreferences('cust-73', { language: 'Deutsch', marketingOptIn: true, channels: [] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendContractError);
      expect((error as GraphQLError).extensions.code).toBe('BACKEND_ERROR');
      expect((error as GraphQLError).message).not.toMatch(/Deutsch|language|400/);
      expect(await new PreferenceClient(http).preferencesOf('cust-73')).toEqual(expected(seededOf('cust-73')));
    });
  });

  describe('when the service fails', () => {
    const expectUnavailable = (error: unknown) => {
      expect(error).toBeInstanceOf(BackendUnavailableError);
      const { message, extensions } = error as BackendUnavailableError;
      expect(extensions.code).toBe('BACKEND_UNAVAILABLE');
      expect(message).toMatch(/^preference service is unavailable( \(timed out\))?; try again later$/);
      expect(message).not.toContain(service.url);
      expect(message).not.toMatch(/127\.0\.0\.1|http|500/);
    };

    it.each([
      ['answers HTTP 500', { errorRate: 1 }],
      ['is down', { down: true }],
    ])('reports BACKEND_UNAVAILABLE for reads and writes when it %s', async (_case, faults) => {
      await service.setFaults(faults);
      const client = new PreferenceClient(http);
      const reads = await Promise.allSettled([client.preferencesOf('cust-1'), client.preferencesOf('cust-2')]);
      for (const read of reads) expectUnavailable((read as PromiseRejectedResult).reason);
      expectUnavailable(await client.replacePreferences('cust-74', { language: 'de', marketingOptIn: true, channels: [] }).catch((e: unknown) => e));
      await service.setFaults({ errorRate: 0, down: false });
      expect(await new PreferenceClient(http).preferencesOf('cust-74')).toEqual(expected(seededOf('cust-74')));
    });

    it('reports BACKEND_UNAVAILABLE as soon as the timeout passes when the service is slow', async () => {
      const { outcome, elapsedMs } = await withLatency(service, 600, () => new PreferenceClient(impatient).preferencesOf('cust-1'));
      expect(outcome.status).toBe('rejected');
      expectUnavailable((outcome as PromiseRejectedResult).reason);
      expect(elapsedMs).toBeGreaterThanOrEqual(150);
      expect(elapsedMs).toBeLessThan(500);
    });
  });
});
