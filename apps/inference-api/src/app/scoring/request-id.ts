/**
 * Request ids the server makes up when a client sends none: UUID version 7 (RFC 9562), i.e. the
 * Unix time in milliseconds in the first 48 bits, then random bits.
 *
 * Why not version 4: every id is a key of the prediction log (its primary key starts with it). Random
 * keys land all over the key's B-tree, so each batch of log writes touches hundreds of index pages,
 * several times the cost of keys that arrive in time order, as these do (PERFORMANCE.md). Ids stay
 * unguessable (74 random bits) and unique across replicas.
 */
import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** Random bytes drawn 4 KiB at a time: one system call per 409 ids instead of one each. */
const pool = new Uint8Array(4096);
let poolOffset = pool.length;

/** Fills bytes 6 to 15 of `target` (all after the time) with random bytes. */
function fillRandomTail(target: Uint8Array): void {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  target.set(pool.subarray(poolOffset, poolOffset + 10), 6);
  poolOffset += 10;
}

const bytes = new Uint8Array(16);

/** A UUID version 7 for `now` (milliseconds since the epoch), as 36 lower-case characters. */
export function timeOrderedUuid(now: number = Date.now()): string {
  // 48-bit big-endian milliseconds: the high 16 bits, then the low 32.
  const high = Math.floor(now / 0x1_0000_0000);
  const low = now % 0x1_0000_0000;
  bytes[0] = (high >>> 8) & 0xff;
  bytes[1] = high & 0xff;
  bytes[2] = (low >>> 24) & 0xff;
  bytes[3] = (low >>> 16) & 0xff;
  bytes[4] = (low >>> 8) & 0xff;
  bytes[5] = low & 0xff;
  fillRandomTail(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
  let id = '';
  for (let index = 0; index < 16; index++) {
    if (index === 4 || index === 6 || index === 8 || index === 10) id += '-';
    id += HEX[bytes[index]];
  }
  return id;
}
