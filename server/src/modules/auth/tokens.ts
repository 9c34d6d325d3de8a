import { createHash, randomBytes } from 'node:crypto';

/** Returns a new opaque bearer token: 32 random bytes, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Returns the hex SHA-256 under which a token or login code is stored. */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
