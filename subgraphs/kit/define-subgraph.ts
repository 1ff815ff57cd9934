import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../platform/log';
import type { BackendDeclaration, BackendKind, BackendLink, Transports } from './backend-link';
import type { IRules } from './permissions';
import type { createSubgraphServer, RequestScope } from './subgraph-server';

/** Process-wide work a subgraph runs beside serving requests, once started: what it shares with requests, and its end. */
export interface SubgraphRuntime<TShared> {
  /** Handed to `adapters` for every request. */
  shared: TShared;
  /** Answers HTTP requests other than GraphQL (a webhook receiver, say) and returns true, or returns false to go on. */
  intercept?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Stops the work; called after the subgraph stopped serving. */
  close(): Promise<void>;
}

/**
 * Everything that makes one subgraph: its backend, its schema, resolvers and field rules, and how a request gets its
 * adapters. Its name is its folder's, as listed in schema/subgraphs.json; the kit builds the server, readiness,
 * caches, idempotency records, configuration, listener, metrics and shutdown from it.
 */
export interface SubgraphDeclaration<K extends BackendKind = BackendKind, TAdapters extends object = object, TShared = undefined> {
  backend: BackendDeclaration<K>;
  /** How long a backend read stays fresh with `ENTITY_CACHE=on`: as long as the schema's cache hints allow. */
  freshForMs: number;
  /** The contract: `schema.graphql`, read with `loadTypeDefs(__dirname)`. */
  typeDefs: string;
  resolvers: Parameters<typeof createSubgraphServer>[0]['resolvers'];
  /** graphql-shield rules; anything not listed is denied. */
  permissions: IRules;
  /**
   * A request's adapters, under the names its resolvers read them from the context. Called once per request (so
   * DataLoader caches never outlive it), with the process-wide link to the backend and what the runtime shares; no I/O.
   */
  adapters(link: BackendLink<Transports[K]>, request: RequestScope, shared: TShared): TAdapters;
  /**
   * Started once, before the subgraph serves (the orders subgraph's payment workflows): a configuration error here
   * stops the process with exit code 2, like a bad variable.
   */
  runtime?(context: { link: BackendLink<Transports[K]>; log: Logger; env: NodeJS.ProcessEnv }): Promise<SubgraphRuntime<TShared>>;
  /** Its mutations keep idempotency records: `idempotency` in the context, shared by replicas through Redis. */
  idempotency?: boolean;
}

const declarations = new WeakSet<object>();

/** Declares a subgraph: the default export of its `subgraphs/<name>/subgraph.ts`. */
export function defineSubgraph<K extends BackendKind, TAdapters extends object, TShared = undefined>(
  declaration: SubgraphDeclaration<K, TAdapters, TShared>,
): SubgraphDeclaration<K, TAdapters, TShared> {
  declarations.add(declaration);
  return declaration;
}

/** Whether a module's export was made by `defineSubgraph`. */
export const isSubgraphDeclaration = (value: unknown): value is SubgraphDeclaration<BackendKind, object, unknown> =>
  typeof value === 'object' && value !== null && declarations.has(value);
