/**
 * An output sink that writes a job output to a file, at the positions the muxer asks for. A failed
 * output is removed rather than left half-written.
 */
import type { FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { OutputSink } from './bridge';

/**
 * Opens `path` for writing (truncating it) and returns a sink; a symbolic link there is refused,
 * not written through. `onWrite` sees the size so far.
 */
export async function fileSink(path: string, onWrite?: (bytes: number) => void): Promise<OutputSink> {
  const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = constants;
  const handle: FileHandle = await open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o644);
  let size = 0;
  let closed = false;
  return {
    async write(data, position) {
      let offset = 0;
      while (offset < data.byteLength) {
        const { bytesWritten } = await handle.write(data, offset, data.byteLength - offset, position + offset);
        offset += bytesWritten;
      }
      size = Math.max(size, position + data.byteLength);
      onWrite?.(size);
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
    async abort() {
      if (!closed) {
        closed = true;
        await handle.close();
      }
      await rm(path, { force: true });
    },
  };
}
