import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { repoRoot } from '../platform/paths';
import type { Row } from './measure';

/** `n` with `digits` decimals; a dash when there is no value. */
export const fixed = (n: number | undefined, digits = 1): string => (n === undefined ? '—' : n.toFixed(digits));

/** A Markdown table; prettier aligns it when BENCHMARKS.md is written. */
export function markdownTable(header: string[], align: Array<'left' | 'right'>, lines: string[][]): string {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [row(header), row(align.map((a) => (a === 'right' ? '---:' : '---'))), ...lines.map(row)].join('\n');
}

/** Subgraph names the rows report memory for, in the order they were read. */
const subgraphsIn = (rows: Row[]) => [...new Set(rows.flatMap((r) => Object.keys(r.subgraphPeakRssMiB ?? {})))];

/** The measurements, one line per cell. */
export function table(rows: Row[]): string {
  const subgraphs = subgraphsIn(rows);
  const header = [
    'backend latency',
    'workload',
    'target',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'gateway CPU ms/req',
    'gateway + subgraphs CPU ms/req',
    'with backends CPU ms/req',
    'gateway peak RSS MiB',
    `subgraph peak RSS MiB (${subgraphs.join(' / ')})`,
    'backend calls/req',
  ];
  const lines = rows.map((r) => [
    `${r.latencyMs} ms`,
    r.workload,
    r.target,
    fixed(r.perSecond, 0),
    String(r.p50Ms),
    String(r.p99Ms),
    String(r.errors),
    fixed(r.gatewayCpuMsPerRequest, 2),
    fixed(r.stackCpuMsPerRequest, 2),
    fixed(r.allCpuMsPerRequest, 2),
    fixed(r.gatewayPeakRssMiB, 0),
    r.subgraphPeakRssMiB ? subgraphs.map((name) => fixed(r.subgraphPeakRssMiB?.[name], 0)).join(' / ') : '—',
    fixed(r.backendCallsPerRequest, 2),
  ]);
  return markdownTable(header, [...Array<'left'>(3).fill('left'), ...Array<'right'>(header.length - 3).fill('right')], lines);
}

/** `a / b` as `1.23×`; a dash when either is missing or b is zero. */
export const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b ? `${(a / b).toFixed(2)}×` : '—');

/** The row of `target` in the same cell (workload and latency) as `row`. */
const sameCell = (rows: Row[], row: Row, target: string) =>
  rows.find((r) => r.target === target && r.workload === row.workload && r.latencyMs === row.latencyMs);

/** Throughput and gateway CPU of Atrium against each peer, per workload and latency: the headline. */
export function ratios(rows: Row[]): string {
  const lines = rows
    .filter((r) => r.target === 'atrium')
    .map((row) => {
      const stock = sameCell(rows, row, 'apollo-gateway');
      const hive = sameCell(rows, row, 'hive-gateway');
      // Less gateway CPU per request is what lets the same cores serve more.
      return [
        `${row.latencyMs} ms`,
        row.workload,
        ratio(row.perSecond, stock?.perSecond),
        ratio(row.perSecond, hive?.perSecond),
        ratio(stock?.gatewayCpuMsPerRequest, row.gatewayCpuMsPerRequest),
        ratio(hive?.gatewayCpuMsPerRequest, row.gatewayCpuMsPerRequest),
      ];
    });
  return markdownTable(
    [
      'backend latency',
      'workload',
      'req/s: Atrium / stock @apollo/gateway',
      'req/s: Atrium / Hive Gateway',
      'gateway CPU per request: stock / Atrium',
      'gateway CPU per request: Hive / Atrium',
    ],
    ['left', 'left', 'right', 'right', 'right', 'right'],
    lines,
  );
}

/** This tree against an earlier revision run as `baseline`, per workload and latency (below 1× is less CPU, above 1× more req/s). */
export function baselineRatios(rows: Row[], baseline: string): string {
  const lines = rows
    .filter((r) => r.target === 'atrium')
    .map((row) => {
      const before = sameCell(rows, row, baseline);
      return [
        `${row.latencyMs} ms`,
        row.workload,
        ratio(row.stackCpuMsPerRequest, before?.stackCpuMsPerRequest),
        ratio(row.gatewayCpuMsPerRequest, before?.gatewayCpuMsPerRequest),
        ratio(row.perSecond, before?.perSecond),
      ];
    });
  return markdownTable(
    [
      'backend latency',
      'workload',
      `gateway + subgraphs CPU per request: atrium / ${baseline}`,
      `gateway CPU per request: atrium / ${baseline}`,
      `req/s: atrium / ${baseline}`,
    ],
    ['left', 'left', 'right', 'right', 'right'],
    lines,
  );
}

const version = (name: string) => (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** What the numbers were measured on, and how (`how`: connections, duration…). */
export function measuredOn(how: string): string {
  return [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}`,
    `@apollo/gateway ${version('@apollo/gateway')}, @apollo/server ${version('@apollo/server')}, @graphql-hive/gateway ${version('@graphql-hive/gateway')}, autocannon ${version('autocannon')}`,
    `${how}, every service in its own process on this machine (so the load generator, gateway, subgraphs and backends share its cores); LOG_LEVEL=warn everywhere`,
  ].join('  \n');
}

/**
 * Replaces what BENCHMARKS.md holds between `<!-- bench:<section>:start -->` and its end marker, formatted by the
 * repository's Prettier settings (so `format:check` stays green).
 */
export async function writeSection(section: string, body: string): Promise<void> {
  const file = join(repoRoot, 'BENCHMARKS.md');
  const start = `<!-- bench:${section}:start -->`;
  const end = `<!-- bench:${section}:end -->`;
  const text = readFileSync(file, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`BENCHMARKS.md lacks the ${start} … ${end} markers`);
  const updated = `${text.slice(0, from)}${start}\n\n${body}\n\n${text.slice(to)}`;
  writeFileSync(file, await format(updated, { ...(await resolveConfig(file)), filepath: file }));
}
