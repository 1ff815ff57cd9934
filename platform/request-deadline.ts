import { intVar, setting } from './env';

/** When the client's request must be answered by (epoch ms): the gateway's deadline, propagated to each subgraph. */
export const DEADLINE_HEADER = 'x-request-deadline';

/** The deadline a request carries, in epoch ms; undefined when absent or not a plain whole number (then ignored). */
export function deadlineOf(header: string | string[] | undefined): number | undefined {
  return typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
}

/**
 * `REQUEST_DEADLINE_MS`, read by the gateway and by every subgraph: the most one request may take in that service. At
 * the gateway, subgraph calls get what is left of it; in a subgraph, the `x-request-deadline` it carries can only
 * shorten it.
 */
export const requestDeadlineSetting = setting('REQUEST_DEADLINE_MS', intVar(15_000, 1, 600_000));
