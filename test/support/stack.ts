import { readGatewayConfig } from '../../gateway/config';
import { startGateway } from '../../gateway/server';
import { createCrmServer } from '../../legacy/crm/server';
import { createErpServer } from '../../legacy/erp/server';
import { noFaults, type FaultSettings } from '../../legacy/kit/faults';
import type { LegacyServer } from '../../legacy/kit/legacy-server';
import { createHelpdeskServer } from '../../legacy/helpdesk/server';
import { createPreferenceServer } from '../../legacy/preference-service/server';
import { closeServer, listen } from '../../platform/http';
import { silentLogger } from '../../platform/log';
import type { RunningService } from '../../platform/run';
import { customersOverCrm } from '../../subgraphs/customers/server';
import type { BackendSettings } from '../../subgraphs/kit/run-subgraph';
import { serveSubgraph } from '../../subgraphs/kit/serve';
import { ordersOverErp } from '../../subgraphs/orders/server';
import { preferencesOverStore } from '../../subgraphs/preferences/server';
import { supportTicketsOverHelpdesk } from '../../subgraphs/support-tickets/server';
import type { OperationResult } from './operations';

export type BackendName = 'crm' | 'preferenceService' | 'erp' | 'helpdesk';

export interface Stack {
  gatewayUrl: string;
  backendUrls: Record<BackendName, string>;
  subgraphUrls: Record<string, string>;
  /** Sends an operation to the gateway over HTTP. */
  query(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<OperationResult & { status: number }>;
  /** Business calls each backend answered since the last reset, read from its `/_admin/stats` over HTTP. */
  calls(): Promise<Record<BackendName, { total: number; calls: Record<string, number> }>>;
  resetCalls(): Promise<void>;
  setFaults(backend: BackendName, faults: Partial<FaultSettings>): Promise<void>;
  stop(): Promise<void>;
}

const backendNames: BackendName[] = ['crm', 'preferenceService', 'erp', 'helpdesk'];

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/**
 * The whole Atrium stack in this process, every service on its own ephemeral port: the four legacy backends, the four
 * subgraphs over them, and the gateway serving the committed supergraph with routing URLs pointed at those ports.
 */
export async function startStack(options: { backendTimeoutMs?: number } = {}): Promise<Stack> {
  const stops: Array<() => Promise<void>> = [];
  try {
    const backends: Record<BackendName, LegacyServer> = {
      crm: createCrmServer({ log: silentLogger, faults: noFaults }),
      preferenceService: createPreferenceServer({ log: silentLogger, faults: noFaults }),
      erp: await createErpServer({ log: silentLogger, faults: noFaults }),
      helpdesk: await createHelpdeskServer({ log: silentLogger, faults: noFaults }),
    };
    const backendUrls = {} as Record<BackendName, string>;
    for (const name of backendNames) {
      backendUrls[name] = await listen(backends[name].server, 0, '127.0.0.1');
      stops.push(() => closeServer(backends[name].server));
    }

    const settings = (url: string): BackendSettings => ({ url, timeoutMs: options.backendTimeoutMs ?? 5_000, connections: 8, log: silentLogger });
    const subgraphs: Array<[string, RunningService]> = [
      ['customers', await serveSubgraph(customersOverCrm(settings(backendUrls.crm)), { port: 0, host: '127.0.0.1', log: silentLogger })],
      ['orders', await serveSubgraph(ordersOverErp(settings(`${backendUrls.erp}/erp`)), { port: 0, host: '127.0.0.1', log: silentLogger })],
      ['preferences', await serveSubgraph(preferencesOverStore(settings(backendUrls.preferenceService)), { port: 0, host: '127.0.0.1', log: silentLogger })],
      ['support-tickets', await serveSubgraph(supportTicketsOverHelpdesk(settings(`${backendUrls.helpdesk}/helpdesk`)), { port: 0, host: '127.0.0.1', log: silentLogger })],
    ];
    for (const [, running] of subgraphs) stops.push(() => running.stop());
    const subgraphUrls = Object.fromEntries(subgraphs.map(([name, running]) => [name, running.url]));

    const gatewayEnv = { GATEWAY_PORT: '0', ...Object.fromEntries(subgraphs.map(([name, running]) => [`SUBGRAPH_${name.toUpperCase().replace(/-/g, '_')}_URL`, running.url])) };
    const gateway = await startGateway(readGatewayConfig(gatewayEnv), silentLogger);
    stops.push(() => gateway.stop());

    return {
      gatewayUrl: gateway.url,
      backendUrls,
      subgraphUrls,
      async query(query, variables, headers = {}) {
        const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
        return { status: response.status, ...((await response.json()) as OperationResult) };
      },
      async calls() {
        const entries = await Promise.all(backendNames.map(async (name) => [name, await (await fetch(`${backendUrls[name]}/_admin/stats`)).json()] as const));
        return Object.fromEntries(entries) as Awaited<ReturnType<Stack['calls']>>;
      },
      async resetCalls() {
        await Promise.all(backendNames.map((name) => post(`${backendUrls[name]}/_admin/reset`, {})));
      },
      async setFaults(backend, faults) {
        await post(`${backendUrls[backend]}/_admin/faults`, faults);
      },
      stop: () => stopAll(stops),
    };
  } catch (error) {
    await stopAll(stops);
    throw error;
  }
}

async function stopAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops.reverse()) await stop();
}
