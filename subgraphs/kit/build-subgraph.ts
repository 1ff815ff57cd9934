import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Readiness } from '../../platform/graphql-http';
import { silentLogger, type Logger } from '../../platform/log';
import { openStore } from '../../platform/store';
import { RegistryError } from '../../schema/registry';
import { linkBackend, openIdempotency, type BackendKind, type BackendSettings } from './backend-link';
import { isSubgraphDeclaration, type SubgraphDeclaration, type SubgraphRuntime } from './define-subgraph';
import { IdempotencyStore } from './idempotency';
import type { SubgraphExecutor } from './subgraph-executor';
import { createSubgraphServer, type RequestScope, type SubgraphContext } from './subgraph-server';

/** What a request's context holds beside its adapters when its subgraph declares idempotency. */
export interface IdempotencyContext {
  idempotency: IdempotencyStore;
}

type WithIdempotency<TAdapters> = TAdapters & Partial<IdempotencyContext>;

/** A subgraph ready to serve: its server, how a request gets its adapters, and what to release at the end. */
export interface Subgraph<TAdapters extends object = object> {
  server: SubgraphExecutor<WithIdempotency<TAdapters> & SubgraphContext>;
  /** Fresh adapters and DataLoaders for one request, marking stale answers in its `stale` and ending with its `signal`; no I/O. */
  backends(request: RequestScope): WithIdempotency<TAdapters>;
  /** What `/ready` says: not ready while the backend's circuit is open. */
  readiness(): Readiness;
  /** Starts the declaration's runtime, if any: before the first request. */
  start(): Promise<void>;
  /** HTTP requests the runtime answers itself (see SubgraphRuntime). */
  intercept(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Releases process-wide resources such as backend connection pools, after the runtime's own close. */
  close(): Promise<void>;
}

/** Subgraph and declaration, joined with the process-wide parts (adapters' source, idempotency records, readiness, close). */
function assemble<TAdapters extends object, TShared>(
  declaration: SubgraphDeclaration<BackendKind, TAdapters, TShared>,
  parts: {
    adapters(request: RequestScope, shared: TShared): TAdapters;
    runtime?(): Promise<SubgraphRuntime<TShared>>;
    idempotency?: IdempotencyStore;
    readiness(): Readiness;
    close(): Promise<void>;
    log: Logger;
  },
): Subgraph<TAdapters> {
  const { idempotency } = parts;
  let runtime: SubgraphRuntime<TShared> | undefined;
  const shared = () => {
    if (parts.runtime && !runtime) throw new Error('the subgraph was asked to serve before its runtime was started');
    return runtime?.shared as TShared;
  };
  return {
    server: createSubgraphServer<WithIdempotency<TAdapters> & SubgraphContext>({
      typeDefs: declaration.typeDefs,
      resolvers: declaration.resolvers,
      permissions: declaration.permissions,
      log: parts.log,
    }),
    backends: (request) => (idempotency ? { ...parts.adapters(request, shared()), idempotency } : parts.adapters(request, shared())),
    readiness: parts.readiness,
    async start() {
      runtime ??= await parts.runtime?.();
    },
    intercept: async (req, res) => (runtime?.intercept ? runtime.intercept(req, res) : false),
    async close() {
      await runtime?.close();
      await parts.close();
      await idempotency?.close();
    },
  };
}

/** The declaration in `subgraphs/<name>/subgraph.ts`, for a name of schema/subgraphs.json. */
export function declarationOf(name: string): SubgraphDeclaration<BackendKind, object, unknown> {
  // Which subgraph runs is known only at run time; require finds the compiled .js in dist/ and the .ts under Jest alike.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(join(__dirname, '..', name, 'subgraph')) as { default?: unknown };
  if (!isSubgraphDeclaration(loaded.default)) throw new RegistryError(`subgraphs/${name}/subgraph.ts must export default defineSubgraph({ … })`);
  return loaded.default;
}

/**
 * The subgraph `name` over its backend at `settings.url`: one connection pool, last good values and (with
 * `ENTITY_CACHE=on`) fresh values for the process, idempotency records when it declares them, and its readiness
 * following the backend's circuit.
 */
export function buildSubgraph(name: string, settings: BackendSettings, declaration = declarationOf(name)): Subgraph {
  const link = linkBackend(name, declaration.backend, declaration.freshForMs, settings);
  const { runtime } = declaration;
  return assemble(declaration, {
    adapters: (request, shared) => declaration.adapters(link, request, shared),
    runtime: runtime && (() => runtime({ link, log: settings.log, env: settings.env ?? process.env })),
    idempotency: declaration.idempotency ? openIdempotency(name, settings) : undefined,
    readiness: link.readiness,
    close: link.close,
    log: settings.log,
  });
}

/**
 * The same schema, resolvers and rules over adapters a test gives (an in-memory backend behind the adapter interface),
 * without a backend, a port or files: idempotency records, when declared, are kept in process memory.
 */
export function subgraphOverAdapters<TAdapters extends object, TShared>(
  declaration: SubgraphDeclaration<BackendKind, TAdapters, TShared>,
  adapters: (request: RequestScope) => TAdapters,
  log: Logger = silentLogger,
): Subgraph<TAdapters> {
  return assemble(declaration, {
    adapters,
    idempotency: declaration.idempotency ? new IdempotencyStore(openStore('idempotency', { log }), log) : undefined,
    readiness: () => ({ ready: true }),
    close: async () => undefined,
    log,
  });
}
