import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { repoRoot } from '../platform/paths';
import { composeSupergraph, SUPERGRAPH_FILE } from './composition';

/**
 * `npm run compose` writes schema/supergraph.graphql from the subgraphs listed in schema/subgraphs.json.
 * `npm run compose:check` only checks that the committed file is what composition gives today.
 */
function main(check: boolean): number {
  const result = composeSupergraph();
  if (result.errors) {
    process.stderr.write(`composition failed:\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    return 1;
  }
  const target = relative(repoRoot, SUPERGRAPH_FILE);
  if (check) {
    let committed = '';
    try {
      committed = readFileSync(SUPERGRAPH_FILE, 'utf8');
    } catch {
      // A missing file is stale too.
    }
    if (committed !== result.supergraphSdl) {
      process.stderr.write(`${target} is stale: run \`npm run compose\` and commit the result\n`);
      return 1;
    }
    process.stdout.write(`${target} is up to date\n`);
    return 0;
  }
  writeFileSync(SUPERGRAPH_FILE, result.supergraphSdl);
  process.stdout.write(`wrote ${target}\n`);
  return 0;
}

process.exitCode = main(process.argv.includes('--check'));
