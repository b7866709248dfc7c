import type { ServerResponse } from 'node:http';

import { openEventStream } from '../http/event-stream.js';

/**
 * Bytes a client may leave unread before it is cut off: frames are written without waiting for
 * the client, so that one slow reader never holds up the others, and this bounds what it costs.
 * An EventSource reconnects by itself and starts again from a fresh snapshot.
 */
export const MAX_UNREAD_BYTES = 1 << 20;

/** One Server-Sent Event: a named event with JSON data (JSON.stringify never emits a raw newline). */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export const SSE_KEEPALIVE_FRAME = ': keepalive\n\n';

/** The writing end of one client's text/event-stream. */
export class SseStream {
  private ended = false;
  private opened = false;

  constructor(
    private readonly response: ServerResponse,
    onClose: () => void,
  ) {
    if (response.destroyed) {
      this.ended = true; // the client left before it was registered: there will be no 'close'
      return;
    }
    response.once('close', () => {
      this.ended = true;
      onClose();
    });
  }

  /** The client went away, or the stream was ended. */
  get closed(): boolean {
    return this.ended;
  }

  /** Bytes written but not yet taken by the client. */
  get unreadBytes(): number {
    return this.response.writableLength;
  }

  /** Send the headers: from here on the answer is a 200 stream. */
  open(): void {
    if (this.ended || this.opened) return;
    this.opened = true;
    openEventStream(this.response);
  }

  /** Write without waiting; a client with more than MAX_UNREAD_BYTES unread is cut off instead. */
  write(frame: string): void {
    if (this.ended || !this.opened) return;
    if (this.response.writableLength > MAX_UNREAD_BYTES) {
      this.ended = true;
      this.response.destroy(); // frees what it left unread now; 'close' follows
      return;
    }
    this.response.write(frame);
  }

  /** End the stream (API shutdown, the run was deleted). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.response.writableEnded) this.response.end();
  }
}
