import type { ServerResponse } from 'node:http';
import { Counter, Gauge } from 'prom-client';
import { intVar } from './env';

/**
 * `MAX_INFLIGHT` defaults, from `npm run bench` on a 2-core machine (see the README's configuration table). The stack
 * sustains 50 connections at the gateway without refusing; past that, throughput is flat and each extra request in
 * flight only adds queueing, so the gateway admits a little more than 50 and refuses the rest at once. A Profile has
 * at most one fetch in flight per subgraph, so a subgraph sees at most the gateway's limit from each gateway process:
 * twice it leaves room for two gateway replicas (or workers) before a subgraph refuses on its own.
 */
export const DEFAULT_MAX_INFLIGHT = { gateway: 64, subgraph: 128 } as const;

/** `MAX_INFLIGHT`: GraphQL requests a service processes at once; more are refused with 503. */
export const maxInFlightVar = (defaultValue: number) => intVar(defaultValue, 1, 100_000);

/**
 * Whole seconds a refused client should wait. One: the requests in flight at the limit finish within about a second
 * at the load the stack sustains, and a smaller value (0) would invite the retry storm the refusal is there to stop.
 */
export const OVERLOAD_RETRY_AFTER_SECONDS = 1;

const refusedRequests = new Counter({
  name: 'atrium_requests_refused_total',
  help: 'GraphQL requests refused before any work, by service and reason (overloaded: MAX_INFLIGHT requests were already in flight).',
  labelNames: ['service', 'reason'] as const,
});

const inFlightRequests = new Gauge({
  name: 'atrium_requests_in_flight',
  help: 'GraphQL requests being processed right now, by service (refused ones not counted).',
  labelNames: ['service'] as const,
});

/**
 * Counts the GraphQL requests a service is processing. `admit` takes a slot for a request until its response is done
 * (finished, or its connection gone), or says no when all `limit` slots are taken; nothing waits in a queue, so an
 * overloaded service answers the excess in microseconds instead of making everyone slower.
 */
export function inFlightLimit(service: string, limit: number): { admit(res: ServerResponse): boolean } {
  let inFlight = 0;
  const gauge = inFlightRequests.labels({ service });
  const refused = refusedRequests.labels({ service, reason: 'overloaded' });
  return {
    admit(res) {
      if (inFlight >= limit) {
        refused.inc();
        return false;
      }
      inFlight += 1;
      gauge.set(inFlight);
      res.once('close', () => {
        inFlight -= 1;
        gauge.set(inFlight);
      });
      return true;
    },
  };
}
