import type { FormObject } from './form';
import { cancelIntent, captureIntent, createIntent, listIntents, retrieveIntent, retrievePaymentMethod } from './intents';
import type { Ledger, Outcome } from './ledger';
import { createRefund, listRefunds } from './refunds';

/** One endpoint of the Stripe subset: its method and path, the operation it is counted as, and what it does. */
export interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  operation: string;
  /** `id` is the path's object id, when it has one; `scope` the call's idempotency scope, when it has a key. */
  run(ledger: Ledger, id: string, params: FormObject, scope: string | null): Outcome;
}

const ID = '([A-Za-z0-9_]+)';

/** The endpoints a card payment needs, as the `stripe` SDK calls them. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: new RegExp(`^/v1/payment_methods/${ID}$`), operation: 'retrievePaymentMethod', run: (_ledger, id) => retrievePaymentMethod(id) },
  {
    method: 'POST',
    path: /^\/v1\/payment_intents$/,
    operation: 'createPaymentIntent',
    run: (ledger, _id, params, scope) => createIntent(ledger, params, scope),
  },
  { method: 'GET', path: /^\/v1\/payment_intents$/, operation: 'listPaymentIntents', run: (ledger, _id, params) => listIntents(ledger, params) },
  { method: 'GET', path: new RegExp(`^/v1/payment_intents/${ID}$`), operation: 'retrievePaymentIntent', run: retrieveIntent },
  { method: 'POST', path: new RegExp(`^/v1/payment_intents/${ID}/capture$`), operation: 'capturePaymentIntent', run: captureIntent },
  { method: 'POST', path: new RegExp(`^/v1/payment_intents/${ID}/cancel$`), operation: 'cancelPaymentIntent', run: cancelIntent },
  { method: 'POST', path: /^\/v1\/refunds$/, operation: 'createRefund', run: (ledger, _id, params) => createRefund(ledger, params) },
  { method: 'GET', path: /^\/v1\/refunds$/, operation: 'listRefunds', run: (ledger, _id, params) => listRefunds(ledger, params) },
];

/** The route of a request and its path's id, or undefined. */
export function routeOf(method: string | undefined, path: string): { route: Route; id: string } | undefined {
  for (const route of ROUTES) {
    const match = route.method === method ? route.path.exec(path) : null;
    if (match) return { route, id: match[1] ?? '' };
  }
  return undefined;
}
