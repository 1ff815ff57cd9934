import { readFileSync } from 'node:fs';
import { ConfigError, flagVar, optionalTextVar } from './env';

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

/** The CA, certificate and key files of one side of a mutual TLS connection. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** The environment variables of mutual TLS between the gateway and the subgraphs, for `readEnv`. */
export const mtlsVars = () => ({ MTLS: flagVar(false), MTLS_CA: optionalTextVar(), MTLS_CERT: optionalTextVar(), MTLS_KEY: optionalTextVar() });

/** The mTLS files when `MTLS=on`; a ConfigError naming what is missing when one of them is not set. */
export function mtlsFiles(values: { MTLS: boolean; MTLS_CA?: string; MTLS_CERT?: string; MTLS_KEY?: string }): TlsFiles | undefined {
  if (!values.MTLS) return undefined;
  if (!(values.MTLS_CA && values.MTLS_CERT && values.MTLS_KEY))
    throw new ConfigError('invalid configuration:\n  MTLS: MTLS=on needs MTLS_CA, MTLS_CERT and MTLS_KEY');
  return { ca: values.MTLS_CA, cert: values.MTLS_CERT, key: values.MTLS_KEY };
}

/** Reads the mTLS files, failing with the variable that names an unreadable one. */
export function readMtlsFiles(files: TlsFiles): Record<keyof TlsFiles, Buffer> {
  return readPemFiles({
    ca: { variable: 'MTLS_CA', path: files.ca },
    cert: { variable: 'MTLS_CERT', path: files.cert },
    key: { variable: 'MTLS_KEY', path: files.key },
  });
}
