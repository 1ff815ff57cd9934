import { scenarios as cost } from './cost';
import type { Scenario } from './scenario';

/** Every scenario `npm run chaos` runs, in order. */
export const SCENARIOS: Scenario[] = [...cost];
