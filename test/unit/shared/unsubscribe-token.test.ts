import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signUnsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken } from '../../../lambdas/shared/unsubscribe-token';
import { unsubscribeHeaders } from '../../../lambdas/digest/send-digests';
import { propertyRuns } from '../../support/property-runs';

const KEY = 'k'.repeat(32) + '-stage-key-for-tests';
const OTHER_KEY = 'o'.repeat(32) + '-another-stage';
/** Addresses as billing exports carry them, non-ASCII and mixed case included. */
const address = fc
  .tuple(fc.string({ minLength: 1, maxLength: 40, unit: fc.constantFrom(...'abcXYZ09._+-é名'.split('')) }), fc.domain())
  .map(([local, domain]) => `${local}@${domain}`);

describe('unsubscribe tokens', () => {
  it('verify for the address they were signed for (lower-cased), under the same key only', () => {
    const token = signUnsubscribeToken('Ana.Lopez@ACME.io', KEY);
    expect(verifyUnsubscribeToken(token, KEY)).toEqual({ ok: true, owner: 'ana.lopez@acme.io' });
    expect(verifyUnsubscribeToken(token, OTHER_KEY)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not issued by this Churnwatch stage/),
    });
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  it('say what is wrong with a token that is cut, of another version, or not base64url', () => {
    const token = signUnsubscribeToken('ana@acme.io', KEY);
    expect(verifyUnsubscribeToken(token.split('.').slice(0, 2).join('.'), KEY)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/incomplete/),
    });
    expect(verifyUnsubscribeToken(token.replace(/^v1/, 'v2'), KEY)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/version "v2"/),
    });
    expect(verifyUnsubscribeToken(token.replace(/\.[^.]+$/, '.!!!'), KEY)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/damaged/),
    });
    // Another address under the original MAC: the forgery the MAC exists to stop.
    const [v, , m] = token.split('.');
    const forged = `${v}.${Buffer.from('eve@acme.io').toString('base64url')}.${m}`;
    expect(verifyUnsubscribeToken(forged, KEY)).toMatchObject({ ok: false, reason: expect.stringMatching(/not issued/) });
  });

  it('property: any change to a token makes it fail (no two strings carry the same token)', () => {
    fc.assert(
      fc.property(
        address,
        fc.nat(),
        fc.constantFrom(...'ABCabc019-_.='.split('')),
        fc.constantFrom('replace', 'insert', 'delete'),
        (owner, at, ch, op) => {
          const token = signUnsubscribeToken(owner, KEY);
          const i = at % token.length;
          const tampered =
            op === 'replace'
              ? token.slice(0, i) + ch + token.slice(i + 1)
              : op === 'insert'
                ? token.slice(0, i) + ch + token.slice(i)
                : token.slice(0, i) + token.slice(i + 1);
          fc.pre(tampered !== token);
          expect(verifyUnsubscribeToken(tampered, KEY).ok).toBe(false);
        },
      ),
      { numRuns: propertyRuns(2000) },
    );
  });

  it('property: a token verifies as its own address and as no other', () => {
    fc.assert(
      fc.property(address, address, (owner, other) => {
        const check = verifyUnsubscribeToken(signUnsubscribeToken(owner, KEY), KEY);
        expect(check).toEqual({ ok: true, owner: owner.toLowerCase() });
        fc.pre(other.toLowerCase() !== owner.toLowerCase());
        expect(signUnsubscribeToken(other, KEY)).not.toBe(signUnsubscribeToken(owner, KEY));
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('build the one-click URL with the token as its only parameter, and the RFC 8058 headers', () => {
    const url = unsubscribeUrl('https://abc.execute-api.eu-west-1.amazonaws.com/v1/unsubscribe?x=1', 'ana@acme.io', KEY);
    const parsed = new URL(url);
    expect(parsed.origin + parsed.pathname).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/v1/unsubscribe');
    expect([...parsed.searchParams.keys()]).toEqual(['t']);
    expect(verifyUnsubscribeToken(parsed.searchParams.get('t')!, KEY)).toEqual({ ok: true, owner: 'ana@acme.io' });
    expect(unsubscribeHeaders(url)).toEqual([
      { Name: 'List-Unsubscribe', Value: `<${url}>` },
      { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
    ]);
    expect(() => unsubscribeHeaders('http://example.com/unsubscribe')).toThrow(/must be https/);
  });
});
