import type { Row } from './measure';

/** Markdown tables in `text`: each a list of rows of trimmed cells, the header first, the `---` line left out. */
function markdownTables(text: string): string[][][] {
  const tables: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    const cells = line
      .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
      .split('|')
      .map((cell) => cell.trim());
    if (cells.every((cell) => /^:?-+:?$/.test(cell))) continue;
    if (!current) tables.push((current = []));
    current.push(cells);
  }
  return tables;
}

/** `name 1.23, other 4.56` → [['name', 1.23], ['other', 4.56]]. */
function perServiceValues(list: string): Array<[string, number]> {
  return [...list.matchAll(/(.+?) (\d+(?:\.\d+)?)(?:, |$)/g)].map((match) => [match[1] as string, Number(match[2])]);
}

/**
 * The rows of an earlier revision's own bench run (`node dist/bench/run.js --targets atrium …`): its measurements
 * table on stdout, whose columns are found by name so that revisions may add or reorder them, and on stderr one
 * `CPU ms/req by service:` line per row, in the table's order, from which the CPU of the gateway and subgraphs is
 * summed without the services named in `backends`. Rows are renamed `target`.
 */
export function parseBaselineOutput(stdout: string, stderr: string, options: { target: string; backends: ReadonlySet<string> }): Row[] {
  const table = markdownTables(stdout).find(([header]) => header?.includes('target') && header.includes('req/s'));
  if (!table) throw new Error('the baseline printed no table with "target" and "req/s" columns');
  const [header = [], ...lines] = table;
  const cpuLines = [...stderr.matchAll(/CPU ms\/req by service: (.*)/g)].map((match) => perServiceValues(match[1] as string));
  if (cpuLines.length !== lines.length)
    throw new Error(`the baseline printed ${lines.length} table rows and ${cpuLines.length} "CPU ms/req by service" lines; they must match`);
  const column = (name: string, required = true) => {
    const index = header.indexOf(name);
    if (index < 0 && required) throw new Error(`the baseline's table has no "${name}" column`);
    return index;
  };
  const at = (cells: string[], index: number): number | undefined => {
    const value = Number.parseFloat(cells[index] ?? '');
    return index >= 0 && Number.isFinite(value) ? value : undefined;
  };
  const need = (cells: string[], name: string): number => {
    const value = at(cells, column(name));
    if (value === undefined) throw new Error(`the baseline's "${name}" is not a number in: ${cells.join(' | ')}`);
    return value;
  };
  const sum = (values: Array<[string, number]>) => values.reduce((total, [, ms]) => total + ms, 0);
  return lines.flatMap((cells, i) => {
    if (cells[column('target')] !== 'atrium') return [];
    const cpu = cpuLines[i] as Array<[string, number]>;
    return [
      {
        target: options.target,
        workload: cells[column('workload')] as string,
        latencyMs: need(cells, 'backend latency'),
        perSecond: need(cells, 'req/s'),
        p50Ms: need(cells, 'p50 ms'),
        p99Ms: need(cells, 'p99 ms'),
        errors: need(cells, 'errors'),
        gatewayCpuMsPerRequest: need(cells, 'gateway CPU ms/req'),
        stackCpuMsPerRequest: sum(cpu.filter(([name]) => !options.backends.has(name))),
        allCpuMsPerRequest: sum(cpu),
        gatewayPeakRssMiB: at(cells, column('gateway peak RSS MiB', false)),
        backendCallsPerRequest: need(cells, 'backend calls/req'),
      },
    ];
  });
}
