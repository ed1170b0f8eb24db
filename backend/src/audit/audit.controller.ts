import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Ctx } from '../common/auth/decorators.js';
import type { RequestContext } from '../common/auth/principal.js';
import { AuditService } from './audit.service.js';
import { AuditEventPageDto, AuditEventQueryDto } from './dto/audit.dto.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/organizations/:org/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOkResponse({ type: AuditEventPageDto })
  list(
    @Ctx() ctx: RequestContext,
    @Param('org') org: string,
    @Query() q: AuditEventQueryDto,
  ): Promise<AuditEventPageDto> {
    return this.audit.list(ctx, org, q);
  }
}
