import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import type { Identity } from '../platform/identity';
import { silentLogger } from '../platform/log';
import { customersOverCrm, typeDefs as customersTypeDefs } from '../subgraphs/customers/server';
import { permissions as customersPermissions } from '../subgraphs/customers/permissions';
import { resolvers as customersResolvers } from '../subgraphs/customers/resolvers';
import { StaleMarks } from '../subgraphs/kit/last-good';
import { protectSchema, type IRules } from '../subgraphs/kit/permissions';
import { defaultResilience } from '../subgraphs/kit/resilience';
import type { BackendSettings } from '../subgraphs/kit/run-subgraph';
import type { Subgraph } from '../subgraphs/kit/serve';
import type { createSubgraph, SubgraphContext } from '../subgraphs/kit/subgraph-server';
import { ordersOverErp, typeDefs as ordersTypeDefs } from '../subgraphs/orders/server';
import { permissions as ordersPermissions } from '../subgraphs/orders/permissions';
import { resolvers as ordersResolvers } from '../subgraphs/orders/resolvers';
import { preferencesOverStore, typeDefs as preferencesTypeDefs } from '../subgraphs/preferences/server';
import { permissions as preferencesPermissions } from '../subgraphs/preferences/permissions';
import { resolvers as preferencesResolvers } from '../subgraphs/preferences/resolvers';
import { supportTicketsOverHelpdesk, typeDefs as ticketsTypeDefs } from '../subgraphs/support-tickets/server';
import { permissions as ticketsPermissions } from '../subgraphs/support-tickets/permissions';
import { resolvers as ticketsResolvers } from '../subgraphs/support-tickets/resolvers';

/** What a subgraph's server is built from: its SDL, resolvers, field rules, and its adapters over a backend. */
interface SubgraphParts {
  typeDefs: string;
  resolvers: Parameters<typeof createSubgraph>[0]['resolvers'];
  permissions: IRules;
  over(settings: BackendSettings): Pick<Subgraph<object>, 'backends' | 'close'>;
}

// Stands in for the kit's subgraph declarations until they carry these parts themselves.
const PARTS: Record<string, SubgraphParts> = {
  customers: { typeDefs: customersTypeDefs, resolvers: customersResolvers, permissions: customersPermissions, over: customersOverCrm },
  orders: { typeDefs: ordersTypeDefs, resolvers: ordersResolvers, permissions: ordersPermissions, over: ordersOverErp },
  preferences: { typeDefs: preferencesTypeDefs, resolvers: preferencesResolvers, permissions: preferencesPermissions, over: preferencesOverStore },
  'support-tickets': { typeDefs: ticketsTypeDefs, resolvers: ticketsResolvers, permissions: ticketsPermissions, over: supportTicketsOverHelpdesk },
};

/** A subgraph without its server: the schema its server executes, and a context per operation as its server builds one. */
export interface InProcessSubgraph {
  /** The federated schema with every field guarded by the subgraph's rules. */
  schema: GraphQLSchema;
  /** Fresh adapters and DataLoaders for one operation of `viewer`, with its stale marks and its own signal (never aborted). */
  context(viewer: Identity): SubgraphContext;
  close(): Promise<void>;
}

/**
 * Subgraph `name` built in this process as its server builds it (`protectSchema` over `buildSubgraphSchema`, the
 * subgraph's own adapter factory) against its backend at `backendUrl`, with the subgraphs' default settings;
 * undefined for a subgraph this module has no parts for.
 */
export function inProcessSubgraph(name: string, backendUrl: string, dataDir: string): InProcessSubgraph | undefined {
  const parts = PARTS[name];
  if (!parts) return undefined;
  const schema = protectSchema(buildSubgraphSchema({ typeDefs: parse(parts.typeDefs), resolvers: parts.resolvers }), parts.permissions);
  // As the subgraph processes run by default: BACKEND_CONNECTIONS 32, default resilience, no entity cache, no Redis.
  const subgraph = parts.over({ url: backendUrl, connections: 32, resilience: defaultResilience, dataDir, entityCache: false, log: silentLogger });
  return {
    schema,
    context(viewer) {
      const request = { stale: new StaleMarks(), signal: new AbortController().signal };
      return { viewer, ...request, ...subgraph.backends(request) };
    },
    close: () => subgraph.close(),
  };
}
