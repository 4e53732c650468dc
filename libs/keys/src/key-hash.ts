import { hash } from 'node:crypto';

/**
 * Gateway keys are high-entropy secrets chosen by admins or generated, so a fast unsalted
 * SHA-256 is the right tool (as for GitHub and Stripe tokens): it makes the stored value
 * useless to a reader of the database and keeps the per-request lookup cheap (the one-shot
 * crypto.hash, not a Hash object, since this runs on every proxied request).
 */
export function hashApiKey(plaintext: string): string {
  return hash('sha256', plaintext, 'hex');
}
