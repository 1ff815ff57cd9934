import type { ServerResponse } from 'node:http';
import { sendJson } from '../../platform/http';
import type { Logger } from '../../platform/log';
import type { FaultSettings } from '../kit/faults';
import { createLegacyServer, type LegacyServer } from '../kit/legacy-server';
import { listParam, MAX_BATCH, sendRestError } from '../kit/rest';
import { CallStats } from '../kit/stats';
import { seedCustomers, type CrmCustomer } from '../seed/customers';
import { customerNumber } from '../seed/random';

const MAX_PAGE = 100;

/** Cursors are opaque to clients: the offset of the next item, base64url-encoded. */
const encodeCursor = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
function decodeCursor(cursor: string): number | undefined {
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

/**
 * The CRM: a REST/JSON customer master.
 * - `GET /customers/{id}` one customer, 404 when unknown
 * - `GET /customers?ids=a,b,c` up to 100 customers; unknown ids are left out
 * - `GET /customers?limit=&cursor=` a page in id order with `nextCursor` and `total`
 */
export default function createCrmServer(options: { log: Logger; faults: FaultSettings }): LegacyServer {
  const customers = seedCustomers();
  const byId = new Map(customers.map((c) => [c.id, c]));
  const stats = new CallStats();

  const malformedId = (res: ServerResponse, id: string) => sendRestError(res, 400, 'invalid_id', `"${id.slice(0, 40)}" is not a customer id (cust-<number>)`);

  return createLegacyServer({
    name: 'crm',
    stats,
    ...options,
    failure: (res, message) => sendRestError(res, 500, 'server_error', message),
    async handle(req, res, { url }) {
      if (req.method !== 'GET') return sendRestError(res, 405, 'method_not_allowed', `${req.method} is not supported here`);
      const single = /^\/customers\/([^/]+)$/.exec(url.pathname);
      if (single) {
        const id = decodeURIComponent(single[1] as string);
        if (customerNumber(id) === undefined) return malformedId(res, id);
        stats.count('getCustomer');
        const customer = byId.get(id);
        return customer ? sendJson(res, 200, customer) : sendRestError(res, 404, 'not_found', `no customer ${id}`);
      }
      if (url.pathname !== '/customers') return sendRestError(res, 404, 'no_route', `no route ${url.pathname}`);

      if (url.searchParams.has('ids')) {
        const ids = listParam(url.searchParams.get('ids'));
        if (ids.length === 0 || ids.length > MAX_BATCH) return sendRestError(res, 400, 'invalid_ids', `ids must list 1 to ${MAX_BATCH} customer ids`);
        const malformed = ids.find((id) => customerNumber(id) === undefined);
        if (malformed !== undefined) return malformedId(res, malformed);
        stats.count('getCustomersByIds');
        return sendJson(res, 200, { customers: ids.map((id) => byId.get(id)).filter((c): c is CrmCustomer => c !== undefined) });
      }

      const limitText = url.searchParams.get('limit') ?? '20';
      const limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : NaN;
      if (!(limit >= 1 && limit <= MAX_PAGE)) return sendRestError(res, 400, 'invalid_limit', `limit must be a whole number from 1 to ${MAX_PAGE}`);
      const cursor = url.searchParams.get('cursor');
      const offset = cursor ? decodeCursor(cursor) : 0;
      if (offset === undefined || offset > customers.length) return sendRestError(res, 400, 'invalid_cursor', 'cursor is not one this service issued');
      stats.count('listCustomers');
      const page = customers.slice(offset, offset + limit);
      const next = offset + page.length;
      return sendJson(res, 200, { customers: page, nextCursor: next < customers.length ? encodeCursor(next) : null, total: customers.length });
    },
  });
}
