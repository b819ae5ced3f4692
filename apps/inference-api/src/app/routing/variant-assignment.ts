import { hash } from 'node:crypto';

/** Users are split into this many buckets; a share is applied in steps of 1/10,000 (0.01 %). */
export const ASSIGNMENT_BUCKETS = 10_000;

/**
 * The bucket (0 … 9,999) of a user: the first 32 bits of SHA-256(`salt:userId`) modulo 10,000.
 *
 * A cryptographic hash rather than `userId % 2` (the seed's split) because user ids are often
 * sequential or structured, and any pattern in them must not leak into the split; the salt lets an
 * experiment reshuffle everyone (a new salt) without touching the share. The same inputs give the
 * same bucket in every replica and after every restart: nothing is stored.
 * 2³² mod 10,000 = 7,296, so the lowest 7,296 buckets are hit with probability (429,497 / 2³²) and the
 * others (429,496 / 2³²): a relative bias of 2.3 × 10⁻⁶, far below any sample-ratio test's power.
 *
 * @example assignmentBucket('churn_model', 'u-17') // the same number in every process
 */
export function assignmentBucket(salt: string, userId: string): number {
  // crypto.hash, not a Hash object per call: every request with a user id pays for it.
  const digest = hash('sha256', `${salt}:${userId}`, 'hex');
  return Number.parseInt(digest.slice(0, 8), 16) % ASSIGNMENT_BUCKETS;
}

/**
 * Buckets below `share × 10,000` (rounded) get the challenger. Because the cut only moves upwards
 * when the share rises, raising it moves users from the champion to the challenger and never the
 * other way: a user who saw the challenger keeps it.
 *
 * @param share the challenger's share of users, 0 … 1
 */
export function isChallengerBucket(bucket: number, share: number): boolean {
  return bucket < Math.round(share * ASSIGNMENT_BUCKETS);
}
