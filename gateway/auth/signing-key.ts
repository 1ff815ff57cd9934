import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importPKCS8, type CryptoKey, type JSONWebKeySet } from 'jose';
import { ConfigError } from '../../platform/env';
import { INTERNAL_TOKEN } from '../../platform/internal-token';

/** The key the gateway signs internal tokens with, and the JWKS that publishes its public half to the subgraphs. */
export interface SigningKey {
  privateKey: CryptoKey;
  kid: string;
  jwks: JSONWebKeySet;
}

/**
 * Loads the gateway's ES256 signing key from a PKCS#8 PEM file, or makes a fresh one for this process when no file is
 * given (fine for one replica; replicas behind one load balancer must share a file so any of them verifies).
 */
export async function loadSigningKey(pemFile: string | undefined): Promise<SigningKey> {
  let privateKey: CryptoKey;
  if (pemFile) {
    try {
      privateKey = await importPKCS8(readFileSync(pemFile, 'utf8'), INTERNAL_TOKEN.algorithm, { extractable: true });
    } catch (error) {
      throw new ConfigError(`invalid configuration:\n  GATEWAY_SIGNING_KEY_FILE: not a readable PKCS#8 P-256 private key (${(error as Error).message})`);
    }
  } else {
    privateKey = (await generateKeyPair(INTERNAL_TOKEN.algorithm, { extractable: true })).privateKey;
  }
  const { d: _private, ...publicJwk } = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { privateKey, kid, jwks: { keys: [{ ...publicJwk, kid, alg: INTERNAL_TOKEN.algorithm, use: 'sig' }] } };
}
