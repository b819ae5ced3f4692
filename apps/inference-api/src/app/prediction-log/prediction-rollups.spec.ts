import { MAX_SEEN_USERS, MINUTE_MS, MinuteUsersSeen, type MinuteUser } from './prediction-rollups';

// What a writer remembers of the users rollup, so that a user seen again in a minute costs no
// statement. Forgetting too little would leave a user out of the A/B report's counts (the store's
// contract spec shows a trim); these cases pin what is kept and what is forgotten.

const M0 = 1_700_000_040_000;

function user(id: string, minute = M0): MinuteUser {
  const row = ['churn', 0.5, 'champion', minute, id];
  return { key: row.join('\u0000'), minute, row };
}

const keys = (users: readonly MinuteUser[]) => users.map((u) => u.row[4]);

describe('MinuteUsersSeen', () => {
  it('skips users a committed write put in the rollup, and returns the rest in the order of their keys as text', () => {
    const seen = new MinuteUsersSeen();
    expect(keys(seen.unseen([user('b'), user('a')], 0))).toEqual(['a', 'b']);
    seen.commit({ users: [user('a'), user('b')], trims: 0 });
    expect(keys(seen.unseen([user('c'), user('a'), user('b', M0 + MINUTE_MS)], 0))).toEqual(['c', 'b']);
  });

  it('remembers nothing from a write that was not committed', () => {
    const seen = new MinuteUsersSeen();
    seen.unseen([user('a')], 0);
    expect(keys(seen.unseen([user('a')], 0))).toEqual(['a']);
  });

  it('forgets everything when the trim count moves, or cannot be read', () => {
    const seen = new MinuteUsersSeen();
    seen.unseen([user('a')], 3);
    seen.commit({ users: [user('a')], trims: 3 });
    expect(keys(seen.unseen([user('a')], 4))).toEqual(['a']);
    seen.commit({ users: [user('a')], trims: 4 });
    expect(keys(seen.unseen([user('a')], 4))).toEqual([]);
    expect(keys(seen.unseen([user('a')], Number.NaN))).toEqual(['a']);
    seen.commit({ users: [user('a')], trims: Number.NaN });
    expect(keys(seen.unseen([user('a')], Number.NaN))).toEqual(['a']);
  });

  it('remembers nothing from a transaction that read another trim count than the last one read', () => {
    const seen = new MinuteUsersSeen();
    seen.unseen([user('a')], 1);
    // A second transaction found the count moved before the first one's commit came back.
    seen.unseen([user('b')], 2);
    seen.commit({ users: [user('a')], trims: 1 });
    seen.commit({ users: [user('b')], trims: 2 });
    expect(keys(seen.unseen([user('a'), user('b')], 2))).toEqual(['a']);
  });

  it('forgets everything when told a write failed', () => {
    const seen = new MinuteUsersSeen();
    seen.unseen([user('a')], 0);
    seen.commit({ users: [user('a')], trims: 0 });
    seen.forget();
    expect(keys(seen.unseen([user('a')], 0))).toEqual(['a']);
  });

  it('keeps the newest two minutes only, and never an older minute written late', () => {
    const seen = new MinuteUsersSeen();
    seen.unseen([], 0);
    seen.commit({ users: [user('a', M0), user('b', M0 + MINUTE_MS)], trims: 0 });
    expect(keys(seen.unseen([user('a', M0), user('b', M0 + MINUTE_MS)], 0))).toEqual([]);
    seen.commit({ users: [user('c', M0 + 2 * MINUTE_MS), user('z', M0 - MINUTE_MS)], trims: 0 });
    expect(keys(seen.unseen([user('a', M0), user('z', M0 - MINUTE_MS)], 0))).toEqual(['z', 'a']);
    expect(keys(seen.unseen([user('b', M0 + MINUTE_MS), user('c', M0 + 2 * MINUTE_MS)], 0))).toEqual([]);
  });

  it(`stops remembering at ${MAX_SEEN_USERS} users, and makes room when a minute is forgotten`, () => {
    const seen = new MinuteUsersSeen();
    seen.unseen([], 0);
    const many = Array.from({ length: MAX_SEEN_USERS + 5 }, (_, i) => user(`u${i}`));
    seen.commit({ users: many, trims: 0 });
    expect(seen.unseen(many, 0)).toHaveLength(5);
    // Two minutes on, M0's users are forgotten and x fits.
    seen.commit({ users: [user('x', M0 + 2 * MINUTE_MS)], trims: 0 });
    expect(keys(seen.unseen([user('x', M0 + 2 * MINUTE_MS), user('u0')], 0))).toEqual(['u0']);
  });
});
