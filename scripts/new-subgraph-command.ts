import { parseCommandArgs, runCommand, UsageError, type CommandResult } from './cli';
import { BACKEND_KINDS, scaffoldSubgraph } from './scaffold-subgraph';

export const NEW_SUBGRAPH_USAGE = `usage: npm run subgraph:new -- <name> --backend <${BACKEND_KINDS.join('|')}>
  Scaffolds subgraphs/<name> over a new legacy backend stand-in in legacy/<name>-backend, registers it in
  schema/subgraphs.json on a free port and composes schema/supergraph.graphql. <name>: lowercase words joined by
  hyphens, such as loyalty or gift-cards.`;

/** `npm run subgraph:new`: everything checked before anything is written; on a refusal the tree is untouched. */
export function newSubgraphCommand(args: string[], root: string): Promise<CommandResult> {
  return runCommand('subgraph:new', NEW_SUBGRAPH_USAGE, async () => {
    const parsed = parseCommandArgs(args, { backend: { type: 'string' } });
    const [name, ...extra] = parsed.positionals;
    if (!name) throw new UsageError('name the subgraph, such as loyalty');
    if (extra.length > 0) throw new UsageError(`one name only, not ${[name, ...extra].join(' ')}`);
    if (!parsed.values.backend) throw new UsageError(`--backend is required: ${BACKEND_KINDS.join(' or ')}`);
    const result = await scaffoldSubgraph(root, name, parsed.values.backend);
    const { names } = result;
    return {
      stderr: '',
      stdout: [
        `created subgraphs/${names.name} (port ${result.port}, metrics ${result.metricsPort}) over legacy/${names.name}-backend (${parsed.values.backend}, port ${result.backendPort})`,
        `registered it in schema/subgraphs.json and composed schema/supergraph.graphql: a running gateway has already taken the new supergraph`,
        '',
        'next:',
        `  npm test -- subgraphs/${names.name} legacy/${names.name}-backend   # its own tests`,
        '  npm start                                          # (re)start the stack to run the new services',
        `  { customer(id: "cust-1") { name ${names.camel}Entries { label amount } } }`,
        `then shape ${names.Name}Entry into what the system really holds: see subgraphs/${names.name}/README.md`,
        '',
      ].join('\n'),
    };
  });
}
