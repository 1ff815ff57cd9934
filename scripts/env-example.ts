import { join } from 'node:path';
import { portOf, standInVariables, variablesOf, webhookPath, webhookVariable, type StandInEntry, type SubgraphEntry } from '../schema/registry';

/** Where `.env.example` documents the registry's services: the part between these lines is rendered from it. */
const BEGIN = '# >>> The subgraphs of schema/subgraphs.json and their backends, with its defaults (npm run subgraph:new rewrites this part).';
const END = '# <<< End of the subgraphs.';

export const envExampleFile = (root: string): string => join(root, '.env.example');

/** Where a stand-in that posts webhooks posts them: the subgraph's /webhooks/<name>. */
const webhookLines = (entry: SubgraphEntry, standIn: StandInEntry): string[] =>
  standIn.webhooks
    ? [
        `# The ${standIn.name} stand-in posts its signed webhooks to the subgraph's ${webhookPath(standIn)}.`,
        `# ${webhookVariable(standIn)}=${entry.routingUrl.replace(/\/graphql$/, '')}${webhookPath(standIn)}`,
      ]
    : [];

/** Each subgraph's port, metrics port and backend URL, and its backend stand-in's port, named and valued as the registry gives them. */
function serviceLines(registry: SubgraphEntry[]): string[] {
  return registry.flatMap((entry) => {
    const variables = variablesOf(entry);
    return [
      `# The ${entry.name} subgraph, over ${entry.backend.name}.`,
      `# ${variables.port}=${portOf(entry.routingUrl)}`,
      `# ${variables.metricsPort}=${entry.metricsPort}`,
      `# ${variables.backendUrl}=${entry.backend.url}`,
      `# ${variables.backendPort}=${portOf(entry.backend.url)}`,
      ...webhookLines(entry, entry.backend),
      ...(entry.providers ?? []).flatMap((provider) => [
        `# It also calls ${provider.name}.`,
        `# ${standInVariables(provider).url}=${provider.url}`,
        `# ${standInVariables(provider).port}=${portOf(provider.url)}`,
        ...webhookLines(entry, provider),
      ]),
    ];
  });
}

/** `.env.example`'s text with its services part rendered from `registry`; the file must have the part's first and last lines. */
export function withServiceVariables(text: string, registry: SubgraphEntry[]): string {
  const lines = text.split('\n');
  const begin = lines.indexOf(BEGIN);
  const end = lines.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`.env.example must keep the lines "${BEGIN}" and "${END}"`);
  return [...lines.slice(0, begin + 1), ...serviceLines(registry), ...lines.slice(end)].join('\n');
}
