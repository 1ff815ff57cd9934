import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { noFaults, type FaultSettings } from '../../legacy/kit/faults';
import type { LegacyServer } from '../../legacy/kit/legacy-server';
import type { CreateStandIn } from '../../legacy/kit/stand-in';
import { closeServer, listen } from '../../platform/http';
import { silentLogger } from '../../platform/log';

/** What `GET /_admin/stats` answers: the business calls a backend answered since the last reset. */
export interface CallCounts {
  total: number;
  calls: Record<string, number>;
}

/** One legacy backend listening on an ephemeral port, with its admin API at hand. */
export interface RunningBackend {
  backend: LegacyServer;
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Counts read over HTTP from `/_admin/stats`, as an operator would. */
  stats(): Promise<CallCounts>;
  /** `POST /_admin/reset`. */
  resetStats(): Promise<void>;
  /** `POST /_admin/faults` with a partial update; throws unless the backend accepted it. */
  setFaults(faults: Partial<FaultSettings>): Promise<void>;
  /** No faults and zeroed counters: the state every test starts from. */
  restore(): Promise<void>;
  stop(): Promise<void>;
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** Starts a legacy backend the way `legacy/kit/main.ts` would, but silent, fault-free, on port 0 and over a temporary data folder. */
export async function startBackend(create: CreateStandIn): Promise<RunningBackend> {
  const stateDir = mkdtempSync(join(tmpdir(), 'atrium-backend-'));
  const backend = await create({ log: silentLogger, faults: noFaults, stateDir });
  const url = await listen(backend.server, 0, '127.0.0.1');
  const running: RunningBackend = {
    backend,
    url,
    async stats() {
      return (await (await fetch(`${url}/_admin/stats`)).json()) as CallCounts;
    },
    async resetStats() {
      await postJson(`${url}/_admin/reset`, {});
    },
    async setFaults(faults) {
      await postJson(`${url}/_admin/faults`, faults);
    },
    async restore() {
      await running.setFaults(noFaults);
      await running.resetStats();
    },
    async stop() {
      await closeServer(backend.server);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return running;
}

/**
 * Runs `call` while the backend delays every business call by `latencyMs`, then waits until the backend has finished
 * its delayed work: a call the client gave up on is still counted late, and must not land in the next test's counters.
 */
export async function withLatency<T>(
  running: RunningBackend,
  latencyMs: number,
  call: () => Promise<T>,
): Promise<{ outcome: PromiseSettledResult<T>; elapsedMs: number }> {
  await running.setFaults({ latencyMs });
  const started = performance.now();
  const [outcome] = await Promise.allSettled([call()]);
  const elapsedMs = performance.now() - started;
  await running.setFaults({ latencyMs: 0 });
  await sleep(Math.max(0, latencyMs - elapsedMs) + 50);
  return { outcome: outcome as PromiseSettledResult<T>, elapsedMs };
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Serialises SOAP arguments: arrays repeat their element, objects nest, everything in the `t:` namespace prefix. */
function toXml(args: Record<string, unknown>): string {
  return Object.entries(args)
    .flatMap(([name, value]) => (Array.isArray(value) ? value.map((item) => [name, item] as const) : [[name, value] as const]))
    .map(([name, value]) =>
      value !== null && typeof value === 'object'
        ? `<t:${name}>${toXml(value as Record<string, unknown>)}</t:${name}>`
        : `<t:${name}>${escapeXml(String(value))}</t:${name}>`,
    )
    .join('');
}

/** A raw SOAP 1.1 answer. */
export interface SoapAnswer {
  status: number;
  contentType: string | null;
  body: string;
}

/**
 * Calls a document/literal SOAP 1.1 operation with a hand-written envelope over plain HTTP, as any SOAP client would
 * put it on the wire: `SOAPAction` is `<namespace>#<operation>`, as the WSDLs declare.
 */
export async function callSoap(endpoint: string, namespace: string, operation: string, args: Record<string, unknown>): Promise<SoapAnswer> {
  const envelope =
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="${namespace}"><soap:Body>` +
    `<t:${operation}>${toXml(args)}</t:${operation}>` +
    '</soap:Body></soap:Envelope>';
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${namespace}#${operation}"` },
    body: envelope,
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

/** The inner XML of every `<name>` element (any namespace prefix), in document order. Not for self-nesting elements. */
export function elements(xml: string, name: string): string[] {
  const pattern = new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w-]+:)?${name}>`, 'g');
  return [...xml.matchAll(pattern)].map((match) => match[1] as string);
}

/** The text of the first `<name>` element, or undefined. */
export function text(xml: string, name: string): string | undefined {
  return elements(xml, name)[0];
}

/** The parts of a SOAP 1.1 fault, or undefined when the body is not one. */
export function soapFaultOf(xml: string): { faultcode?: string; faultstring?: string; code?: string } | undefined {
  const fault = text(xml, 'Fault');
  if (fault === undefined) return undefined;
  return { faultcode: text(fault, 'faultcode'), faultstring: text(fault, 'faultstring'), code: text(fault, 'code') };
}
