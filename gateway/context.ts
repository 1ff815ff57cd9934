import type { Caller } from './auth/authenticate';

/** What the gateway knows about a request once it is authenticated. */
export interface GatewayContext {
  caller: Caller;
  /** The caller's identity, signed by the gateway for one subgraph and refused by the others; signed on first use. */
  internalTokenFor(subgraph: string): Promise<string>;
  /** When the request must be answered by (epoch ms); subgraph calls get what is left of it. */
  deadline: number;
  /** Backends whose part of the answer is a last good value, as the subgraphs reported it. */
  staleBackends: Set<string>;
  /** The subgraphs this request reached, for the access log. */
  subgraphsCalled: Set<string>;
  /**
   * Set when the gateway reads an event's entity for a subscriber: the subscription was checked, priced and charged
   * when it opened, and an event is news, never a cached answer.
   */
  eventDelivery?: true;
}
