import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, rmdir, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { HttpException } from '@nestjs/common';

import { apiError } from '../http/api-error.js';
import type { RolloutPrefetch } from './rollout-prefetch.js';
import type { UploadingImport } from './uploading-import.js';

/** An uploaded file as multer hands it to the route (after this storage engine stored it). */
export interface UploadedFile {
  fieldname: string;
  originalname: string;
  /** Where it was spooled. */
  path: string;
  size: number;
}

/** Per request: the folder its files go to, the bytes received so far, and its prefetch. */
interface UploadState {
  dir: Promise<string>;
  bytes: number;
  count: number;
  prefetch?: RolloutPrefetch;
  begun?: UploadingImport;
}

const STATE = Symbol('brier.upload');

type UploadRequest = { [STATE]?: UploadState };

export interface UploadLimits {
  tmpDir: string;
  maxTotalBytes: number;
  /**
   * Called when a file that may be the import's rollout source starts (generations.jsonl), with the
   * form fields seen so far and where it is spooled: a prefetch to feed its bytes to (and the
   * import begun with it, storing what it parses), or null.
   */
  prefetch?: (
    fields: Record<string, unknown>,
    path: string,
    req: object,
  ) => { prefetch: RolloutPrefetch; begun: UploadingImport | null } | null;
}

/** The file an upload's bytes are parsed ahead for (nothing can supersede it as the rollout source). */
const PREFETCHED_NAME = 'generations.jsonl';

function totalTooLarge(limit: number): HttpException {
  return apiError(413, `the upload is larger than the ${limit} bytes (all files together) an import accepts`);
}

/**
 * A multer storage engine that streams each file of a request into a folder of its own under
 * `tmpDir` (created on the first file), enforcing a cap on all files together (multer's `fileSize`
 * enforces the per-file cap). Files keep their base name (prefixed by their position, so two
 * parts with one name cannot overwrite each other). The route removes the folder when it is done
 * (removeUploadFolder); when multer aborts a request, it removes the stored files through
 * _removeFile, which removes the folder once it is empty.
 */
export class UploadStorage {
  constructor(private readonly limits: UploadLimits) {}

  _handleFile(
    req: UploadRequest & { body?: Record<string, unknown> },
    file: { stream: Readable; originalname: string; fieldname: string },
    callback: (error: Error | null, info?: Partial<UploadedFile>) => void,
  ): void {
    const state = (req[STATE] ??= {
      dir: mkdtemp(join(this.limits.tmpDir, 'brier-import-')),
      bytes: 0,
      count: 0,
    });
    const index = state.count++;
    const name = basename(file.originalname || 'unnamed')
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 200);
    const limit = this.limits.maxTotalBytes;
    let size = 0;
    let prefetch: RolloutPrefetch | null = null;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        state.bytes += chunk.length;
        if (state.bytes > limit) return done(totalTooLarge(limit));
        prefetch?.push(chunk);
        done(null, chunk);
      },
      flush(done) {
        prefetch?.end();
        done();
      },
    });
    void (async () => {
      const dir = await state.dir;
      const path = join(dir, `${index}-${name}`);
      if (file.originalname === PREFETCHED_NAME && state.prefetch === undefined) {
        const ahead = this.limits.prefetch?.({ ...(req.body ?? {}) }, path, req) ?? null;
        if (ahead !== null) {
          prefetch = state.prefetch = ahead.prefetch;
          if (ahead.begun !== null) state.begun = ahead.begun;
        }
      }
      try {
        await pipeline(file.stream, counter, createWriteStream(path));
      } catch (error) {
        prefetch?.cancel();
        await unlink(path).catch(() => undefined);
        // Keep reading the part, so that multer can finish (and drain) the request.
        file.stream.resume();
        throw error;
      }
      return { path, size };
    })().then(
      (info) => callback(null, info),
      (error: unknown) => callback(error as Error),
    );
  }

  _removeFile(req: UploadRequest, file: { path?: string }, callback: (error: Error | null) => void): void {
    const state = req[STATE];
    void (async () => {
      if (file.path) await unlink(file.path).catch(() => undefined);
      // Fails while other files remain: the last removal takes the folder.
      if (state) await state.dir.then((dir) => rmdir(dir)).catch(() => undefined);
    })().then(
      () => callback(null),
      () => callback(null),
    );
  }
}

/** The folder a request's files were spooled to, if any. */
export function uploadFolderOf(req: object): Promise<string> | undefined {
  return (req as UploadRequest)[STATE]?.dir;
}

/** The prefetch of the request's generations.jsonl, if one was started. */
export function prefetchOf(req: object): RolloutPrefetch | undefined {
  return (req as UploadRequest)[STATE]?.prefetch;
}

/** The import begun during the request's upload, if one was. */
export function begunImportOf(req: object): UploadingImport | undefined {
  return (req as UploadRequest)[STATE]?.begun;
}

/**
 * Remove the request's upload folder and everything in it, drop its prefetch, and discard the
 * import begun during the upload unless the import claimed it.
 */
export async function removeUploadFolder(req: object): Promise<void> {
  prefetchOf(req)?.cancel();
  try {
    await begunImportOf(req)?.discard();
  } finally {
    const dir = uploadFolderOf(req);
    if (dir) await dir.then((path) => rm(path, { recursive: true, force: true })).catch(() => undefined);
  }
}
