// A short exclusive lock on a file path, for read-modify-write of files several processes
// share (the vector cache). Unlike refresh-lock.ts's runExclusive, which skips the job when
// another process ran it, every caller here waits its turn and then runs its own job. The lock
// primitives below (O_EXCL create, stale detection, guarded release) serve both.
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";

export interface FileLockOptions {
  /** How often to look whether the holder has finished. Default 20 ms (plus jitter). */
  pollMs?: number;
  /** A lock older than this is abandoned (its holder hung or lives on another host). Default 5 min. */
  staleMs?: number;
}

export class FileLockError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FileLockError";
  }
}

/** True when process `pid` exists (EPERM: it exists but belongs to another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Fresh content for a lock file: our pid on the first line, so others can tell when we died,
 * then a random token that tells our lock from a successor's, so a takeover of an abandoned
 * lock never removes a fresh one.
 */
export function lockContent(): string {
  return `${process.pid}\n${randomBytes(8).toString("hex")}\n`;
}

/** The lock's content when it is abandoned (holder dead or lock too old), else undefined. */
export async function staleContent(file: string, staleMs: number): Promise<string | undefined> {
  try {
    const [info, text] = await Promise.all([stat(file), readFile(file, "utf8")]);
    const pid = Number(text.split("\n")[0]);
    const dead = Number.isInteger(pid) && pid > 0 && !alive(pid);
    return dead || Date.now() - info.mtimeMs > staleMs ? text : undefined;
  } catch {
    // Released between our attempt and the look: free, not stale.
    return undefined;
  }
}

/** Creates `file` exclusively (O_EXCL) holding `content`; false when someone else holds it. */
export async function tryCreateLock(file: string, content: string): Promise<boolean> {
  try {
    const handle = await open(file, "wx");
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new FileLockError(`could not create lock file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Removes `file` only while it still holds `content`: our own lock when we finish, or the
 * abandoned lock we just judged stale (never a lock another process has since created).
 */
export async function releaseLock(file: string, content: string): Promise<void> {
  const current = await readFile(file, "utf8").catch(() => undefined);
  if (current === content) await rm(file, { force: true });
}

/**
 * Runs `job` while holding `lockFile` (created with O_EXCL, removed afterwards). Waits while a
 * live process holds it; a lock left by a dead process, or older than `staleMs`, is taken over.
 */
export async function withFileLock<T>(lockFile: string, job: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const { pollMs = 20, staleMs = 5 * 60_000 } = options;
  const content = lockContent();
  await mkdir(path.dirname(lockFile), { recursive: true });
  while (!(await tryCreateLock(lockFile, content))) {
    const stale = await staleContent(lockFile, staleMs);
    if (stale !== undefined) {
      await releaseLock(lockFile, stale);
      continue;
    }
    await sleep(pollMs + Math.random() * pollMs);
  }
  try {
    return await job();
  } finally {
    await releaseLock(lockFile, content);
  }
}
