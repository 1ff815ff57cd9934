import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { noFaults } from '../../legacy/kit/faults';
import type { BackendOptions } from '../../legacy/kit/stand-in';
import type { RunningBackend } from './legacy';
import createPaymentsServer from '../../legacy/payments/server';
import { closeServer, listen, readBody } from '../../platform/http';
import { silentLogger } from '../../platform/log';

/** One webhook delivery as the receiver got it. */
export interface Delivery {
  body: string;
  signature: string | undefined;
}

/** A webhook endpoint on an ephemeral port that keeps what it is sent. */
export interface WebhookReceiver {
  url: string;
  /** Accepted deliveries, in the order they arrived. */
  readonly deliveries: Delivery[];
  /** Every delivery, refused ones too. */
  readonly attempts: Delivery[];
  /** Answers the next `count` deliveries with a 500. */
  refuseNext(count: number): void;
  stop(): Promise<void>;
}

/** Waits until `done()` holds, failing after `timeoutMs`. */
export async function eventually(done: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** A receiver that keeps the signature from `signatureHeader` (Stripe's by default). */
export async function startWebhookReceiver(signatureHeader = 'stripe-signature'): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const attempts: Delivery[] = [];
  let refusals = 0;
  const server = createServer((req, res) => {
    void readBody(req, 1024 * 1024).then((body) => {
      const delivery = { body, signature: req.headers[signatureHeader] as string | undefined };
      attempts.push(delivery);
      if (refusals > 0) {
        refusals -= 1;
        res.writeHead(500).end();
        return;
      }
      deliveries.push(delivery);
      res.writeHead(200).end();
    });
  });
  const url = await listen(server, 0, '127.0.0.1');
  return {
    url,
    deliveries,
    attempts,
    refuseNext(count) {
      refusals = count;
    },
    stop: () => closeServer(server),
  };
}

/**
 * Starts a form POST whose body stops after its first bytes, and resolves once the stand-in holds it (counted it):
 * its idempotency key is then in use until `finish()` sends the rest and resolves with the answer's status.
 */
export async function startHeldPost(
  running: RunningBackend,
  path: string,
  params: Record<string, string>,
  headers: Record<string, string>,
): Promise<{ finish(): Promise<number> }> {
  const body = new URLSearchParams(params).toString();
  const { hostname, port } = new URL(running.url);
  const counted = (await running.stats()).total;
  const held = request({
    host: hostname,
    port,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...headers },
  });
  const status = new Promise<number>((resolve, reject) => held.on('response', (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject));
  held.write(body.slice(0, 10));
  await eventually(async () => (await running.stats()).total > counted);
  return {
    finish() {
      held.end(body.slice(10));
      return status;
    },
  };
}

/** Makes the payments stand-in with these variables set: it reads them once, as it starts. */
export function paymentsWith(env: Record<string, string>) {
  return (options: BackendOptions) => {
    const before = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
    Object.assign(process.env, env);
    try {
      return createPaymentsServer(options);
    } finally {
      for (const [name, value] of Object.entries(before)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  };
}

/** A payments stand-in that can be stopped and started again over the same data folder, as a process restart would. */
export interface RestartablePayments {
  url: string;
  /** Closes the stand-in and starts a new one over the same data, on a new port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRestartablePayments(): Promise<RestartablePayments> {
  const stateDir = mkdtempSync(join(tmpdir(), 'atrium-payments-'));
  const start = async () => {
    const backend = await createPaymentsServer({ log: silentLogger, faults: noFaults, stateDir });
    return { server: backend.server, url: await listen(backend.server, 0, '127.0.0.1') };
  };
  let running = await start();
  const handle: RestartablePayments = {
    url: running.url,
    async restart() {
      await closeServer(running.server);
      running = await start();
      handle.url = running.url;
    },
    async stop() {
      await closeServer(running.server);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return handle;
}
