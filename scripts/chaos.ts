import { parseArgs } from 'node:util';
import { SCENARIOS } from './chaos/scenarios';
import type { Scenario, ScenarioResult } from './chaos/scenario';
import { startProcessStack } from './process-stack';

interface Row extends ScenarioResult {
  scenario: string;
  seconds: number;
}

/** Scenarios that need the same stack share one start. */
function groupByStack(scenarios: Scenario[]): Scenario[][] {
  const groups = new Map<string, Scenario[]>();
  for (const scenario of scenarios) {
    const key = JSON.stringify([scenario.stackEnv ?? {}, scenario.serviceEnv ?? {}]);
    groups.set(key, [...(groups.get(key) ?? []), scenario]);
  }
  return [...groups.values()];
}

function table(rows: Row[]): string {
  const lines = rows.map(
    (r) =>
      `| ${r.scenario} | ${r.requests} | ${r.serverErrors} | ${r.dropped} | ${r.doubleBooked} | ${r.outcome} | ${r.passed ? 'held' : '**FAILED**'} | ${r.seconds.toFixed(1)} |`,
  );
  return [
    '| scenario | requests | 5xx | dropped | double-booked | outcome | result | s |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- | ---: |',
    ...lines,
  ].join('\n');
}

/**
 * `npm run chaos`: starts the built stack as real processes on free loopback ports, runs every attack and fault scenario
 * against it and prints what each did. Exits 1 when a scenario found the stack did not hold.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  const wanted = values.only?.split(',').map((name) => name.trim());
  const scenarios = wanted ? SCENARIOS.filter((s) => wanted.some((name) => s.name.includes(name))) : SCENARIOS;
  if (scenarios.length === 0) {
    process.stderr.write(`chaos: no scenario matches ${values.only}\n`);
    process.exit(2);
  }
  const rows: Row[] = [];
  for (const group of groupByStack(scenarios)) {
    const stack = await startProcessStack({ env: group[0]?.stackEnv, serviceEnv: group[0]?.serviceEnv });
    try {
      for (const scenario of group) {
        process.stderr.write(`chaos: ${scenario.name} — ${scenario.expectation}\n`);
        const started = performance.now();
        const result = await scenario.run(stack).catch((error: unknown): ScenarioResult => ({
          requests: 0,
          serverErrors: 0,
          dropped: 0,
          doubleBooked: 0,
          outcome: `scenario failed: ${error instanceof Error ? error.message : String(error)}`,
          passed: false,
        }));
        rows.push({ scenario: scenario.name, seconds: (performance.now() - started) / 1000, ...result });
      }
    } finally {
      await stack.stop();
    }
  }
  process.stdout.write(`${table(rows)}\n`);
  const failed = rows.filter((row) => !row.passed);
  if (failed.length > 0) {
    process.stderr.write(`chaos: ${failed.length} of ${rows.length} scenarios did not hold: ${failed.map((row) => row.scenario).join(', ')}\n`);
    process.exit(1);
  }
}

void main();
