import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { InternalTokenSigner, internalAudience, signInternalToken, verifyInternalToken } from './internal-token';
import type { Identity } from './identity';

describe('internal tokens', () => {
  const customer: Identity = { subject: 'cust-1', clientId: 'web', role: 'customer', scopes: ['customers:read', 'orders:read'], via: 'oauth' };
  const gatewayKeys = async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    return { key: { privateKey, kid: 'g1' }, keys: createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'g1' }] }) };
  };
  const signedBy = (privateKey: CryptoKey, audience: string | string[], claims: Record<string, unknown> = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'g1' })
      .setIssuer('atrium-gateway')
      .setAudience(audience)
      .setSubject('x')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(privateKey);

  it('carry the identity from the gateway to the one subgraph they name', async () => {
    const { key, keys } = await gatewayKeys();
    expect(await verifyInternalToken(await signInternalToken(customer, 'orders', key), 'orders', keys)).toEqual(customer);
  });

  it('are refused by every other subgraph, and a token naming several subgraphs by all of them', async () => {
    const { key, keys } = await gatewayKeys();
    const forOrders = await signInternalToken(customer, 'orders', key);
    await expect(verifyInternalToken(forOrders, 'customers', keys)).rejects.toThrow(/aud/);
    const claims = { role: 'service', scope: 'customers:read', client_id: 'x', via: 'oauth' };
    const forBoth = await signedBy(key.privateKey, [internalAudience('orders'), internalAudience('customers')], claims);
    await expect(verifyInternalToken(forBoth, 'orders', keys)).rejects.toThrow(/more than this subgraph/);
    await expect(verifyInternalToken(forBoth, 'customers', keys)).rejects.toThrow(/more than this subgraph/);
  });

  it('are refused when signed by another key or lacking identity claims', async () => {
    const { keys } = await gatewayKeys();
    const other = await generateKeyPair('ES256');
    await expect(
      verifyInternalToken(await signInternalToken(customer, 'orders', { privateKey: other.privateKey, kid: 'g1' }), 'orders', keys),
    ).rejects.toThrow();
    const gateway = await gatewayKeys();
    await expect(verifyInternalToken(await signedBy(gateway.key.privateKey, internalAudience('orders')), 'orders', gateway.keys)).rejects.toThrow(/lacks role/);
  });

  it('are signed once per caller and subgraph and handed out again for half their life', async () => {
    const { key, keys } = await gatewayKeys();
    const signer = new InternalTokenSigner(key);
    const first = await signer.tokenFor(customer, 'orders');
    expect(await signer.tokenFor({ ...customer }, 'orders')).toBe(first);
    const forCustomers = await signer.tokenFor(customer, 'customers');
    expect(forCustomers).not.toBe(first);
    expect(await verifyInternalToken(forCustomers, 'customers', keys)).toEqual(customer);
    const other = await signer.tokenFor({ ...customer, scopes: ['customers:read'] }, 'orders');
    expect(other).not.toBe(first);
    expect(await verifyInternalToken(other, 'orders', keys)).toEqual({ ...customer, scopes: ['customers:read'] });
    jest.useFakeTimers({ now: Date.now() + 31_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      expect(await signer.tokenFor(customer, 'orders')).not.toBe(first);
    } finally {
      jest.useRealTimers();
    }
  });
});
