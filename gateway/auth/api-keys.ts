import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { SCOPES, type Identity } from '../../platform/identity';
import type { Logger } from '../../platform/log';
import { InvalidCredentialError } from './oauth';

/** A client's allowance, as AWS API Gateway usage plans have it: steady requests per second, burst, daily quota. */
export interface UsagePlan {
  ratePerSecond: number;
  burst: number;
  /** Requests per UTC day; 0 for no quota. */
  dailyQuota: number;
}

const usagePlanSchema = z.object({ ratePerSecond: z.number().positive(), burst: z.number().int().positive(), dailyQuota: z.number().int().min(0) });

const apiKeyRecordSchema = z.object({
  id: z.string().regex(/^[a-z0-9]{8}$/),
  clientId: z.string().min(1),
  scopes: z.array(z.enum(SCOPES)),
  plan: usagePlanSchema,
  /** SHA-256 of the whole key, hex. Keys carry 256 random bits, so a fast hash is enough (no dictionary to guess). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

const keyFileSchema = z.object({ keys: z.array(apiKeyRecordSchema) });

/** `atr_<8-char id>_<43-char secret>`: the id finds the record, the whole key is compared by hash. */
const KEY_FORMAT = /^atr_([a-z0-9]{8})_[A-Za-z0-9_-]{43}$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Makes a new key; the plain key is returned once and only its hash is kept. */
export function newApiKey(clientId: string, scopes: ApiKeyRecord['scopes'], plan: UsagePlan, now = new Date()): { key: string; record: ApiKeyRecord } {
  const id = randomBytes(8).toString('hex').slice(0, 8);
  const key = `atr_${id}_${randomBytes(32).toString('base64url')}`;
  const record = { id, clientId, scopes, plan, sha256: sha256(key).toString('hex'), createdAt: now.toISOString() };
  return { key, record: apiKeyRecordSchema.parse(record) };
}

/** Reads the key file; a missing file means no keys. Throws with the file's path when it is malformed. */
export function readKeyFile(path: string): ApiKeyRecord[] {
  if (!existsSync(path)) return [];
  const parsed = keyFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is not a valid API key file: ${parsed.error.issues[0]?.message ?? 'unknown problem'}`);
  return parsed.data.keys;
}

/** Replaces the key file atomically (readers see the old or the new file, never half of one), readable by its owner only. */
export function writeKeyFile(path: string, keys: ApiKeyRecord[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** What a valid key is worth: who calls, with which scopes, under which plan. */
export interface ApiKeyClient {
  identity: Identity;
  plan: UsagePlan;
}

/**
 * Checks `x-api-key` values against the hashed key file, reloading it when it changes so a revocation takes effect
 * within a second, without a restart. Unknown, revoked and malformed keys get the same answer and the same work.
 */
export class ApiKeyVerifier {
  private byId = new Map<string, ApiKeyRecord>();
  /** Which version of the file `byId` was read from: compared each second with the file as it is now. */
  private loadedVersion: string;
  private readonly poll: NodeJS.Timeout;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {
    this.loadedVersion = this.version();
    this.byId = new Map(readKeyFile(path).map((record) => [record.id, record]));
    this.poll = setInterval(() => this.reloadIfChanged(), 1_000).unref();
  }

  verify(presented: string): ApiKeyClient {
    const id = KEY_FORMAT.exec(presented)?.[1];
    const record = id ? this.byId.get(id) : undefined;
    const expected = record ? Buffer.from(record.sha256, 'hex') : Buffer.alloc(32);
    const matches = timingSafeEqual(sha256(presented), expected);
    if (!record || !matches || record.revokedAt) throw new InvalidCredentialError('API key is not valid', 'api_key');
    return {
      identity: { subject: record.clientId, clientId: record.clientId, role: 'service', scopes: record.scopes, via: 'api-key' },
      plan: record.plan,
    };
  }

  close(): void {
    clearInterval(this.poll);
  }

  /** The file's identity, size and time of change; a replaced or edited file has another. */
  private version(): string {
    try {
      const stat = statSync(this.path);
      return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }

  private reloadIfChanged(): void {
    const version = this.version();
    if (version === this.loadedVersion) return;
    this.loadedVersion = version;
    try {
      this.byId = new Map(readKeyFile(this.path).map((record) => [record.id, record]));
    } catch (error) {
      // Keep the keys we had: a half-edited file must not lock every partner out.
      this.log.error({ err: error }, 'API key file refused; keeping the previous keys');
    }
  }
}
