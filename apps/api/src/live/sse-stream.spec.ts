import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';

import { describe, expect, it, vi } from 'vitest';

import { MAX_UNREAD_BYTES, SseStream, sseFrame } from './sse-stream.js';

/** The part of a ServerResponse an SseStream uses, with what it was sent. */
class FakeResponse extends EventEmitter {
  destroyed = false;
  writableLength = 0;
  writableEnded = false;
  written: string[] = [];
  headers: Record<string, string> | undefined;
  writeHead = vi.fn((_status: number, headers: Record<string, string>) => {
    this.headers = headers;
  });
  write = vi.fn((chunk: string) => {
    this.written.push(chunk);
    return true;
  });
  end = vi.fn(() => {
    this.writableEnded = true;
    this.emit('close');
  });
  destroy = vi.fn(() => {
    this.emit('close');
  });
}

function stream(): { response: FakeResponse; sse: SseStream; onClose: () => void } {
  const response = new FakeResponse();
  const onClose = vi.fn();
  return { response, sse: new SseStream(response as unknown as ServerResponse, onClose), onClose };
}

describe('SseStream', () => {
  it('frames named events as one JSON data line', () => {
    expect(sseFrame('run', { a: 'x\ny' })).toBe('event: run\ndata: {"a":"x\\ny"}\n\n');
  });

  it('writes nothing before it is opened, then the headers, retry and frames', () => {
    const { response, sse } = stream();
    sse.write('early');
    sse.open();
    sse.write('frame');
    expect(response.headers?.['Content-Type']).toBe('text/event-stream; charset=utf-8');
    expect(response.written).toEqual(['retry: 3000\n\n', 'frame']);
  });

  it('cuts off a client that leaves too much unread, and reports it closed', () => {
    const { response, sse, onClose } = stream();
    sse.open();
    response.writableLength = MAX_UNREAD_BYTES + 1;
    sse.write('one more');
    expect(response.written).not.toContain('one more');
    expect(response.destroy).toHaveBeenCalledTimes(1);
    expect(sse.closed).toBe(true);
    expect(onClose).toHaveBeenCalledTimes(1);
    sse.write('after');
    expect(response.written).not.toContain('after');
  });

  it('is closed from the start when the client left before it was made', () => {
    const response = new FakeResponse();
    response.destroyed = true;
    const onClose = vi.fn();
    const sse = new SseStream(response as unknown as ServerResponse, onClose);
    expect(sse.closed).toBe(true);
    sse.open();
    expect(response.writeHead).not.toHaveBeenCalled();
    expect(response.listenerCount('close')).toBe(0);
  });

  it('knows when the client went away', () => {
    const { response, sse, onClose } = stream();
    sse.open();
    response.emit('close');
    expect(sse.closed).toBe(true);
    expect(onClose).toHaveBeenCalledTimes(1);
    sse.end();
    expect(response.end).not.toHaveBeenCalled();
  });
});
