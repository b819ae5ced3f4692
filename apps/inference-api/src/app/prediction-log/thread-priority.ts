import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

const MAX_NICENESS = 19;

/**
 * Lowers the calling thread's scheduling priority to `offset` nicer than its process (capped at
 * 19; relative, so a process started with `nice` keeps the order). Linux: a thread id given to
 * setpriority affects that thread alone. The log's threads do work that may wait (rows are queued,
 * reports are bounded in time) while an answer may not: at equal priority they took CPU from the
 * request thread whenever every core was busy, which on two cores under load was most of the time.
 * Elsewhere, or when not permitted, the thread keeps the process's priority.
 */
export function yieldCpuToRequests(offset: number): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    const processNiceness = getPriority(process.pid);
    if (Number.isSafeInteger(threadId) && threadId > 0)
      setPriority(threadId, Math.min(MAX_NICENESS, processNiceness + offset));
  } catch {
    // Not Linux, or not allowed to change priorities: nothing to do.
  }
}
