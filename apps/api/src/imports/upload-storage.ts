import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, rmdir, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { HttpException } from '@nestjs/common';

import { apiError } from '../http/api-error.js';

/** An uploaded file as multer hands it to the route (after this storage engine stored it). */
export interface UploadedFile {
  fieldname: string;
  originalname: string;
  /** Where it was spooled. */
  path: string;
  size: number;
}

/** Per request: the folder its files go to, and the bytes received so far. */
interface UploadState {
  dir: Promise<string>;
  bytes: number;
  count: number;
}

const STATE = Symbol('brier.upload');

type UploadRequest = { [STATE]?: UploadState };

export interface UploadLimits {
  tmpDir: string;
  maxTotalBytes: number;
}

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
    req: UploadRequest,
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
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        state.bytes += chunk.length;
        if (state.bytes > limit) done(totalTooLarge(limit));
        else done(null, chunk);
      },
    });
    void (async () => {
      const dir = await state.dir;
      const path = join(dir, `${index}-${name}`);
      try {
        await pipeline(file.stream, counter, createWriteStream(path));
      } catch (error) {
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

/** Remove the request's upload folder and everything in it. */
export async function removeUploadFolder(req: object): Promise<void> {
  const dir = uploadFolderOf(req);
  if (dir) await dir.then((path) => rm(path, { recursive: true, force: true })).catch(() => undefined);
}
