import { z } from 'zod';
import { flagVar, intVar, ratioVar, readEnv } from '../../platform/env';

/** Faults a legacy backend injects into its business calls. */
export const faultSettingsSchema = z
  .object({
    latencyMs: z.number().int().min(0).max(60_000),
    errorRate: z.number().min(0).max(1),
    down: z.boolean(),
    /** Share of calls carried out and then answered by a dropped connection: the answer, not the work, is lost. */
    dropResponseRate: z.number().min(0).max(1),
  })
  .strict();

export type FaultSettings = z.infer<typeof faultSettingsSchema>;

export const noFaults: FaultSettings = { latencyMs: 0, errorRate: 0, down: false, dropResponseRate: 0 };

/** A partial update as sent to `POST /_admin/faults`; omitted fields keep their value. */
export const faultUpdateSchema = faultSettingsSchema.partial();

/**
 * Reads the start-up faults of one backend from `<PREFIX>_LATENCY_MS`, `<PREFIX>_ERROR_RATE`, `<PREFIX>_DOWN` and
 * `<PREFIX>_DROP_RESPONSE_RATE`.
 */
export function faultsFromEnv(prefix: string, env: NodeJS.ProcessEnv = process.env): FaultSettings {
  const read = readEnv(
    {
      [`${prefix}_LATENCY_MS`]: intVar(0, 0, 60_000),
      [`${prefix}_ERROR_RATE`]: ratioVar(0),
      [`${prefix}_DOWN`]: flagVar(false),
      [`${prefix}_DROP_RESPONSE_RATE`]: ratioVar(0),
    },
    env,
  );
  return {
    latencyMs: read[`${prefix}_LATENCY_MS`] as number,
    errorRate: read[`${prefix}_ERROR_RATE`] as number,
    down: read[`${prefix}_DOWN`] as boolean,
    dropResponseRate: read[`${prefix}_DROP_RESPONSE_RATE`] as number,
  };
}
