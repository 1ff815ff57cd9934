/**
 * The request header carrying the gateway-signed token for one subgraph, for the peer gateways: each subgraph takes
 * only a token naming it, so a peer forwards `x-subgraph-token-<subgraph>` as that subgraph's `authorization`. Peers
 * thus sign nothing, as they did when one token served all four; Atrium verifies the client's OAuth token and signs.
 */
export const subgraphTokenHeader = (subgraph: string): string => `x-subgraph-token-${subgraph}`;
