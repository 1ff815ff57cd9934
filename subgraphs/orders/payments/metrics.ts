import { Gauge } from 'prom-client';
import type { Logger } from '../../../platform/log';
import type { PaymentRecords, WorkflowState } from './records';

const STATES: WorkflowState[] = ['RUNNING', 'CONFIRMED', 'PAYMENT_FAILED', 'CANCELLED', 'REJECTED', 'STUCK'];

let source: { records: PaymentRecords; log: Logger } | undefined;

// Registered in prom-client's default registry; read on scrape through `collect`.
new Gauge({
  name: 'atrium_payment_workflows',
  help: 'Payment workflows by state (RUNNING, CONFIRMED, PAYMENT_FAILED, CANCELLED, REJECTED, STUCK), as recorded in the shared database.',
  labelNames: ['state'] as const,
  // Read on scrape, so every replica reports the shared truth.
  async collect() {
    if (!source) return;
    try {
      const census = await source.records.census();
      for (const state of STATES) this.set({ state }, census.byState[state] ?? 0);
      oldestRunning.set(census.oldestRunningSeconds);
    } catch (error) {
      source.log.warn({ err: error }, 'payment workflow census failed');
    }
  },
});

const oldestRunning = new Gauge({ name: 'atrium_payment_workflow_oldest_running_seconds', help: 'Age of the oldest payment workflow still running.' });

/** Reports the workflows of `records` on every scrape, until the returned function is called. */
export function reportWorkflows(records: PaymentRecords, log: Logger): () => void {
  source = { records, log };
  return () => {
    source = undefined;
  };
}
