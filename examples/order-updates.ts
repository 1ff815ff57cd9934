import { createClient } from 'graphql-ws';
import { print } from 'graphql';
import WebSocket from 'ws';
import { OrderUpdatesDocument, type OrderUpdatesSubscription } from './generated/operations';

/** One order change as the subscriber gets it: the order, typed by the document, and the event id to resume from. */
export interface OrderUpdate {
  order: OrderUpdatesSubscription['orderUpdated'];
  eventId: string;
}

/**
 * Follows a customer's orders over graphql-ws, typed by the generated OrderUpdates document. After a disconnect it
 * reconnects and passes the last event id it saw, so it misses nothing in between. Returns a function that stops it.
 */
export function followOrders(endpoint: string, token: string, customerId: string, onUpdate: (update: OrderUpdate) => void, onError: (error: unknown) => void) {
  let lastEventId: string | undefined;
  const client = createClient({
    url: endpoint.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    // Asked again on every (re)connection: the gateway resumes each subscription after the last event id given.
    connectionParams: () => ({ authorization: `Bearer ${token}`, ...(lastEventId ? { lastEventId } : {}) }),
  });
  const stop = client.subscribe<OrderUpdatesSubscription, { eventId?: string }>(
    { query: print(OrderUpdatesDocument), variables: { customerId } },
    {
      next: ({ data, extensions }) => {
        lastEventId = extensions?.eventId ?? lastEventId;
        if (data) onUpdate({ order: data.orderUpdated, eventId: lastEventId ?? '' });
      },
      error: onError,
      complete: () => undefined,
    },
  );
  return async () => {
    stop();
    await client.dispose();
  };
}

/** `ATRIUM_TOKEN=$(npm run --silent token -- …) npm run example:order-updates -- cust-1` */
function main(): number {
  const endpoint = process.env.ATRIUM_URL ?? 'http://127.0.0.1:4000/graphql';
  const token = process.env.ATRIUM_TOKEN;
  if (!token) {
    process.stderr.write('set ATRIUM_TOKEN to an access token, e.g. from `npm run --silent token -- --sub cust-1 --role customer --scopes "orders:read"`\n');
    return 2;
  }
  followOrders(
    endpoint,
    token,
    process.argv[2] ?? 'cust-1',
    ({ order, eventId }) => process.stdout.write(`#${eventId} ${order.id} ${order.status} ${order.total.amount} ${order.total.currency}\n`),
    (error) => {
      process.stderr.write(`the subscription ended: ${JSON.stringify(error)}\n`);
      process.exitCode = 1;
    },
  );
  return 0;
}

if (require.main === module) process.exitCode = main();
