import { startBackend, type RunningBackend } from '../../test/support/legacy';
import { seedPreferences, type StoredPreferences } from '../seed/preferences';
import createPreferenceServer from './server';

describe('preference service (REST)', () => {
  const seeded = new Map(seedPreferences().map((p) => [p.customerId, p]));
  let prefs: RunningBackend;

  beforeAll(async () => {
    prefs = await startBackend(createPreferenceServer);
  });
  afterAll(() => prefs.stop());
  beforeEach(() => prefs.restore());

  const read = async (ids: string) => {
    const response = await fetch(`${prefs.url}/preferences?customerIds=${ids}`);
    return { status: response.status, body: (await response.json()) as { preferences?: StoredPreferences[]; error?: string; message?: string } };
  };
  const put = async (customerId: string, body: unknown) => {
    const response = await fetch(`${prefs.url}/preferences/${customerId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
  };

  describe('GET /preferences?customerIds=', () => {
    it('answers the seeded preferences of every customer asked for, in one call', async () => {
      const answer = await read('cust-1,cust-2,cust-1000');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ preferences: [seeded.get('cust-1'), seeded.get('cust-2'), seeded.get('cust-1000')] });
      expect(await prefs.stats()).toEqual({ total: 1, calls: { getPreferences: 1 } });
    });

    it('leaves unknown and malformed customers out, and repeats none', async () => {
      const answer = await read('cust-5,cust-1001,nobody,cust-5');
      expect(answer.body.preferences?.map((p) => p.customerId)).toEqual(['cust-5']);
    });

    it('reads 100 customers in one call', async () => {
      const ids = Array.from({ length: 100 }, (_, i) => `cust-${i + 1}`);
      const answer = await read(ids.join(','));
      expect(answer.body.preferences?.map((p) => p.customerId)).toEqual(ids);
    });

    it.each([
      ['no ids', ''],
      ['101 ids', Array.from({ length: 101 }, (_, i) => `cust-${i + 1}`).join(',')],
    ])('refuses %s with a 400 JSON error, not counted', async (_case, ids) => {
      const answer = await read(ids);
      expect(answer).toEqual({ status: 400, body: { error: 'invalid_ids', message: expect.any(String) } });
      expect(await prefs.stats()).toEqual({ total: 0, calls: {} });
    });
  });

  describe('PUT /preferences/{customerId}', () => {
    it('replaces the preferences, which the next read returns', async () => {
      const before = Date.now();
      const answer = await put('cust-10', { language: 'en-GB', marketingOptIn: false, channels: ['sms', 'email'] });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        customerId: 'cust-10',
        language: 'en-GB',
        marketingOptIn: false,
        channels: ['sms', 'email'],
        updatedAt: expect.any(String),
      });
      const updatedAt = answer.body.updatedAt as string;
      expect(updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(Date.parse(updatedAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect((await read('cust-10')).body.preferences).toEqual([answer.body]);
      expect(await prefs.stats()).toEqual({ total: 2, calls: { getPreferences: 1, putPreferences: 1 } });
    });

    it('is safe to repeat: the same body gives the same preferences', async () => {
      const body = { language: 'fr', marketingOptIn: true, channels: [] };
      const first = await put('cust-11', body);
      const second = await put('cust-11', body);
      expect(second.status).toBe(200);
      const { updatedAt: _first, ...firstValues } = first.body;
      const { updatedAt: _second, ...secondValues } = second.body;
      expect(secondValues).toEqual(firstValues);
      expect((await read('cust-11')).body.preferences?.[0]).toMatchObject(body);
    });

    it.each([
      ['a malformed language', { language: 'english', marketingOptIn: true, channels: [] }, /language/],
      ['an unknown channel', { language: 'de', marketingOptIn: true, channels: ['fax'] }, /channels/],
      ['a repeated channel', { language: 'de', marketingOptIn: true, channels: ['sms', 'sms'] }, /channels/],
      ['a missing field', { language: 'de', channels: [] }, /marketingOptIn/],
      ['a string for a boolean', { language: 'de', marketingOptIn: 'yes', channels: [] }, /marketingOptIn/],
      ['an unknown field', { language: 'de', marketingOptIn: true, channels: [], customerId: 'cust-2' }, /customerId/],
      ['an array body', [], /body/],
    ])('refuses %s with a 400 naming the field, and writes nothing', async (_case, body, named) => {
      const answer = await put('cust-12', body);
      expect(answer.status).toBe(400);
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(answer.body).toEqual({ error: 'invalid_preferences', message: expect.stringMatching(named) });
      expect((await read('cust-12')).body.preferences).toEqual([seeded.get('cust-12')]);
      expect((await prefs.stats()).calls.putPreferences).toBeUndefined();
    });

    it('refuses a body that is not JSON with a 400 and writes nothing', async () => {
      const answer = await put('cust-12', '{"language": "de",');
      expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
      expect((await read('cust-12')).body.preferences).toEqual([seeded.get('cust-12')]);
    });

    it.each(['cust-1001', 'nobody'])('answers 404 for the unknown customer %s and creates nobody', async (id) => {
      const answer = await put(id, { language: 'de', marketingOptIn: true, channels: [] });
      expect(answer).toMatchObject({ status: 404, body: { error: 'unknown_customer' } });
      expect((await read(id)).body.preferences).toEqual([]);
    });
  });

  it('answers unknown routes and methods with a 404 JSON error', async () => {
    const response = await fetch(`${prefs.url}/preferences/cust-1`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'no_route' });
  });

  it('answers a JSON 500 at errorRate 1 and drops connections while down', async () => {
    await prefs.setFaults({ errorRate: 1 });
    expect(await read('cust-1')).toMatchObject({ status: 500, body: { error: 'server_error' } });
    expect((await put('cust-1', { language: 'de', marketingOptIn: true, channels: [] })).status).toBe(500);
    expect((await read('cust-1')).status).toBe(500);
    await prefs.setFaults({ errorRate: 0, down: true });
    await expect(fetch(`${prefs.url}/preferences?customerIds=cust-1`)).rejects.toThrow('fetch failed');
    await prefs.setFaults({ down: false });
    // The faulted PUT wrote nothing.
    expect((await read('cust-1')).body.preferences).toEqual([seeded.get('cust-1')]);
  });
});
