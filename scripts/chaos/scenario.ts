import type { ProcessStack } from '../process-stack';

/** What one attack or fault did to the stack, as `npm run chaos` prints it. */
export interface ScenarioResult {
  /** Client requests the scenario sent. */
  requests: number;
  /** Answers with an HTTP status of 500 or more. */
  serverErrors: number;
  /** Requests that got no answer at all (connection reset, no response). */
  dropped: number;
  /** Writes that took effect twice (a second order for one idempotency key, say). */
  doubleBooked: number;
  /** What was measured, in a few words (`20/20 answered`, `circuit closed, 38/40 with orders`). */
  outcome: string;
  /** Whether the stack held: the scenario's own bar, stated in its `expectation`. */
  passed: boolean;
}

/** One bounded, loopback-only attack or fault against a running process stack. */
export interface Scenario {
  name: string;
  /** What must be true for it to pass, in a sentence. */
  expectation: string;
  /** Environment the stack must be started with for this scenario (latencies, limits); scenarios sharing one are grouped. */
  stackEnv?: Record<string, string>;
  /** Environment for single services (`gateway`, `orders`…), over `stackEnv`. */
  serviceEnv?: Record<string, Record<string, string>>;
  run(stack: ProcessStack): Promise<ScenarioResult>;
}
