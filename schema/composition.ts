import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { findBreakingChanges, parse, type GraphQLSchema } from 'graphql';
import { repoRoot } from '../platform/paths';
import { readSubgraphList, schemaFile, type SubgraphEntry } from './registry';

export const SUPERGRAPH_FILE = join(repoRoot, 'schema', 'supergraph.graphql');

/** A subgraph's SDL, read from its file under the repository root. */
export const readSchemaFile = (entry: SubgraphEntry): string => readFileSync(join(repoRoot, schemaFile(entry)), 'utf8');

export type CompositionResult = { supergraphSdl: string; errors?: undefined } | { supergraphSdl?: undefined; errors: string[] };

/** Composes the listed subgraphs' SDL files into a supergraph, or says what is wrong, naming subgraph, type and field. */
export function composeSupergraph(entries: SubgraphEntry[] = readSubgraphList(), readSchema = readSchemaFile): CompositionResult {
  const services = [];
  const errors: string[] = [];
  for (const entry of entries) {
    try {
      services.push({ name: entry.name, url: entry.routingUrl, typeDefs: parse(readSchema(entry)) });
    } catch (error) {
      errors.push(`[${entry.name}] ${schemaFile(entry)}: ${(error as Error).message}`);
    }
  }
  if (errors.length > 0) return { errors };
  const result = composeServices(services);
  if (result.errors) return { errors: result.errors.map((e) => e.message) };
  return { supergraphSdl: result.supergraphSdl };
}

/** The schema clients see through a supergraph: its API schema, without the federation machinery. */
function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

/**
 * What a new supergraph breaks for clients of the old one: removed types and fields, changed field or argument
 * types, new required arguments… as graphql-js judges them, one line each naming the type and field.
 */
export function breakingChanges(oldSupergraphSdl: string, newSupergraphSdl: string): string[] {
  return findBreakingChanges(apiSchemaOf(oldSupergraphSdl), apiSchemaOf(newSupergraphSdl)).map((change) => `${change.type}: ${change.description}`);
}
