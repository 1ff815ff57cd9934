import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { Kind, parse, type DocumentNode } from 'graphql';
import { repoRoot } from '../platform/paths';
import { composeSupergraph } from '../schema/composition';
import { settingDefaults } from '../platform/env';
import { envName, portOf, readSubgraphList, RegistryError, schemaFile, standInsOf, type SubgraphEntry } from '../schema/registry';
import { embeddedDatabaseSettings } from '../subgraphs/orders/payments/settings';
import { UsageError } from './cli';
import { renderResolverTypes, resolverTypesPath } from './codegen-targets';
import { envExampleFile, withServiceVariables } from './env-example';

export const BACKEND_KINDS = ['rest', 'soap'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** Folder names and context keys a subgraph may not take. */
const RESERVED = new Set(['kit', 'generated', 'viewer', 'stale', 'gateway', 'schema', 'legacy', 'seed']);
const TEMPLATES = join(repoRoot, 'scripts', 'subgraph-template');

/** The names one subgraph name turns into, as the templates use them. */
export interface Names {
  /** loyalty-program */
  name: string;
  /** LoyaltyProgram */
  Name: string;
  /** loyaltyProgram */
  camel: string;
  /** LOYALTY_PROGRAM */
  CONST: string;
  /** loyalty program */
  title: string;
}

export function namesOf(name: string): Names {
  const words = name.split('-');
  const Name = words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
  return { name, Name, camel: Name[0]?.toLowerCase() + Name.slice(1), CONST: envName(name), title: words.join(' ') };
}

/** What a new subgraph adds to the supergraph's namespace: none of it may exist already. */
const addedNames = (names: Names) => ({ types: [`${names.Name}Entry`], queryFields: [`${names.camel}Entry`], customerFields: [`${names.camel}Entries`] });

/** Every type, and every field of Query and Customer, that each registered subgraph defines or extends. */
function declaredNames(document: DocumentNode) {
  const types = new Set<string>();
  const fields = { Query: new Set<string>(), Customer: new Set<string>() };
  for (const definition of document.definitions) {
    if (!('name' in definition) || !definition.name || definition.kind === Kind.DIRECTIVE_DEFINITION) continue;
    types.add(definition.name.value);
    if ((definition.name.value === 'Query' || definition.name.value === 'Customer') && 'fields' in definition)
      for (const field of definition.fields ?? []) fields[definition.name.value].add(field.name.value);
  }
  return { types, fields };
}

/** Refuses a name that is malformed, taken, or would collide with a type, field or environment variable in use. */
function checkName(root: string, names: Names, registry: SubgraphEntry[], schemas: Map<string, DocumentNode>): void {
  const { name } = names;
  if (!NAME.test(name) || name.length > 40)
    throw new UsageError(
      `"${name}" is not a valid subgraph name: use lowercase words joined by hyphens, such as loyalty or gift-cards (at most 40 characters)`,
    );
  if (RESERVED.has(name) || name.endsWith('-backend')) throw new UsageError(`"${name}" is reserved; choose another name`);
  if (registry.some((entry) => entry.name === name)) throw new UsageError(`a subgraph named ${name} exists already (schema/subgraphs.json)`);
  for (const folder of [join('subgraphs', name), join('legacy', `${name}-backend`)])
    if (existsSync(join(root, folder))) throw new UsageError(`${folder} exists already; choose another name or remove the folder`);
  // <NAME>_PORT and <NAME>_BACKEND_URL must not be another subgraph's or backend's variables.
  const taken = registry.flatMap((entry) => [entry.name, entry.backend.name]).map(envName);
  const clash = taken.find((other) => other === names.CONST || other === `${names.CONST}_BACKEND`);
  if (clash) throw new UsageError(`"${name}" would share environment variables (${clash}_PORT…) with an existing subgraph or backend; choose another name`);

  const added = addedNames(names);
  for (const [subgraph, document] of schemas) {
    const declared = declaredNames(document);
    const type = added.types.find((t) => declared.types.has(t));
    if (type) throw new UsageError(`type ${type} exists already in the ${subgraph} subgraph; choose another name`);
    const field = added.queryFields.find((f) => declared.fields.Query.has(f)) ?? added.customerFields.find((f) => declared.fields.Customer.has(f));
    if (field) throw new UsageError(`field ${field} exists already in the ${subgraph} subgraph; choose another name`);
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** The first port from `from` up that no registered service uses and nothing on this machine listens on. */
async function freePort(from: number, taken: Set<number>): Promise<number> {
  for (let port = from; port < 65_536; port++) if (!taken.has(port) && (await canListen(port))) return port;
  throw new Error(`no free port from ${from}`);
}

/** Every template file of a folder, by path relative to it. */
function templateFiles(folder: string, prefix = ''): Array<{ path: string; text: string }> {
  return readdirSync(join(TEMPLATES, folder, prefix), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? templateFiles(folder, join(prefix, entry.name))
      : [{ path: join(prefix, entry.name).replace(/\.tmpl$/, ''), text: readFileSync(join(TEMPLATES, folder, prefix, entry.name), 'utf8') }],
  );
}

const fill = (text: string, values: Record<string, string>) => text.replace(/__([A-Za-z]+)__/g, (match, key: string) => values[key] ?? match);

/** A small number from the name, so two scaffolded backends do not seed the same data. */
const seedOf = (name: string) =>
  `0x${[...name].reduce((hash, c) => (Math.imul(hash ^ c.charCodeAt(0), 16_777_619) >>> 0) & 0xffffff, 2_166_136_261 & 0xffffff).toString(16)}`;

export interface ScaffoldResult {
  names: Names;
  port: number;
  metricsPort: number;
  backendPort: number;
  /** Written files, relative to the repository root. */
  files: string[];
}

/**
 * Scaffolds a subgraph over a new legacy backend stand-in, registers it and composes the supergraph. Everything is
 * checked and rendered first; then the two folders are moved into place and the registry, the supergraph and the
 * services part of `.env.example` replaced.
 * A failure at any point leaves the tree as it was.
 */
export async function scaffoldSubgraph(root: string, name: string, kind: string): Promise<ScaffoldResult> {
  if (!(BACKEND_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--backend must be rest or soap, not "${kind}"`);
  const registryFile = join(root, 'schema', 'subgraphs.json');
  const supergraphFile = join(root, 'schema', 'supergraph.graphql');
  let registry: SubgraphEntry[];
  try {
    registry = readSubgraphList(registryFile);
  } catch (error) {
    if (error instanceof RegistryError) throw new UsageError(`fix the registry first: ${error.message}`);
    throw error;
  }
  // Each registered schema is read once: checked for collisions here, composed with the new one below.
  const sdl = new Map(registry.map((entry) => [entry.name, readFileSync(join(root, schemaFile(entry)), 'utf8')]));
  const schemas = new Map([...sdl].map(([name, text]) => [name, parse(text)]));
  const names = namesOf(name);
  checkName(root, names, registry, schemas);

  // The embedded database's ports are the stack's too.
  const taken = new Set([
    ...registry.flatMap((entry) => [portOf(entry.routingUrl), entry.metricsPort, ...standInsOf(entry).map((standIn) => portOf(standIn.url))]),
    ...Object.values(settingDefaults(embeddedDatabaseSettings)),
  ]);
  const port = await freePort(Math.max(...registry.map((entry) => portOf(entry.routingUrl))) + 1, taken);
  const backendPort = await freePort(Math.max(...registry.flatMap(standInsOf).map((standIn) => portOf(standIn.url))) + 1, new Set([...taken, port]));
  const metricsPort = await freePort(port + 5400, new Set([...taken, port, backendPort]));
  const backendUrl = `http://127.0.0.1:${backendPort}${kind === 'soap' ? `/${name}` : ''}`;
  const values: Record<string, string> = {
    ...names,
    port: String(port),
    metricsPort: String(metricsPort),
    backendPort: String(backendPort),
    backendUrl,
    backendKind: kind,
    backendLabel: kind === 'soap' ? 'SOAP 1.1 (WSDL at `?wsdl`)' : 'REST/JSON',
    seed: seedOf(name),
    TransportClient: kind === 'soap' ? 'SoapClient' : 'RestClient',
    transportModule: kind === 'soap' ? 'soap-client' : 'rest-client',
    transportOptions: kind === 'soap' ? `endpoint: \`\${backend.url}/${name}\`` : 'baseUrl: backend.url',
  };

  // Rendered in memory: the subgraph folder and the backend folder, each file formatted as the repository formats it.
  const subgraphFolder = join('subgraphs', name);
  const backendFolder = join('legacy', `${name}-backend`);
  const rendered = new Map<string, string>();
  for (const [folder, target] of [
    ['subgraph', subgraphFolder],
    [`subgraph-${kind}`, subgraphFolder],
    ['backend', backendFolder],
    [`backend-${kind}`, backendFolder],
  ] as const) {
    for (const file of templateFiles(folder)) {
      const path = join(target, fill(file.path, values));
      rendered.set(path, fill(file.text, values));
    }
  }
  for (const [path, text] of formatted(root, rendered)) rendered.set(path, text);

  const entry: SubgraphEntry = {
    name,
    routingUrl: `http://127.0.0.1:${port}/graphql`,
    metricsPort,
    backend: { name: `${name}-backend`, url: backendUrl },
  };
  const composed = composeSupergraph([...registry, entry], (e) =>
    e === entry ? (rendered.get(join(subgraphFolder, 'schema.graphql')) as string) : (sdl.get(e.name) as string),
  );
  if (composed.errors) throw new UsageError(`the new subgraph does not compose with the others:\n${composed.errors.map((e) => `  - ${e}`).join('\n')}`);

  rendered.set(
    resolverTypesPath(subgraphFolder),
    await renderResolverTypes(
      resolverTypesPath(subgraphFolder),
      rendered.get(join(subgraphFolder, 'schema.graphql')) as string,
      JSON.parse(rendered.get(join(subgraphFolder, 'codegen-mappers.json')) as string) as Record<string, string>,
    ),
  );
  const envExample = envExampleFile(root);
  const envExampleText = withServiceVariables(readFileSync(envExample, 'utf8'), [...registry, entry]);
  const registryPath = relative(root, registryFile);
  const registryText = formatted(root, new Map([[registryPath, JSON.stringify({ subgraphs: [...registry, entry] })]])).get(registryPath) as string;

  // Written: staged beside the tree, moved in whole, and undone on any failure.
  const staging = join(root, '.atrium', `scaffold-${randomUUID()}`);
  const moved: string[] = [];
  const previous = {
    registry: readFileSync(registryFile, 'utf8'),
    supergraph: readFileSync(supergraphFile, 'utf8'),
    envExample: readFileSync(envExample, 'utf8'),
  };
  try {
    for (const [path, text] of rendered) {
      mkdirSync(dirname(join(staging, path)), { recursive: true });
      writeFileSync(join(staging, path), text);
    }
    for (const folder of [subgraphFolder, backendFolder]) {
      renameSync(join(staging, folder), join(root, folder));
      moved.push(folder);
    }
    replaceFile(registryFile, registryText);
    replaceFile(supergraphFile, composed.supergraphSdl);
    replaceFile(envExample, envExampleText);
  } catch (error) {
    for (const folder of moved) rmSync(join(root, folder), { recursive: true, force: true });
    replaceFile(registryFile, previous.registry);
    replaceFile(supergraphFile, previous.supergraph);
    replaceFile(envExample, previous.envExample);
    throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return {
    names,
    port,
    metricsPort,
    backendPort,
    files: [...rendered.keys(), relative(root, registryFile), relative(root, supergraphFile), relative(root, envExample)],
  };
}

/**
 * The files as the repository's Prettier formats them (`npm run format:check` passes on a fresh scaffold). Prettier
 * runs in a child process: its CommonJS entry loads its core with a dynamic import, which test runners may not allow.
 */
function formatted(root: string, files: Map<string, string>): Map<string, string> {
  const script = `
    const prettier = require('prettier');
    const files = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      for (const file of files) file.text = await prettier.format(file.text, { ...(await prettier.resolveConfig(file.path)), filepath: file.path });
      process.stdout.write(JSON.stringify(files));
    })();`;
  const formattable = [...files].filter(([path]) => /\.(ts|json|md|graphql)$/.test(path)).map(([path, text]) => ({ path: join(root, path), text }));
  const output = execFileSync(process.execPath, ['-e', script], { cwd: root, input: JSON.stringify(formattable), encoding: 'utf8' });
  return new Map((JSON.parse(output) as Array<{ path: string; text: string }>).map((file) => [relative(root, file.path), file.text]));
}

/** Writes a file whole or not at all: readers never see it half-written. */
function replaceFile(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
