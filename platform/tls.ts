import { readFileSync } from 'node:fs';
import { ConfigError } from './env';

/** Reads PEM files named by environment variables, failing with the variable's name when one cannot be read. */
export function readPemFiles<K extends string>(files: Record<K, { variable: string; path: string }>): Record<K, Buffer> {
  const read = {} as Record<K, Buffer>;
  for (const [name, { variable, path }] of Object.entries(files) as Array<[K, { variable: string; path: string }]>) {
    try {
      read[name] = readFileSync(path);
    } catch {
      throw new ConfigError(`invalid configuration:\n  ${variable}: cannot read the file it names`);
    }
  }
  return read;
}
