import type { ServerResponse } from 'node:http';

import { SESSION_COOKIE } from '@brier/contracts';
import { Body, Controller, Delete, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiConfig } from '../config/api.config.js';
import { apiError } from '../http/api-error.js';
import { ANY_ROLE, CurrentPrincipal, Public, Roles } from './access.decorators.js';
import { LoginDto, SessionDto } from './dto/token.dto.js';
import type { Principal } from './principal.js';
import { PrincipalResolver } from './principal-resolver.js';

/**
 * The admin panel's login: a browser cannot put a header on an EventSource, so the token goes
 * into an HttpOnly, SameSite=Strict cookie that the access guard accepts like the header. Closed
 * CORS plus SameSite=Strict keep other sites from using it.
 */
@ApiTags('session')
@Controller({ path: 'session', version: '1' })
export class SessionController {
  constructor(
    private readonly principals: PrincipalResolver,
    private readonly config: ApiConfig,
  ) {}

  @Post()
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with a token: sets the session cookie (admin, researcher, viewer)' })
  @ApiOkResponse({ type: SessionDto })
  async login(
    @Body() dto: LoginDto,
    @Res({ passthrough: true }) response: ServerResponse,
  ): Promise<SessionDto> {
    const principal = await this.principals.resolve(dto.token);
    if (principal === null) throw apiError(401, 'the API token is unknown or revoked');
    if (principal.role === 'agent') throw apiError(403, 'agent tokens cannot open the admin panel');
    response.setHeader('Set-Cookie', this.cookie(dto.token, this.config.SESSION_MAX_AGE_S));
    return { name: principal.name, role: principal.role };
  }

  @Get()
  @Roles(...ANY_ROLE)
  @ApiOperation({ summary: "Who this token or session is (the panel's name and role)" })
  @ApiOkResponse({ type: SessionDto })
  whoAmI(@CurrentPrincipal() principal: Principal): SessionDto {
    return { name: principal.name, role: principal.role };
  }

  @Delete()
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Log out: clears the session cookie (the token itself stays valid)' })
  @ApiNoContentResponse()
  logout(@Res({ passthrough: true }) response: ServerResponse): void {
    response.setHeader('Set-Cookie', this.cookie('', 0));
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    const secure = this.config.SESSION_COOKIE_SECURE === 'true' ? '; Secure' : '';
    return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
  }
}
