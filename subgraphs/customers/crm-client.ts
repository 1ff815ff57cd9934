import DataLoader from 'dataloader';
import { z } from 'zod';
import { byKeys, MAX_BATCH } from '../kit/batch';
import { rememberingBatch, type Remembering } from '../kit/last-good';
import { badUserInput } from '../kit/errors';
import { RestClient } from '../kit/rest-client';

/** A customer as the customers subgraph serves it. */
export interface Customer {
  id: string;
  name: string;
  email: string;
  phone: string;
  tier: 'BRONZE' | 'SILVER' | 'GOLD' | 'PLATINUM';
  address: { street: string; city: string; postalCode: string; country: string };
  createdAt: string;
}

export interface CustomerPage {
  nodes: Customer[];
  endCursor: string | null;
  hasNextPage: boolean;
  totalCount: number;
}

/** What the customers subgraph needs from a customer master. One instance per request: loads are batched within it. */
export interface CustomersBackend {
  /** One customer, batched with the other lookups of the same request; null when unknown. */
  customer(id: string): Promise<Customer | null>;
  /** A page of customers in the backend's order. */
  customers(first: number, after?: string): Promise<CustomerPage>;
}

const crmCustomer = z.object({
  id: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  phone: z.string(),
  tier: z.enum(['BRONZE', 'SILVER', 'GOLD', 'PLATINUM']),
  address: z.object({ street: z.string(), city: z.string(), postalCode: z.string(), country: z.string() }),
  createdAt: z.string(),
});
const crmBatch = z.object({ customers: z.array(crmCustomer) });
const crmPage = z.object({ customers: z.array(crmCustomer), nextCursor: z.string().nullable(), total: z.number().int() });

const toCustomer = ({ firstName, lastName, ...rest }: z.infer<typeof crmCustomer>): Customer => ({ ...rest, name: `${firstName} ${lastName}` });

/** CRM customer ids: `cust-<number>`. Anything else cannot exist, so it is never sent. */
const CUSTOMER_ID = /^cust-[1-9]\d{0,8}$/;

/** The CRM's REST API behind the customers subgraph, with per-request batching of by-id reads. */
export class CrmClient implements CustomersBackend {
  // While the backend is down, a batch may be answered from its last good values (marked stale).
  private readonly byId = new DataLoader<string, Customer | null>((ids) => rememberingBatch((keys) => this.fetchByIds(keys), this.memory)(ids), {
    maxBatchSize: MAX_BATCH,
  });

  constructor(
    private readonly http: RestClient,
    private readonly memory?: Remembering<Customer | null>,
    /** The request's: when it aborts (deadline passed, caller gone), pending calls end and no batch is sent. */
    private readonly signal?: AbortSignal,
  ) {}

  customer(id: string): Promise<Customer | null> {
    return CUSTOMER_ID.test(id) ? this.byId.load(id) : Promise.resolve(null);
  }

  async customers(first: number, after?: string): Promise<CustomerPage> {
    if (first === 0) {
      // The CRM pages from 1; an empty page still reports the total.
      const page = await this.customers(1, after);
      return { nodes: [], endCursor: null, hasNextPage: page.nodes.length > 0, totalCount: page.totalCount };
    }
    const answer = await this.http.send('GET', '/customers', { signal: this.signal, query: { limit: String(first), ...(after ? { cursor: after } : {}) } });
    if (answer.status === 400 && RestClient.errorCode(answer) === 'invalid_cursor') throw badUserInput('after is not a cursor this API issued', 'after');
    const page = this.http.expect(answer, crmPage);
    const nodes = page.customers.map(toCustomer);
    for (const customer of nodes) this.byId.prime(customer.id, customer);
    return { nodes, endCursor: page.nextCursor, hasNextPage: page.nextCursor !== null, totalCount: page.total };
  }

  private async fetchByIds(ids: readonly string[]): Promise<(Customer | null)[]> {
    if (ids.length === 1) {
      const answer = await this.http.send('GET', `/customers/${encodeURIComponent(ids[0] as string)}`, { signal: this.signal });
      if (answer.status === 404) return [null];
      return [toCustomer(this.http.expect(answer, crmCustomer))];
    }
    const answer = await this.http.send('GET', '/customers', { signal: this.signal, query: { ids: ids.join(',') } });
    return byKeys(ids, this.http.expect(answer, crmBatch).customers.map(toCustomer), (c) => c.id);
  }
}
