import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { repoRoot } from '../platform/paths';

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

const entrySchema = z
  .object({
    name: z.string().regex(NAME),
    routingUrl: z.url(),
    /** The SDL file, relative to the repository root. */
    schema: z.string().min(1),
    /** The legacy system the subgraph wraps, started by `npm start` from `legacy/<name>/index.js` at `url`. */
    backend: z.object({ name: z.string().regex(NAME), url: z.url() }).strict(),
  })
  .strict();
const registrySchema = z.object({ subgraphs: z.array(entrySchema).min(1) }).strict();

/** The registry file is missing, not JSON, or not in the expected shape. */
export class RegistryError extends Error {}

/** One subgraph of `schema/subgraphs.json`. */
export type SubgraphEntry = z.infer<typeof entrySchema>;

export const SUBGRAPHS_FILE = join(repoRoot, 'schema', 'subgraphs.json');

/** Reads and checks the subgraph registry: what composes into the supergraph and what `npm start` runs. */
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
