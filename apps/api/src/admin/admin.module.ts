import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';

import { ADMIN_ACCESS, AdminAccessMiddleware, OPEN_ADMIN_ACCESS } from './admin-access.js';
import { AdminUiController } from './admin-ui.controller.js';
import { AdminUiFiles } from './admin-ui-files.js';
import { QUEUE_BOARD_PATH, QueueBoard } from './queue-board.js';

/**
 * The admin panel: the built UI (apps/admin-ui/dist) at /admin and bull-board at /admin/queues,
 * both behind the ADMIN_ACCESS policy (admin-access.ts: open for now, access control is issue 6).
 * The panel itself reads the public /v1 API and its live streams.
 */
@Module({
  controllers: [AdminUiController],
  providers: [
    { provide: ADMIN_ACCESS, useValue: OPEN_ADMIN_ACCESS },
    { provide: AdminUiFiles, useFactory: () => new AdminUiFiles() },
    AdminAccessMiddleware,
    QueueBoard,
  ],
})
export class AdminModule implements NestModule {
  constructor(private readonly board: QueueBoard) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AdminAccessMiddleware).forRoutes(AdminUiController);
    consumer.apply(AdminAccessMiddleware, this.board.router).forRoutes(QUEUE_BOARD_PATH);
  }
}
