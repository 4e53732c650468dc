import { createHash } from 'node:crypto';

/**
 * Gateway keys are high-entropy secrets chosen by admins or generated, so a fast unsalted
 * SHA-256 is the right tool (as for GitHub and Stripe tokens): it makes the stored value
 * useless to a reader of the database and keeps the per-request lookup cheap.
 */
export function hashApiKey(plaintext: string): string {
  return createHash('sha256').update(plaintext, 'utf8').digest('hex');
}
