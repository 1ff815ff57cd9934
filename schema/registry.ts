import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../platform/env';
import { repoRoot } from '../platform/paths';

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

const standInSchema = z
  .object({
    name: z.string().regex(NAME),
    url: z.url(),
    /** Its stand-in posts signed webhooks (`<NAME>_WEBHOOK_URL`) to the subgraph's `/webhooks/<name>`. */
    webhooks: z.boolean().optional(),
  })
  .strict();

const entrySchema = z
  .object({
    name: z.string().regex(NAME),
    /** Where the gateway reaches it by default; its port is the default of `<NAME>_PORT`. */
    routingUrl: z.url(),
    /** The default of `<NAME>_METRICS_PORT`, where its `/metrics` is served apart from GraphQL. */
    metricsPort: z.number().int().min(1).max(65_535),
    /** The legacy system the subgraph wraps: its stand-in is `legacy/<name>/`, reached at `url` by default (`<NAME>_URL`). */
    backend: standInSchema,
    /**
     * Other systems it calls, each with a stand-in `legacy/<name>/` reached at `url` by default (`<NAME>_URL`): the
     * orders subgraph's payment provider.
     */
    providers: z.array(standInSchema).optional(),
  })
  .strict();
const registrySchema = z.object({ subgraphs: z.array(entrySchema).min(1) }).strict();

/** The registry file is missing, not JSON, or not in the expected shape, or names no such service: a configuration error. */
export class RegistryError extends ConfigError {
  override name = 'RegistryError';
}

/** One subgraph of `schema/subgraphs.json`. */
export type SubgraphEntry = z.infer<typeof entrySchema>;

export const SUBGRAPHS_FILE = join(repoRoot, 'schema', 'subgraphs.json');

/**
 * Reads and checks the subgraph registry, the one list of the stack's subgraphs and backends: what composes into the
 * supergraph, what codegen types, and what `npm start`, the test, process and bench stacks and the scaffolder run.
 */
export function readSubgraphList(file = SUBGRAPHS_FILE): SubgraphEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RegistryError(`${file}: ${(error as Error).message}`);
  }
  const parsed = registrySchema.safeParse(json);
  if (!parsed.success) throw new RegistryError(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.subgraphs;
}

/** SUPPORT_TICKETS from support-tickets: how a name appears in environment variables. */
export const envName = (name: string): string => name.toUpperCase().replace(/-/g, '_');

/** The port a URL names, or its scheme's default. */
export const portOf = (url: string): number => {
  const parsed = new URL(url);
  return parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
};

/** A subgraph is its folder: `subgraphs/<name>/`, with its `schema.graphql` and its declaration (`subgraph.ts`). */
export const subgraphFolder = (name: string): string => `subgraphs/${name}`;

/** The subgraph's SDL file, relative to the repository root. */
export const schemaFile = (entry: SubgraphEntry): string => `${subgraphFolder(entry.name)}/schema.graphql`;

/** The environment variables a subgraph, its backend's stand-in and the gateway read for one entry, named after it. */
export function variablesOf(entry: SubgraphEntry) {
  const own = envName(entry.name);
  const backend = envName(entry.backend.name);
  return {
    /** `ORDERS_PORT`: where the subgraph serves GraphQL. */
    port: `${own}_PORT`,
    /** `ORDERS_METRICS_PORT`: where it serves `/metrics`. */
    metricsPort: `${own}_METRICS_PORT`,
    /** `ERP_URL`: where the subgraph finds its backend. */
    backendUrl: `${backend}_URL`,
    /** `ERP_PORT`: where the stand-in listens; its start-up faults are `ERP_LATENCY_MS`, `ERP_DOWN`… */
    backendPort: `${backend}_PORT`,
    /** `ERP`: what the stand-in's own variables start with. */
    backendPrefix: backend,
    /** `SUBGRAPH_ORDERS_URL`: where the gateway routes to the subgraph instead of its supergraph URL. */
    gatewayUrl: `SUBGRAPH_${own}_URL`,
  };
}

/** A backend or provider of the registry: a stand-in `legacy/<name>/` reached at `url` by default. */
export interface StandInEntry {
  name: string;
  url: string;
  webhooks?: boolean;
}

/** Every system a subgraph calls: its backend first, then its providers. */
export const standInsOf = (entry: SubgraphEntry): StandInEntry[] => [entry.backend, ...(entry.providers ?? [])];

/** `PAYMENTS_URL` (where the subgraph finds it) and `PAYMENTS_PORT` (where its stand-in listens), for a provider or backend. */
export const standInVariables = (standIn: StandInEntry) => ({ url: `${envName(standIn.name)}_URL`, port: `${envName(standIn.name)}_PORT` });

/** `PAYMENTS_WEBHOOK_URL`: where a stand-in posts its signed webhooks. */
export const webhookVariable = (standIn: StandInEntry): string => `${envName(standIn.name)}_WEBHOOK_URL`;

/** `/webhooks/payments`: where the subgraph that calls a stand-in receives its webhooks. */
export const webhookPath = (standIn: StandInEntry): string => `/webhooks/${standIn.name}`;

/**
 * The variables that point each stand-in of `entry` that posts webhooks at its subgraph, served at `subgraphBase`
 * (`http://127.0.0.1:4002`): `{ PAYMENTS_WEBHOOK_URL: 'http://127.0.0.1:4002/webhooks/payments' }`, empty for the others.
 */
export const webhookVariablesFor = (standIn: StandInEntry, subgraphBase: string): Record<string, string> =>
  standIn.webhooks ? { [webhookVariable(standIn)]: `${subgraphBase}${webhookPath(standIn)}` } : {};

/** How a service of the registry is started once built: `node dist/<script> <args…>`, one kit entry for all subgraphs, one for all stand-ins. */
export interface ServiceCommand {
  script: string;
  args: string[];
}

export const subgraphCommand = (entry: SubgraphEntry): ServiceCommand => ({ script: 'subgraphs/kit/main.js', args: [entry.name] });
export const standInCommand = (standIn: StandInEntry): ServiceCommand => ({ script: 'legacy/kit/main.js', args: [standIn.name] });

/** The backend's URL once its stand-in listens at `base`: the registry's path kept (`http://127.0.0.1:4999` → `…/erp`). */
export const backendUrlAt = (entry: SubgraphEntry, base: string): string => standInUrlAt(entry.backend, base);
export const standInUrlAt = (standIn: StandInEntry, base: string): string => `${base}${new URL(standIn.url).pathname.replace(/\/$/, '')}`;

/** The entry of subgraph `name`, or a message listing the ones there are. */
export function findSubgraph(registry: SubgraphEntry[], name: string): SubgraphEntry {
  const entry = registry.find((e) => e.name === name);
  if (!entry) throw new RegistryError(`no subgraph "${name}" in schema/subgraphs.json (${registry.map((e) => e.name).join(', ')})`);
  return entry;
}

/** The backend or provider `name` (its stand-in's), or a message listing the ones there are. */
export function findStandIn(registry: SubgraphEntry[], name: string): StandInEntry {
  const all = registry.flatMap(standInsOf);
  const found = all.find((standIn) => standIn.name === name);
  if (!found) throw new RegistryError(`no backend "${name}" in schema/subgraphs.json (${all.map((standIn) => standIn.name).join(', ')})`);
  return found;
}
