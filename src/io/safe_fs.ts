/**
 * File primitives every reader and writer of the package goes through:
 * bounded reads of regular files only, atomic writes (temporary file in the
 * target folder, then rename), directory creation that cannot spin, and
 * I/O errors that name the path.
 */

import {randomBytes} from 'node:crypto';
import {constants} from 'node:fs';
import type {Stats} from 'node:fs';
import {mkdir, open, rename, stat, unlink} from 'node:fs/promises';
import type {FileHandle} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';

import {ValueError} from '../errors.js';

/** The errno code of a Node.js system error, if it is one. */
export function errnoCode(e: unknown): string|undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/** "cannot <verb> '<path>': <reason>", keeping the cause for callers that want the errno. */
export function ioError(verb: string, path: string, e: unknown): Error {
  const reason = e instanceof Error ? e.message : String(e);
  return new Error(`cannot ${verb} '${path}': ${reason}`, {cause: e});
}

/** What a non-regular file is, for messages ("a FIFO (named pipe)"). */
function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** How a size cap is described and raised, for the "too large" message. */
export interface ReadLimit {
  /** Largest number of bytes read. */
  maxBytes: number;
  /** How a user raises it, e.g. "raise it with --max-bytes". */
  raise: string;
}

/**
 * Fails unless `info` describes a regular file of at most `limit.maxBytes`:
 * a FIFO or a device would block or never end, a directory cannot be read.
 */
export function checkRegularFile(path: string, info: Stats, limit: ReadLimit): void {
  if (!info.isFile()) {
    throw new ValueError(`cannot read '${path}': it is ${kindOf(info)}; only regular files are read.`);
  }
  if (info.size > limit.maxBytes) {
    throw new ValueError(`cannot read '${path}': it holds ${info.size} bytes, more than the limit of ` +
        `${limit.maxBytes} bytes (${limit.raise}).`);
  }
}

/** stat() with a missing file reported as a ValueError naming it. */
export async function statInput(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') {
      throw new ValueError(`cannot read '${path}': no such file.`);
    }
    throw ioError('read', path, e);
  }
}

/**
 * Reads a whole regular file of at most `limit.maxBytes`, into an
 * ArrayBuffer of its own (not a view of Node's shared pool).
 *
 * Checked before anything is read: the path is stat()ed and refused unless
 * regular and small enough, so a FIFO is never opened (opening one blocks)
 * and /dev/zero is never read. The file is then opened non-blocking and the
 * open descriptor checked again (fstat), so a file swapped in meanwhile is
 * caught, and at most the checked size is read.
 *
 * @param noFollow Refuse a symlink as the last path component (for paths
 *     already resolved with realpath, so none can be swapped in).
 */
export async function readRegularFile(path: string, limit: ReadLimit, noFollow = false): Promise<Uint8Array> {
  checkRegularFile(path, await statInput(path), limit);
  let file: FileHandle;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') {
      throw new ValueError(`cannot read '${path}': no such file.`);
    }
    throw ioError('read', path, e);
  }
  try {
    const info = await file.stat();
    checkRegularFile(path, info, limit);
    const bytes = new Uint8Array(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const {bytesRead} = await file.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) {
        throw new ValueError(`cannot read '${path}': it shrank from ${info.size} to ${filled} bytes while ` +
            'being read.');
      }
      filled += bytesRead;
    }
    return bytes;
  } catch (e) {
    throw e instanceof ValueError ? e : ioError('read', path, e);
  } finally {
    await file.close();
  }
}

/**
 * Creates `dir` and its missing parents, one level at a time. Not
 * mkdir({recursive: true}): where mkdir of a child fails with ENOENT although
 * its parent exists (under /proc, or below a dangling symlink), Node's
 * version creates the parent again (EEXIST), retries the child, and loops
 * forever at full CPU.
 *
 * @param forPath The file being written, named in the errors.
 */
export async function makeDirectories(dir: string, forPath: string): Promise<void> {
  const missing: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    let info: Stats|null;
    try {
      info = await stat(current);
    } catch (e) {
      // ENOTDIR: a parent is a file, which the walk up names.
      if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') {
        throw ioError('write', forPath, new Error(`cannot access '${current}': ${(e as Error).message}`));
      }
      info = null;
    }
    if (info != null) {
      if (!info.isDirectory()) {
        throw ioError('write', forPath, new Error(`'${current}' is not a directory`));
      }
      break;
    }
    if (dirname(current) === current) {
      break;
    }
    missing.push(current);
  }
  for (const level of missing.reverse()) {
    try {
      await mkdir(level);
    } catch (e) {
      // EEXIST: made meanwhile by someone else; the write reports it if it is not a directory.
      if (errnoCode(e) !== 'EEXIST') {
        throw ioError('write', forPath, new Error(`cannot create the directory '${level}': ${(e as Error).message}`));
      }
    }
  }
}

/** Longest part of the target's name kept in a temporary name (NAME_MAX is 255 bytes). */
const TEMP_NAME_CHARS = 100;

/**
 * A fresh name beside `path` for its temporary copy:
 * `.<name>.<pid>.<random>.tmp`, hidden, and unique across processes.
 */
export function temporaryPathFor(path: string): string {
  const name = basename(path).slice(0, TEMP_NAME_CHARS);
  return join(dirname(path), `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `data` to `path` atomically: into a new temporary file in the same
 * folder (so the rename stays on one file system), flushed to disk, then
 * renamed over `path`. Readers see the old file or the new one, never a
 * part; on any failure the temporary file is removed and `path` is as it
 * was. A symlink at `path` is replaced, not written through. The folder
 * must exist.
 *
 * @throws Error "cannot write '<path>': <reason>".
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = temporaryPathFor(path);
  let file: FileHandle|null = null;
  try {
    // 'wx': O_EXCL, never an existing file (nor one an attacker linked there).
    file = await open(temporary, 'wx', 0o666);
  } catch (e) {
    throw ioError('write', path, e);
  }
  try {
    await file.writeFile(data);
    await file.sync();
    await file.close();
    file = null;
    await rename(temporary, path);
  } catch (e) {
    await file?.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw ioError('write', path, e);
  }
}
