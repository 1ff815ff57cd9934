import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../../platform/http';
import type { Fulfilment } from './fulfilment';
import type { OrderBook } from './order-book';

const ADVANCE_PATH = /^\/_admin\/orders\/([^/]*)\/advance$/;
/** An order id as the ERP gives them out; anything else names no order. */
const ORDER_ID = /^[\w-]{1,100}$/;

/**
 * The ERP's admin call, as its warehouse would make it (tests move orders with it): `POST /_admin/orders/<id>/advance`
 * takes a CONFIRMED or PLACED order to SHIPPED, a SHIPPED one to DELIVERED, and answers `{ orderId, status }`. An
 * unknown order is 404 `unknown_order`, one with no next stage (unpaid, delivered or ended) 409 `not_advanceable`,
 * another method 405.
 */
export function orderAdmin(book: OrderBook, fulfilment: Fulfilment) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    const match = ADVANCE_PATH.exec(path);
    if (!match) return false;
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'method_not_allowed', message: `${path.slice(0, 120)} takes POST` }, { allow: 'POST' });
      return true;
    }
    const orderId = match[1] as string;
    const order = ORDER_ID.test(orderId) ? book.get(orderId) : undefined;
    if (!order) {
      sendJson(res, 404, { error: 'unknown_order', message: `no order ${orderId.slice(0, 40)}` });
      return true;
    }
    const moved = fulfilment.advance(order);
    if (!moved) {
      const message = `order ${order.orderId} is ${order.status}: only CONFIRMED, PLACED and SHIPPED orders move on`;
      sendJson(res, 409, { error: 'not_advanceable', message });
      return true;
    }
    sendJson(res, 200, { orderId: moved.orderId, status: moved.status });
    return true;
  };
}
