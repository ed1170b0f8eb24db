import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Redirect,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Ctx, UserOrSatellite } from '../common/auth/decorators.js';
import type { RequestContext } from '../common/auth/principal.js';
import { ArtifactsService } from './artifacts.service.js';
import {
  ArtifactCompleteDto,
  ArtifactCreateDto,
  ArtifactCreatedDto,
  ArtifactPageDto,
  ArtifactQueryDto,
  ArtifactResponseDto,
  ArtifactUpdateDto,
  DownloadUrlDto,
  UploadPartsSignDto,
  UploadPartsSignedDto,
  UploadStatusDto,
} from './dto/artifact.dto.js';

const uuid = new ParseUUIDPipe();

/** The artifact transfer protocol of docs/artifact-transfer.md, plus listing and metadata. */
@ApiTags('artifacts')
@ApiBearerAuth()
@Controller('v1/organizations/:org/orbits/:orbit')
export class ArtifactsController {
  constructor(private readonly artifacts: ArtifactsService) {}

  @Post('collections/:collection/artifacts')
  @ApiCreatedResponse({
    type: ArtifactCreatedDto,
    description:
      'The artifact in `pending_upload` and how to upload its bytes. 413 `artifact_too_large` over the orbit limit.',
  })
  create(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('collection', uuid) collection: string,
    @Body() dto: ArtifactCreateDto,
  ): Promise<ArtifactCreatedDto> {
    return this.artifacts.create(ctx, org, orbit, collection, dto);
  }

  @Get('artifacts')
  @UserOrSatellite()
  @ApiOkResponse({ type: ArtifactPageDto })
  list(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Query() q: ArtifactQueryDto,
  ): Promise<ArtifactPageDto> {
    return this.artifacts.list(ctx, org, orbit, q);
  }

  @Get('artifacts/:artifact')
  @UserOrSatellite()
  @ApiOkResponse({ type: ArtifactResponseDto })
  get(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) id: string,
  ): Promise<ArtifactResponseDto> {
    return this.artifacts.get(ctx, org, orbit, id);
  }

  @Patch('artifacts/:artifact')
  @ApiOkResponse({ type: ArtifactResponseDto })
  update(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) id: string,
    @Body() dto: ArtifactUpdateDto,
  ): Promise<ArtifactResponseDto> {
    return this.artifacts.update(ctx, org, orbit, id, dto);
  }

  @Delete('artifacts/:artifact')
  @HttpCode(204)
  @ApiNoContentResponse({
    description:
      'Deleted with its stored bytes. 409 `artifact_in_use` while something depends on it.',
  })
  delete(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) id: string,
  ): Promise<void> {
    return this.artifacts.delete(ctx, org, orbit, id);
  }

  @Post('artifacts/:artifact/upload/parts')
  @HttpCode(200)
  @ApiOkResponse({
    type: UploadPartsSignedDto,
    description: 'Signed PUT URLs for the parts; the ETag header of each PUT is the part etag.',
  })
  signParts(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) id: string,
    @Body() dto: UploadPartsSignDto,
  ): Promise<UploadPartsSignedDto> {
    return this.artifacts.signParts(ctx, org, orbit, id, dto);
  }

  @Get('artifacts/:artifact/upload')
  @ApiOkResponse({
    type: UploadStatusDto,
    description: 'What the storage already holds, to resume an upload.',
  })
  uploadStatus(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) id: string,
  ): Promise<UploadStatusDto> {
    return this.artifacts.uploadStatus(ctx, org, orbit, id);
  }

  @Post('artifacts/:artifact/complete')
  @HttpCode(200)
  @ApiOkResponse({
    type: ArtifactResponseDto,
    description:
      'Verified and `uploaded`. 422 `upload_verification_failed` (now `upload_failed`) when size or sha256 differ.',
  })
  complete(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) id: string,
    @Body() dto: ArtifactCompleteDto,
  ): Promise<ArtifactResponseDto> {
    return this.artifacts.complete(ctx, org, orbit, id, dto);
  }

  @Post('artifacts/:artifact/abort')
  @HttpCode(200)
  @ApiOkResponse({
    type: ArtifactResponseDto,
    description: 'Now `upload_failed`; the multipart upload is aborted.',
  })
  abort(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) id: string,
  ): Promise<ArtifactResponseDto> {
    return this.artifacts.abort(ctx, org, orbit, id);
  }

  @Get('artifacts/:artifact/download-url')
  @UserOrSatellite()
  @ApiOkResponse({ type: DownloadUrlDto })
  downloadUrl(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) id: string,
  ): Promise<DownloadUrlDto> {
    return this.artifacts.downloadUrl(ctx, org, orbit, id);
  }

  @Get('artifacts/:artifact/download')
  @UserOrSatellite()
  @Redirect()
  @ApiResponse({
    status: 302,
    description: 'Redirects to the presigned download URL (HTTP Range supported there).',
  })
  async download(
    @Ctx() ctx: RequestContext,
    @Param('org', uuid) org: string,
    @Param('orbit', uuid) orbit: string,
    @Param('artifact', uuid) id: string,
  ): Promise<{ url: string; statusCode: number }> {
    const d = await this.artifacts.downloadUrl(ctx, org, orbit, id);
    return { url: d.url, statusCode: 302 };
  }
}
