import { readFileSync } from 'node:fs';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { readSubgraphList, schemaFile, subgraphFolder } from './schema/registry';
import { clientDocumentsTarget, resolverTypesPath, resolverTypesTarget } from './scripts/codegen-targets';

/**
 * `npm run codegen`: resolver types for every subgraph in schema/subgraphs.json, and typed documents for the example
 * client. `npm run codegen:check` fails when a committed file differs from what would be generated.
 */
const subgraphs = readSubgraphList();

/** A subgraph's `codegen-mappers.json`: GraphQL type → `../module#Type` of the value its resolvers return. */
function mappersOf(folder: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(`${folder}/codegen-mappers.json`, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

const config: CodegenConfig = {
  overwrite: true,
  generates: {
    ...Object.fromEntries(
      subgraphs.map((entry) => {
        const folder = subgraphFolder(entry.name);
        return [resolverTypesPath(folder), resolverTypesTarget(schemaFile(entry), mappersOf(folder))];
      }),
    ),
    'examples/generated/operations.ts': clientDocumentsTarget,
  },
};

export default config;
