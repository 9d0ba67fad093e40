// One refresh per catalogue directory at a time. Framework may run several data loaders at
// once and each asks for the active catalogue; without a lock each would refresh from TMDB.
import { mkdir, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { lockContent, releaseLock, staleContent, tryCreateLock } from "./file-lock.ts";

export const LOCK_FILE = ".refresh.lock";

export interface LockOptions {
  /** How often to look whether the holder has finished. Default 250 ms. */
  pollMs?: number;
  /** A lock older than this is abandoned (its holder died) and taken over. Default 30 min. */
  staleMs?: number;
}

/**
 * Runs `job` holding `<dir>/.refresh.lock`. When another live process holds the lock, waits
 * until it is released and resolves `{ ran: false }` without running `job`: the caller then
 * reads what the other process wrote.
 */
export async function runExclusive<T>(dir: string, job: () => Promise<T>, options: LockOptions = {}): Promise<{ ran: true; value: T } | { ran: false }> {
  const { pollMs = 250, staleMs = 30 * 60_000 } = options;
  const file = path.join(dir, LOCK_FILE);
  const content = lockContent();
  await mkdir(dir, { recursive: true });
  const exists = () => stat(file).then(() => true, () => false);
  while (!(await tryCreateLock(file, content))) {
    let stale: string | undefined;
    while ((await exists()) && (stale = await staleContent(file, staleMs)) === undefined) await sleep(pollMs);
    if (stale === undefined) return { ran: false };
    // The holder died without releasing the lock: take it over.
    await releaseLock(file, stale);
  }
  try {
    return { ran: true, value: await job() };
  } finally {
    await releaseLock(file, content);
  }
}
