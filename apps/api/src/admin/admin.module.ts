import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';

import { TokenAdminAccess } from '../auth/admin-access.policy.js';
import { ADMIN_ACCESS, AdminAccessMiddleware } from './admin-access.js';
import { AdminUiController } from './admin-ui.controller.js';
import { AdminUiFiles } from './admin-ui-files.js';
import { QUEUE_BOARD_PATH, QueueBoard } from './queue-board.js';

/**
 * The admin panel: the built UI (apps/admin-ui/dist) at /admin and bull-board at /admin/queues.
 * The panel's files are public (they hold no data, and the login page is one of them); the panel
 * reads the /v1 API and its live streams with its session cookie, under the API's access guard.
 * bull-board is behind the ADMIN_ACCESS policy: the same tokens and roles (auth/admin-access.policy.ts).
 */
@Module({
  controllers: [AdminUiController],
  providers: [
    TokenAdminAccess,
    { provide: ADMIN_ACCESS, useExisting: TokenAdminAccess },
    { provide: AdminUiFiles, useFactory: () => new AdminUiFiles() },
    AdminAccessMiddleware,
    QueueBoard,
  ],
})
export class AdminModule implements NestModule {
  constructor(private readonly board: QueueBoard) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AdminAccessMiddleware, this.board.router).forRoutes(QUEUE_BOARD_PATH);
  }
}
