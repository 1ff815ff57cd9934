import { z } from 'zod';

/** A configuration value is missing or malformed; the message names every offending variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Shape = Record<string, z.ZodType>;

/**
 * Reads and validates environment variables once, at start-up.
 * Every problem is reported together, each line naming its variable; values are never echoed (they may be secrets).
 */
export function readEnv<S extends Shape>(shape: S, env: NodeJS.ProcessEnv = process.env): { [K in keyof S]: z.output<S[K]> } {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data as { [K in keyof S]: z.output<S[K]> };
}

/**
 * One setting as code names it: the variable it is read from, and how (its parsing, default and validation message,
 * from which its type follows). Declared once, it is read by `readSettings` and its default known by `settingDefaults`.
 */
export interface Setting<T extends z.ZodType = z.ZodType> {
  variable: string;
  schema: T;
}

export const setting = <T extends z.ZodType>(variable: string, schema: T): Setting<T> => ({ variable, schema });

/** Settings by their names in code, possibly in groups (`{ port, resilience: { timeoutMs, … } }`). */
export interface SettingGroup {
  [name: string]: Setting | SettingGroup;
}

/** The values of a group of settings, by their names in code. */
export type SettingsOf<S extends SettingGroup> = {
  [K in keyof S]: S[K] extends Setting<infer T> ? z.output<T> : S[K] extends SettingGroup ? SettingsOf<S[K]> : never;
};

const isSetting = (value: Setting | SettingGroup): value is Setting => value.schema instanceof z.ZodType && typeof value.variable === 'string';

const variablesOf = (shape: SettingGroup): Array<[string, z.ZodType]> =>
  Object.values(shape).flatMap((value) => (isSetting(value) ? [[value.variable, value.schema] as [string, z.ZodType]] : variablesOf(value)));

const valuesOf = (shape: SettingGroup, values: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(shape).map(([key, value]) => [key, isSetting(value) ? values[value.variable] : valuesOf(value, values)]));

/** The variables a group of settings reads. */
export const settingVariables = (group: SettingGroup): string[] => variablesOf(group).map(([variable]) => variable);

/** Reads settings as `readEnv` reads variables (every problem at once, each naming its variable), by their names in code. */
export function readSettings<S extends SettingGroup>(shape: S, env: NodeJS.ProcessEnv = process.env): SettingsOf<S> {
  return valuesOf(shape, readEnv(Object.fromEntries(variablesOf(shape)), env)) as SettingsOf<S>;
}

/** What settings are when none of their variables is set. */
export const settingDefaults = <S extends SettingGroup>(shape: S): SettingsOf<S> => readSettings(shape, {});

/** Settings named after their variables, from a `readEnv` shape (`{ MTLS: flagVar(false) }`). */
export const settingsOfVars = <V extends Shape>(shape: V): { [K in keyof V]: Setting<V[K]> } =>
  Object.fromEntries(Object.entries(shape).map(([variable, schema]) => [variable, setting(variable, schema)])) as { [K in keyof V]: Setting<V[K]> };

/** A TCP port, 0 meaning "any free port". */
export const portVar = (defaultPort: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, 'must be a port number from 0 to 65535')
    .transform(Number)
    .refine((n) => n <= 65535, 'must be a port number from 0 to 65535')
    .default(defaultPort);

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** An absolute http(s) URL. */
export const urlVar = (defaultUrl: string) => z.string().refine(isHttpUrl, 'must be an absolute http:// or https:// URL').default(defaultUrl);

/** An absolute http(s) URL that may be left unset. */
export const optionalUrlVar = () => z.string().refine(isHttpUrl, 'must be an absolute http:// or https:// URL').optional();

/** A whole number within bounds. */
export const intVar = (defaultValue: number, min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`)
    .default(defaultValue);

/** `30s`, `1m`, `15m`: a duration in whole seconds or minutes. */
const DURATION = /^(\d{1,4})(s|m)$/;

/** A duration variable as milliseconds, within bounds. */
export const durationVar = (defaultValue: string, minMs: number, maxMs: number, evenly?: { check(ms: number): boolean; message: string }) =>
  z
    .string()
    .regex(DURATION, 'must be a duration such as 30s or 15m')
    .transform((text) => {
      const [, amount, unit] = DURATION.exec(text) as RegExpExecArray;
      return Number(amount) * (unit === 'm' ? 60_000 : 1_000);
    })
    .refine((ms) => ms >= minMs && ms <= maxMs, `must be from ${minMs / 1000}s to ${maxMs / 60_000}m`)
    .refine((ms) => evenly?.check(ms) ?? true, evenly?.message)
    .prefault(defaultValue);

/** A fraction from 0 to 1. */
export const ratioVar = (defaultValue: number) =>
  z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a number from 0 to 1')
    .transform(Number)
    .default(defaultValue);

/** A flag: true/false, on/off, 1/0, yes/no. */
export const flagVar = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', 'on', 'off', '1', '0', 'yes', 'no'], { message: 'must be one of true, false, on, off, 1, 0, yes, no' })
    .transform((value) => ['true', 'on', '1', 'yes'].includes(value))
    .default(defaultValue);

/** The interface to listen on; loopback unless a deployment says otherwise. */
export const hostVar = () => z.string().min(1, 'must not be empty').default('127.0.0.1');

/** A comma-separated list; empty entries dropped. */
export const listVar = (defaultValue: string[] = []) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .default(defaultValue);

/** A non-empty value that may be left unset, such as a file path. */
export const optionalTextVar = () => z.string().min(1, 'must not be empty').optional();

/** A Redis server, when shared state is wanted. */
export const redisUrlVar = () =>
  z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional();

/** Whether this process runs in production mode (`NODE_ENV=production`): the safe defaults need no other flag. */
export const isProduction = (env: NodeJS.ProcessEnv = process.env): boolean => env.NODE_ENV === 'production';
