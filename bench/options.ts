import { parseArgs } from 'node:util';

/** A mistake in the command line: reported without a stack trace, exit code 2. */
export class BenchUsageError extends Error {}

/** What `npm run bench -- …` asks for, checked. */
export interface BenchOptions {
  mode: 'targets' | 'subgraphs' | 'overload' | 'events';
  smoke: boolean;
  seconds: number;
  warmup: number;
  /** Names of targets to run; all when undefined. */
  targets?: string[];
  /** Names of workloads to run; all when undefined. */
  workloads?: string[];
  latencies: number[];
  write: boolean;
  uncachedOnly: boolean;
  /** A git revision to build and run as an extra target. */
  baseline?: string;
}

const positive = (flag: string, text: string) => {
  const n = Number(text);
  if (!(n > 0)) throw new BenchUsageError(`--${flag} ${text}: must be a number of seconds above 0`);
  return n;
};

/** Those of `list` (comma-separated) that are among `known`; any other is refused, naming what is. */
const names = (flag: string, list: string | undefined, known: readonly string[]) => {
  if (list === undefined) return undefined;
  const picked = list.split(',');
  const unknown = picked.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new BenchUsageError(`--${flag}: unknown ${unknown.join(', ')}; choose from ${known.join(', ')}`);
  return picked;
};

/** Reads the bench's command line; `known` lists the targets and workloads there are. */
export function readBenchOptions(args: string[], known: { targets: readonly string[]; workloads: readonly string[] }): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        smoke: { type: 'boolean', default: false },
        seconds: { type: 'string', default: '10' },
        warmup: { type: 'string', default: '3' },
        targets: { type: 'string' },
        workloads: { type: 'string' },
        latencies: { type: 'string', default: '0,20' },
        write: { type: 'boolean', default: false },
        'uncached-only': { type: 'boolean', default: false },
        baseline: { type: 'string' },
        subgraphs: { type: 'boolean', default: false },
        overload: { type: 'boolean', default: false },
        events: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  if ([values.subgraphs, values.overload, values.events].filter(Boolean).length > 1)
    throw new BenchUsageError('--subgraphs, --overload and --events are separate runs: choose one');
  const mode = values.subgraphs ? 'subgraphs' : values.overload ? 'overload' : values.events ? 'events' : 'targets';
  if (mode !== 'targets' && (values.baseline !== undefined || values.targets !== undefined)) {
    throw new BenchUsageError(`--${mode} measures this tree's Atrium alone: --baseline and --targets do not apply`);
  }
  const latencies = values.latencies.split(',').map((text) => {
    if (!/^\d+$/.test(text)) throw new BenchUsageError(`--latencies ${values.latencies}: must be whole milliseconds, comma-separated, such as 0,20`);
    return Number(text);
  });
  return {
    mode,
    smoke: values.smoke,
    seconds: values.smoke ? 1 : positive('seconds', values.seconds),
    warmup: values.smoke ? 0.5 : positive('warmup', values.warmup),
    targets: names('targets', values.targets, known.targets),
    workloads: names('workloads', values.workloads ?? (values.smoke ? 'profile' : undefined), known.workloads),
    latencies: values.smoke ? [0] : latencies,
    write: values.write,
    uncachedOnly: values['uncached-only'],
    baseline: values.baseline,
  };
}
