/**
 * What a load run cost a server, read before and after it: the CPU its process group used and, for a
 * Node server, its request thread's time on a CPU and time waiting for one (Linux's schedstat), each
 * per answered request. The serving suites record these beside throughput, so that a throughput gap
 * can be read as work on the request thread or as waiting for a core.
 */
import { readFileSync } from 'node:fs';

import { groupCpuSeconds } from './processes';

/** Seconds a thread has spent on a CPU and runnable but waiting for one (its run-queue wait). */
interface ThreadSchedule {
  runSeconds: number;
  waitSeconds: number;
}

/** A request thread's milliseconds on a CPU and waiting for one, per answered request. */
export interface ThreadPerAnswer {
  cpuMsPerAnswer: number;
  waitMsPerAnswer: number;
}

/** A load run's cost to a server, per answered request. */
export interface ServerCost {
  /** CPU milliseconds of the server's process group. */
  serverCpuMsPerResponse: number;
  /** Undefined when not asked for, or where the kernel keeps no schedstat. */
  requestThread: ThreadPerAnswer | undefined;
}

/**
 * Starts reading what a load run costs the server `pid` (a process group of its own). With
 * `requestThread`, also reads its main thread, which in a Node server runs the event loop and so
 * every request (not so in the Python servers, whose main process only supervises workers).
 * @returns `finish`, to call as soon as the run ends, with the 200 answers of every phase of it
 *   (warm-up, window, drain: the counters run through all of them).
 */
export function readServerCost(
  pid: number,
  options: { requestThread: boolean },
): { finish(answered: number): ServerCost } {
  const cpuBefore = groupCpuSeconds(pid);
  const threadBefore = options.requestThread ? threadSchedule(pid) : undefined;
  return {
    finish(answered) {
      const perAnswer = (seconds: number) => (seconds * 1000) / Math.max(1, answered);
      const cpuSeconds = groupCpuSeconds(pid) - cpuBefore;
      const threadAfter = threadBefore && threadSchedule(pid);
      // A kernel without schedstat accounting may show zeros that never move: no reading, then.
      const threadRead = threadBefore && threadAfter && threadAfter.runSeconds > threadBefore.runSeconds;
      return {
        serverCpuMsPerResponse: perAnswer(cpuSeconds),
        requestThread: threadRead
          ? {
              cpuMsPerAnswer: perAnswer(threadAfter.runSeconds - threadBefore.runSeconds),
              waitMsPerAnswer: perAnswer(threadAfter.waitSeconds - threadBefore.waitSeconds),
            }
          : undefined,
      };
    },
  };
}

/** A measurement's request-thread CPU per answered request (ms); NaN when it has none. */
export const threadCpuMs = (measured: { requestThread?: ThreadPerAnswer | undefined }): number =>
  measured.requestThread?.cpuMsPerAnswer ?? Number.NaN;

/** A measurement's request-thread run-queue wait per answered request (ms); NaN when it has none. */
export const threadWaitMs = (measured: { requestThread?: ThreadPerAnswer | undefined }): number =>
  measured.requestThread?.waitMsPerAnswer ?? Number.NaN;

/** What the suites' request-thread figures are, or why they are missing, for their notes. */
export function requestThreadNote(read: boolean): string {
  return read
    ? "Request thread (a Node server's main thread, which runs its event loop and every request): its time on a CPU and its run-queue wait (runnable, waiting for a core) are read from /proc/<pid>/task/<pid>/schedstat before and after each load run and, like the server's CPU, divided by the 200 answers of the whole run (warm-up, window, drain). Outside those two, the thread was idle or blocked."
    : 'Request-thread CPU and run-queue wait are left out: this kernel keeps no /proc/<pid>/task/<tid>/schedstat.';
}

/**
 * The scheduler's account of the main thread of process `pid`, from Linux's
 * /proc/<pid>/task/<pid>/schedstat (nanoseconds on a CPU, nanoseconds waiting on a run queue, time
 * slices); undefined where the kernel does not keep it.
 */
function threadSchedule(pid: number): ThreadSchedule | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8');
  } catch {
    return undefined;
  }
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(run) || !Number.isFinite(wait)) return undefined;
  return { runSeconds: run / 1e9, waitSeconds: wait / 1e9 };
}
