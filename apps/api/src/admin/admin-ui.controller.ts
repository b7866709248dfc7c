import type { IncomingMessage, ServerResponse } from 'node:http';

import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

import { Public } from '../auth/access.decorators.js';
import { AdminUiFiles } from './admin-ui-files.js';

/**
 * The admin panel's pages and assets at /admin (not part of the OpenAPI document). Requests under
 * /admin/queues are answered by bull-board's router first (admin.module.ts); what it does not
 * serve falls through to here. Public: the files hold no data, and the login page is one of them.
 */
@ApiExcludeController()
@Public()
@Controller()
export class AdminUiController {
  constructor(private readonly files: AdminUiFiles) {}

  @Get(['admin', 'admin/{*path}'])
  async page(@Req() request: IncomingMessage, @Res() response: ServerResponse): Promise<void> {
    await this.files.serve(request, response);
  }
}
