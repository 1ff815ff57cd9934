import { createServer, type IncomingMessage } from 'node:http';
import { SCOPES, type Identity } from '../../platform/identity';
import { closeServer, listen } from '../../platform/http';
import { findSubgraph, readSubgraphList, variablesOf } from '../../schema/registry';
import type { ProcessStack } from '../process-stack';
import { PROFILE_QUERY } from './clients';
import type { Scenario, ScenarioResult } from './scenario';

/** The subgraph whose traffic is captured: any would do, this one answers a one-field query alone. */
const CAPTURED = 'orders';
const ONLY_ORDERS = '{ order(id: "ord-1") { id } }';
const SDL = JSON.stringify({ query: '{ _service { sdl } }' });

const bodyOf = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** HTTP status of each subgraph for a direct `_service` call with `authorization`; `undefined` when no answer came. */
async function directStatuses(stack: ProcessStack, authorization: string): Promise<Record<string, number | undefined>> {
  const entries = await Promise.all(
    Object.entries(stack.subgraphUrls).map(async ([name, url]) => {
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: SDL });
        await response.arrayBuffer();
        return [name, response.status] as const;
      } catch {
        return [name, undefined] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * Every subgraph called directly with a gateway-signed token for each subgraph in turn: `matrix[token][subgraph]` is
 * the status, 200 on the diagonal and 401 everywhere else when each subgraph takes only its own.
 */
export async function tokenMatrix(stack: ProcessStack, identity: Identity): Promise<Record<string, Record<string, number | undefined>>> {
  const names = Object.keys(stack.subgraphUrls);
  const rows = await Promise.all(
    names.map(async (name) => [name, await directStatuses(stack, `Bearer ${await stack.internalToken(identity, name)}`)] as const),
  );
  return Object.fromEntries(rows);
}

/** What replaying a captured internal token did: the gateway's own answer, then each subgraph's status. */
export interface TokenReplay {
  gatewayStatus: number;
  /** `authorization` headers the gateway sent to the captured subgraph. */
  captured: string[];
  statuses: Record<string, number | undefined>;
}

/**
 * Puts a recording proxy in front of one subgraph (the gateway restarted to route through it), lets a real client query
 * pass, then replays the internal token the gateway sent against every subgraph directly. The gateway is put back as
 * it was before returning.
 */
export async function replayCapturedToken(stack: ProcessStack): Promise<TokenReplay> {
  const target = stack.subgraphUrls[CAPTURED] as string;
  const captured: string[] = [];
  const proxy = createServer((req, res) => {
    void (async () => {
      if (req.headers.authorization) captured.push(req.headers.authorization);
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string' && !['host', 'connection', 'content-length'].includes(entry[0]),
        ),
      );
      const answer = await fetch(target, { method: req.method, headers, body: await bodyOf(req) });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch(() => res.destroy());
  });
  const proxyUrl = await listen(proxy, 0, '127.0.0.1');
  const gateway = stack.services.gateway;
  if (!gateway) throw new Error('the stack has no gateway');
  try {
    await gateway.stop();
    await gateway.restart({ [variablesOf(findSubgraph(readSubgraphList(), CAPTURED)).gatewayUrl]: `${proxyUrl}/graphql` });
    const clientToken = await stack.token({ sub: 'svc-zero-trust', role: 'service', scopes: SCOPES.join(' ') });
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${clientToken}` },
      body: JSON.stringify({ query: ONLY_ORDERS }),
    });
    await response.arrayBuffer();
    const token = captured[0];
    return { gatewayStatus: response.status, captured, statuses: token ? await directStatuses(stack, token) : {} };
  } finally {
    await gateway.stop();
    await gateway.restart();
    await closeServer(proxy);
  }
}

const summarize = (replay: TokenReplay, passed: boolean): ScenarioResult => {
  const statuses = Object.values(replay.statuses);
  return {
    requests: 1 + statuses.length,
    serverErrors: [replay.gatewayStatus, ...statuses].filter((status) => status !== undefined && status >= 500).length,
    dropped: statuses.filter((status) => status === undefined).length,
    doubleBooked: 0,
    outcome:
      replay.captured.length === 0
        ? `no token captured (gateway answered ${replay.gatewayStatus})`
        : Object.entries(replay.statuses)
            .map(([name, status]) => `${name} ${status ?? 'no answer'}`)
            .join(', '),
    passed,
  };
};

const SERVICE: Identity = { subject: 'svc-zero-trust', clientId: 'atrium-processes', role: 'service', scopes: [...SCOPES], via: 'oauth' };

export const scenarios: Scenario[] = [
  {
    name: 'captured internal token replayed at the other subgraphs',
    expectation: `a token the gateway sent to ${CAPTURED} is accepted by ${CAPTURED} (200) and refused by every other subgraph (401)`,
    async run(stack) {
      const replay = await replayCapturedToken(stack);
      const passed =
        replay.gatewayStatus === 200 &&
        replay.captured.length > 0 &&
        Object.entries(replay.statuses).every(([name, status]) => status === (name === CAPTURED ? 200 : 401));
      return summarize(replay, passed);
    },
  },
  {
    name: 'each subgraph takes only the token naming it',
    expectation:
      'a profile spanning all four subgraphs is served whole, and of 16 direct calls (4 tokens × 4 subgraphs) only the 4 matching ones get 200, the rest 401',
    async run(stack) {
      const clientToken = await stack.token({ sub: SERVICE.subject, role: 'service', scopes: SCOPES.join(' ') });
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${clientToken}` },
        body: JSON.stringify({ query: PROFILE_QUERY, variables: { id: 'cust-1' } }),
      });
      const answer = (await response.json()) as { errors?: unknown[]; data?: { customer?: unknown } };
      const served = response.status === 200 && !answer.errors && answer.data?.customer != null;
      const statuses = Object.entries(await tokenMatrix(stack, SERVICE)).flatMap(([token, row]) =>
        Object.entries(row).map(([subgraph, status]) => ({ matching: token === subgraph, status })),
      );
      const accepted = statuses.filter(({ status }) => status === 200);
      const passed =
        served && accepted.length === 4 && accepted.every(({ matching }) => matching) && statuses.every(({ status }) => status === 200 || status === 401);
      return {
        requests: 1 + statuses.length,
        serverErrors: [response.status, ...statuses.map(({ status }) => status)].filter((status) => status !== undefined && status >= 500).length,
        dropped: statuses.filter(({ status }) => status === undefined).length,
        doubleBooked: 0,
        outcome: `profile ${served ? 'served whole' : `not served whole (HTTP ${response.status})`}, ${accepted.length}/${statuses.length} direct calls accepted (${accepted.filter(({ matching }) => matching).length} matching)`,
        passed,
      };
    },
  },
];
