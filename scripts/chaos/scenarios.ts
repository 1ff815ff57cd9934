import { scenarios as breaker } from './breaker';
import { scenarios as cost } from './cost';
import { scenarios as deadline } from './deadline';
import { scenarios as hostile } from './hostile';
import { scenarios as idempotency } from './idempotency';
import { scenarios as payments } from './payments';
import type { Scenario } from './scenario';
import { scenarios as shutdown } from './shutdown';
import { scenarios as zeroTrust } from './zero-trust';

/** Every scenario `npm run chaos` runs, in order. */
export const SCENARIOS: Scenario[] = [...cost, ...deadline, ...breaker, ...hostile, ...idempotency, ...payments, ...zeroTrust, ...shutdown];
