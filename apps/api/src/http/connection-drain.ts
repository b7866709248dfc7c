import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import { Injectable, type BeforeApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

import { ApiConfig } from '../config/api.config.js';

/**
 * Lets the HTTP server close on shutdown. server.close() waits for every open connection to end,
 * and closes only those idle at that moment; agents post on their keep-alive connections several
 * times a second, so theirs never went idle and the API never finished closing. From the start of
 * shutdown every answer therefore closes its connection (the client reconnects, to this API until it
 * stops listening, then to its successor), and after SHUTDOWN_GRACE_MS whatever is left is cut.
 */
@Injectable()
export class ConnectionDrain implements OnModuleDestroy, BeforeApplicationShutdown {
  private draining = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: ApiConfig,
  ) {}

  /** Express middleware: once shutdown began, the answer ends its connection. */
  readonly middleware = (_request: IncomingMessage, response: ServerResponse, next: () => void): void => {
    if (this.draining) response.setHeader('Connection', 'close');
    next();
  };

  /** The first shutdown phase: providers close now, so requests should stop reusing connections. */
  onModuleDestroy(): void {
    this.draining = true;
  }

  /** Just before Nest closes the server: bound the wait for requests still in flight. */
  beforeApplicationShutdown(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), this.config.SHUTDOWN_GRACE_MS);
    cut.unref();
    server.once('close', () => clearTimeout(cut));
  }
}
