import { startBackend, type RunningBackend } from '../../test/support/legacy';
import { seedCustomers, type CrmCustomer } from '../seed/customers';
import createCrmServer from './server';

interface Page {
  customers: CrmCustomer[];
  nextCursor: string | null;
  total: number;
}

describe('CRM (REST)', () => {
  const seeded = seedCustomers();
  let crm: RunningBackend;

  beforeAll(async () => {
    crm = await startBackend(createCrmServer);
  });
  afterAll(() => crm.stop());
  beforeEach(() => crm.restore());

  const get = async (path: string) => {
    const response = await fetch(`${crm.url}${path}`);
    return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as unknown };
  };

  describe('GET /customers/{id}', () => {
    it('answers the seeded customer, counted as one getCustomer call', async () => {
      const answer = await get('/customers/cust-42');
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(answer.body).toEqual(seeded[41]);
      expect(await crm.stats()).toEqual({ total: 1, calls: { getCustomer: 1 } });
    });

    it('answers 404 with a JSON error for a well-formed id nobody has', async () => {
      const answer = await get('/customers/cust-1001');
      expect(answer).toMatchObject({ status: 404, body: { error: 'not_found', message: expect.stringContaining('cust-1001') } });
    });

    it.each(['bob', 'cust-0', 'cust-01', 'cust-1%2C2'])('refuses the malformed id %s with a 400, not counted', async (id) => {
      const answer = await get(`/customers/${id}`);
      expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_id', message: expect.any(String) } });
      expect(await crm.stats()).toEqual({ total: 0, calls: {} });
    });
  });

  describe('GET /customers?ids=', () => {
    it('answers the known customers in the order asked, once each, leaving unknown ones out, in one call', async () => {
      const answer = await get('/customers?ids=cust-3,cust-1,cust-5000,cust-3,%20cust-2%20');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ customers: [seeded[2], seeded[0], seeded[1]] });
      expect(await crm.stats()).toEqual({ total: 1, calls: { getCustomersByIds: 1 } });
    });

    it('answers a batch of exactly 100', async () => {
      const ids = seeded.slice(0, 100).map((c) => c.id);
      const answer = await get(`/customers?ids=${ids.join(',')}`);
      expect(answer.status).toBe(200);
      expect((answer.body as { customers: CrmCustomer[] }).customers.map((c) => c.id)).toEqual(ids);
    });

    it.each([
      ['no ids', '', 'invalid_ids'],
      ['only commas', ',,', 'invalid_ids'],
      [
        '101 ids',
        seeded
          .slice(0, 101)
          .map((c) => c.id)
          .join(','),
        'invalid_ids',
      ],
      ['a malformed id', 'cust-1,robert', 'invalid_id'],
    ])('refuses %s with a 400 JSON error, not counted', async (_case, ids, error) => {
      const answer = await get(`/customers?ids=${ids}`);
      expect(answer).toMatchObject({ status: 400, body: { error, message: expect.any(String) } });
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(await crm.stats()).toEqual({ total: 0, calls: {} });
    });
  });

  describe('GET /customers?limit=&cursor=', () => {
    it('walks every customer in id order, page by page, without duplicates', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const answer = await get(`/customers?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        expect(answer.status).toBe(200);
        const page = answer.body as Page;
        expect(page.total).toBe(1000);
        seen.push(...page.customers.map((c) => c.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null && pages < 20);
      expect(pages).toBe(10);
      expect(seen).toEqual(seeded.map((c) => c.id));
      expect(new Set(seen).size).toBe(1000);
      expect(await crm.stats()).toEqual({ total: 10, calls: { listCustomers: 10 } });
    });

    it('continues exactly where the previous page ended, with full records', async () => {
      const first = (await get('/customers?limit=3')).body as Page;
      expect(first.customers).toEqual(seeded.slice(0, 3));
      const second = (await get(`/customers?limit=3&cursor=${first.nextCursor}`)).body as Page;
      expect(second.customers).toEqual(seeded.slice(3, 6));
      expect(second.nextCursor).not.toBe(first.nextCursor);
    });

    it('pages by 20 when no limit is given', async () => {
      const page = (await get('/customers')).body as Page;
      expect(page.customers.map((c) => c.id)).toEqual(seeded.slice(0, 20).map((c) => c.id));
      expect(page.nextCursor).toEqual(expect.any(String));
    });

    it('ends with a short last page and a null cursor', async () => {
      // 1000 = 10 × 99 + 10
      let page = (await get('/customers?limit=99')).body as Page;
      for (let i = 0; i < 10; i++) page = (await get(`/customers?limit=99&cursor=${page.nextCursor}`)).body as Page;
      expect(page.customers).toHaveLength(10);
      expect(page.customers.at(-1)?.id).toBe('cust-1000');
      expect(page.nextCursor).toBeNull();
    });

    it.each(['0', '101', '-1', '1.5', 'ten', '', '0100'])('refuses limit=%s with a 400 JSON error', async (limit) => {
      const answer = await get(`/customers?limit=${limit}`);
      expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_limit', message: expect.any(String) } });
    });

    it.each([
      ['garbage', 'not-a-cursor'],
      ['a forged offset past the end', Buffer.from('offset:1001').toString('base64url')],
      ['a negative offset', Buffer.from('offset:-1').toString('base64url')],
    ])('refuses %s as cursor with a 400 JSON error, not counted', async (_case, cursor) => {
      const answer = await get(`/customers?limit=5&cursor=${cursor}`);
      expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_cursor', message: expect.any(String) } });
      expect(await crm.stats()).toEqual({ total: 0, calls: {} });
    });
  });

  it('answers other methods with 405 and other paths with 404, both JSON', async () => {
    const post = await fetch(`${crm.url}/customers`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(await post.json()).toMatchObject({ error: 'method_not_allowed' });
    expect(await get('/orders')).toMatchObject({ status: 404, body: { error: 'no_route' } });
  });

  it('answers a JSON 500 at errorRate 1 and drops connections while down', async () => {
    await crm.setFaults({ errorRate: 1 });
    expect(await get('/customers/cust-1')).toMatchObject({ status: 500, body: { error: 'server_error' } });
    await crm.setFaults({ errorRate: 0, down: true });
    await expect(fetch(`${crm.url}/customers/cust-1`)).rejects.toThrow('fetch failed');
    expect((await get('/health')).status).toBe(200);
    await crm.setFaults({ down: false });
    expect((await get('/customers/cust-1')).status).toBe(200);
  });
});
