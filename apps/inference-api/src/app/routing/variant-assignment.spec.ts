import { createHash } from 'node:crypto';

import { ASSIGNMENT_BUCKETS, assignmentBucket, isChallengerBucket } from './variant-assignment';

describe('assignmentBucket', () => {
  it('is the first 32 bits of SHA-256("salt:user") modulo 10,000, so any replica (or language) can recompute it', () => {
    // Written out with Node's hash of a fixed text, independently of the function under test.
    const digest = createHash('sha256').update('exp-1:u-17').digest('hex');
    expect(assignmentBucket('exp-1', 'u-17')).toBe(parseInt(digest.slice(0, 8), 16) % 10_000);
  });

  it('hashes the UTF-8 bytes of non-ASCII salts and user ids, as another language would', () => {
    for (const [salt, user] of [
      ['exp-1', 'ünïcødé'],
      ['expérience', '用户-17'],
      ['exp-1', '👤 17'],
    ]) {
      const digest = createHash('sha256')
        .update(Buffer.from(`${salt}:${user}`, 'utf8'))
        .digest('hex');
      expect(assignmentBucket(salt, user)).toBe(parseInt(digest.slice(0, 8), 16) % 10_000);
    }
  });

  it('gives a user the same bucket on every call and a different split under another salt', () => {
    const users = Array.from({ length: 1000 }, (_, index) => `user-${index}`);
    const first = users.map((user) => assignmentBucket('salt-a', user));
    expect(users.map((user) => assignmentBucket('salt-a', user))).toEqual(first);
    const other = users.map((user) => assignmentBucket('salt-b', user));
    const same = first.filter((bucket, index) => bucket === other[index]).length;
    // Two independent uniform buckets coincide with probability 1/10,000: 1000 users give ~0.1 matches.
    expect(same).toBeLessThan(5);
  });

  it('spreads sequential user ids evenly over the buckets (chi-square over 10 deciles, 100,000 users)', () => {
    const counts = new Array<number>(10).fill(0);
    const users = 100_000;
    for (let user = 0; user < users; user++)
      counts[Math.floor(assignmentBucket('churn_model', String(user)) / (ASSIGNMENT_BUCKETS / 10))]++;
    const expected = users / 10;
    const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // χ²₉ exceeds 27.88 with probability 0.001: a uniform hash fails this one run in a thousand, a
    // patterned split (e.g. `id % 10 000` on sequential ids is perfect, but any bias of ≥ 1 % per decile) fails it always.
    expect(chiSquare).toBeLessThan(27.88);
  });
});

describe('isChallengerBucket', () => {
  it('sends buckets below share × 10,000 to the challenger', () => {
    expect(isChallengerBucket(0, 0)).toBe(false);
    expect(isChallengerBucket(2999, 0.3)).toBe(true);
    expect(isChallengerBucket(3000, 0.3)).toBe(false);
    expect(isChallengerBucket(9999, 1)).toBe(true);
  });

  it('moves only champion users when the share rises: nobody goes from challenger back to champion', () => {
    const users = Array.from({ length: 5000 }, (_, index) => `u-${index}`);
    const buckets = users.map((user) => assignmentBucket('exp', user));
    const shares = [0, 0.05, 0.1, 0.25, 0.5, 0.9, 1];
    for (let step = 1; step < shares.length; step++) {
      const before = buckets.map((bucket) => isChallengerBucket(bucket, shares[step - 1]));
      const after = buckets.map((bucket) => isChallengerBucket(bucket, shares[step]));
      expect(before.filter((challenger, index) => challenger && !after[index])).toEqual([]);
      expect(after.filter(Boolean).length).toBeGreaterThanOrEqual(before.filter(Boolean).length);
    }
  });
});
