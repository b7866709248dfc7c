import { ApiTokenRepository } from '@brier/database';
import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';

import { uuidParam } from '../agents/uuid-param.pipe.js';
import { apiError, invalidRequest } from '../http/api-error.js';
import { ApiErrorDto } from '../http/api-error.dto.js';
import { CurrentPrincipal, Roles } from './access.decorators.js';
import { CreatedTokenDto, CreateTokenDto, TokenDto, toTokenDto } from './dto/token.dto.js';
import type { Principal } from './principal.js';
import { PrincipalResolver } from './principal-resolver.js';

/** Token management for admins (the first admin token comes from `brier tokens create`). */
@ApiTags('tokens')
@Roles('admin')
@Controller({ path: 'tokens', version: '1' })
export class TokensController {
  constructor(
    private readonly tokens: ApiTokenRepository,
    private readonly principals: PrincipalResolver,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every token (never the secret), newest first' })
  @ApiOkResponse({ type: [TokenDto] })
  async list(): Promise<TokenDto[]> {
    return (await this.tokens.list()).map(toTokenDto);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a token: the answer is the only time it is shown' })
  @ApiCreatedResponse({ type: CreatedTokenDto })
  async create(@Body() dto: CreateTokenDto, @CurrentPrincipal() caller: Principal): Promise<CreatedTokenDto> {
    if (dto.agentName !== undefined && dto.role !== 'agent')
      throw invalidRequest([{ path: 'agentName', message: 'agentName is for agent tokens only' }]);
    const { token, record } = await this.tokens.create({
      name: dto.name,
      role: dto.role,
      agentName: dto.agentName ?? null,
      createdBy: caller.name,
    });
    return { ...toTokenDto(record), token };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a token (at once on this replica, within AUTH_CACHE_TTL_MS on others)' })
  @ApiOkResponse({ type: TokenDto })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  async revoke(@Param('id', uuidParam('id')) id: string): Promise<TokenDto> {
    const record = await this.tokens.revoke(id);
    if (!record) throw apiError(404, `no token has id ${id}`);
    this.principals.forget(id);
    return toTokenDto(record);
  }
}
