// One refresh per catalogue directory at a time. Framework may run several data loaders at
// once and each asks for the active catalogue; without a lock each would refresh from TMDB.
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";

export const LOCK_FILE = ".refresh.lock";

export interface LockOptions {
  /** How often to look whether the holder has finished. Default 250 ms. */
  pollMs?: number;
  /** A lock older than this is abandoned (its holder died) and taken over. Default 30 min. */
  staleMs?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function isStale(file: string, staleMs: number): Promise<boolean> {
  try {
    const [info, text] = await Promise.all([stat(file), readFile(file, "utf8")]);
    const pid = Number(text.trim());
    return Date.now() - info.mtimeMs > staleMs || (Number.isInteger(pid) && pid > 0 && !alive(pid));
  } catch {
    // Gone between our attempt and the check: not stale, just free.
    return false;
  }
}

/**
 * Runs `job` holding `<dir>/.refresh.lock`. When another live process holds the lock, waits
 * until it is released and resolves `{ ran: false }` without running `job`: the caller then
 * reads what the other process wrote.
 */
export async function runExclusive<T>(dir: string, job: () => Promise<T>, options: LockOptions = {}): Promise<{ ran: true; value: T } | { ran: false }> {
  const { pollMs = 250, staleMs = 30 * 60_000 } = options;
  const file = path.join(dir, LOCK_FILE);
  await mkdir(dir, { recursive: true });
  const exists = () => stat(file).then(() => true, () => false);
  for (;;) {
    try {
      const handle = await open(file, "wx");
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    while ((await exists()) && !(await isStale(file, staleMs))) await sleep(pollMs);
    if (!(await exists())) return { ran: false };
    // The holder died without releasing the lock: take it over.
    await rm(file, { force: true });
  }
  try {
    return { ran: true, value: await job() };
  } finally {
    await rm(file, { force: true });
  }
}
