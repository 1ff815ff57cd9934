/** When the client's request must be answered by (epoch ms): the gateway's deadline, propagated to each subgraph. */
export const DEADLINE_HEADER = 'x-request-deadline';

/** The deadline a request carries, in epoch ms; undefined when absent or not a plain whole number (then ignored). */
export function deadlineOf(header: string | string[] | undefined): number | undefined {
  return typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
}
