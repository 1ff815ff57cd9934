import cluster, { type Worker } from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, generateKeyPair } from 'jose';
import { AggregatorRegistry } from 'prom-client';
import { collectProcessMetrics, serveMetrics } from '../platform/metrics';
import { INTERNAL_TOKEN } from '../platform/internal-token';
import type { Logger } from '../platform/log';
import type { RunningService } from '../platform/run';
import type { GatewayConfig } from './config';

/** In a worker: answers the primary's requests for this process's metrics (and collects the process metrics). */
export function reportMetricsToPrimary(): void {
  collectProcessMetrics();
  // prom-client's aggregator, once created in a worker, answers the primary over the cluster channel.
  new AggregatorRegistry();
}

/**
 * `GATEWAY_WORKERS=n`: this process forks n gateway workers sharing the listening port (node:cluster), restarts any
 * that dies, serves their metrics summed on the metrics port, and on SIGTERM/SIGINT passes SIGTERM on to every worker
 * and waits until each has drained. Workers must sign with one key (subgraphs fetch one JWKS): without
 * `GATEWAY_SIGNING_KEY_FILE`, a key is made here and handed to them.
 */
export async function startWorkers(config: GatewayConfig, log: Logger): Promise<RunningService> {
  let keyDir: string | undefined;
  const env: Record<string, string> = {};
  if (!config.signingKeyFile) {
    keyDir = mkdtempSync(join(tmpdir(), 'atrium-gateway-key-'));
    const keyFile = join(keyDir, 'signing-key.pem');
    writeFileSync(keyFile, await exportPKCS8((await generateKeyPair(INTERNAL_TOKEN.algorithm, { extractable: true })).privateKey), { mode: 0o600 });
    env.GATEWAY_SIGNING_KEY_FILE = keyFile;
  }
  let stopping = false;
  const fork = () => cluster.fork(env);
  cluster.on('exit', (worker: Worker, code, signal) => {
    if (stopping) return;
    log.error({ worker: worker.process.pid, code, signal }, 'gateway worker died; starting another');
    fork();
  });
  const listening = new Promise<string>((resolve) => cluster.once('listening', (_worker, address) => resolve(`http://${config.host}:${address.port}/graphql`)));
  for (let i = 0; i < config.workers; i += 1) fork();
  const url = await listening;

  const registry = new AggregatorRegistry();
  const metrics = await serveMetrics(config.metricsPort, config.host, { metrics: () => registry.clusterMetrics(), contentType: registry.contentType });
  return {
    url,
    async stop() {
      stopping = true;
      // Each worker drains its own connections (platform/run.ts); the primary waits for all of them.
      const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
      const codes = await Promise.all(
        workers.map(
          (worker) =>
            new Promise<number | null>((resolve) => {
              if (worker.isDead()) return resolve(worker.process.exitCode);
              worker.once('exit', (code) => resolve(code));
              worker.process.kill('SIGTERM');
            }),
        ),
      );
      await metrics.stop();
      if (keyDir) rmSync(keyDir, { recursive: true, force: true });
      const failed = codes.filter((code) => code !== 0).length;
      if (failed > 0) throw new Error(`${failed} of ${codes.length} gateway workers did not stop cleanly`);
    },
  };
}
