import { scenarios as breaker } from './breaker';
import { scenarios as deadline } from './deadline';
import type { Scenario } from './scenario';

/** Every scenario `npm run chaos` runs, in order. */
export const SCENARIOS: Scenario[] = [...deadline, ...breaker];
