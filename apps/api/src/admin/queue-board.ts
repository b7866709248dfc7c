import type { IncomingMessage, ServerResponse } from 'node:http';

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { QUEUES } from '@brier/contracts';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';

/** Where bull-board is served: its page, its assets and its JSON API (…/api/queues). */
export const QUEUE_BOARD_PATH = '/admin/queues';

/** An Express-style handler (bull-board's router). */
export type RequestHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * bull-board over the API's own runs queue (the Queue instance of QueueModule: its Redis
 * connection and BRIER_QUEUE_PREFIX), read-only: jobs are seen, never retried, promoted or
 * removed from here (the runs API owns them; access control is issue 6, see admin-access.ts).
 */
@Injectable()
export class QueueBoard {
  readonly router: RequestHandler;

  constructor(@InjectQueue(QUEUES.runs) queue: Queue) {
    const serverAdapter = new ExpressAdapter();
    serverAdapter.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: [
        new BullMQAdapter(queue, { readOnlyMode: true, description: 'Brier runs: one job per queued run' }),
      ],
      serverAdapter,
      options: { uiConfig: { boardTitle: 'Brier queues' } },
    });
    this.router = serverAdapter.getRouter() as RequestHandler;
  }
}
