import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The token of a digest's one-click unsubscribe link (README "Unsubscribe"): `v1.<owner>.<mac>`, the
 * owner's address (lower-cased) and HMAC-SHA256 of `v1` and that address under the stage's key, both
 * base64url. Only the holder of the key can make one, so a link cannot be forged for someone else's
 * address; the version lets a later format coexist with links already in mailboxes.
 */

const VERSION = 'v1';
/** Addresses are at most 254 characters (RFC 5321); anything longer in a token is not ours. */
const MAX_OWNER_BYTES = 254;
const MAC_BYTES = 32;

/** Owner addresses are compared as the opt-out store keeps them. */
export const normalizeOwner = (owner: string): string => owner.trim().toLowerCase();

function mac(owner: string, key: string): Buffer {
  return createHmac('sha256', key).update(`${VERSION}\n${owner}`, 'utf8').digest();
}

export function signUnsubscribeToken(owner: string, key: string): string {
  if (key.length === 0) throw new Error('the unsubscribe key is empty');
  const normalized = normalizeOwner(owner);
  return `${VERSION}.${Buffer.from(normalized, 'utf8').toString('base64url')}.${mac(normalized, key).toString('base64url')}`;
}

export type TokenCheck = { ok: true; owner: string } | { ok: false; reason: string };

/**
 * Decodes base64url only when `text` is its canonical form: Node's decoder ignores stray characters
 * and the spare bits of the last one, so two different strings could otherwise carry the same bytes.
 */
function canonicalBase64Url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** Checks a token against the key (in constant time); says why when it is not a valid one. */
export function verifyUnsubscribeToken(token: string, key: string): TokenCheck {
  if (key.length === 0) throw new Error('the unsubscribe key is empty');
  const parts = token.split('.');
  if (parts.length !== 3)
    return { ok: false, reason: 'the link is incomplete (it should end in a token of three parts): copy the whole link from the email' };
  const [version, ownerPart, macPart] = parts as [string, string, string];
  if (version !== VERSION) return { ok: false, reason: `the link's token version "${version.slice(0, 8)}" is not one this stage issues` };
  const ownerBytes = canonicalBase64Url(ownerPart);
  const given = canonicalBase64Url(macPart);
  if (!ownerBytes || ownerBytes.length === 0 || ownerBytes.length > MAX_OWNER_BYTES || !given || given.length !== MAC_BYTES) {
    return { ok: false, reason: 'the link is damaged: copy the whole link from the email' };
  }
  const owner = ownerBytes.toString('utf8');
  // A lower-cased address re-encodes to the same bytes; anything else was not signed by us.
  if (normalizeOwner(owner) !== owner || Buffer.from(owner, 'utf8').compare(ownerBytes) !== 0) {
    return { ok: false, reason: 'the link is damaged: copy the whole link from the email' };
  }
  if (!timingSafeEqual(given, mac(owner, key))) {
    return {
      ok: false,
      reason: 'the link was not issued by this Churnwatch stage (or its key has changed): use the link of a recent digest',
    };
  }
  return { ok: true, owner };
}

/** The one-click URL for `owner`: the endpoint with the token as its only query parameter. */
export function unsubscribeUrl(endpoint: string, owner: string, key: string): string {
  const url = new URL(endpoint);
  url.search = '';
  url.searchParams.set('t', signUnsubscribeToken(owner, key));
  return url.toString();
}
