import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { closeServer, listen } from '../../platform/http';

/** A signing key with its public JWK, as an issuer publishes it. */
export interface TestKey {
  privateKey: CryptoKey;
  jwk: JWK;
  alg: string;
}

export async function testKey(kid: string, alg = 'RS256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, alg };
}

/** Signs a token with `key`; claims as given (no defaults added beyond iat). */
export function signToken(key: TestKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.jwk.kid, typ: 'JWT', ...header })
    .setIssuedAt()
    .sign(key.privateKey);
}

/** An issuer's JWKS endpoint over HTTP whose keys a test can rotate; counts how often it was fetched. */
export async function startJwksServer(keys: TestKey[]): Promise<{ url: string; fetches: () => number; rotate(next: TestKey[]): void; stop(): Promise<void> }> {
  let current = keys;
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: current.map((key) => key.jwk) }));
  });
  const base = await listen(server, 0, '127.0.0.1');
  return {
    url: `${base}/jwks`,
    fetches: () => fetches,
    rotate(next) {
      current = next;
    },
    stop: () => closeServer(server),
  };
}
