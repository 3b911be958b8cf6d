import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { PAGE_ASSETS, PageAssetName } from './page-assets';
import { Problem } from './problem';

/** A year: an asset asked for by its current version never changes under that URL. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The pages' style sheet and script (/assets/page.css, /assets/page.js). Asked for with the current
 * version (`?v=`, as the pages do), an asset is cached for good; otherwise it is revalidated by its ETag.
 */
@ApiExcludeController()
@Controller('assets')
export class AssetsController {
  @Get(':name')
  serve(
    @Param('name') name: string,
    @Query('v') version: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): string {
    if (!Object.hasOwn(PAGE_ASSETS, name)) throw new Problem('not_found');
    const asset = PAGE_ASSETS[name as PageAssetName];
    const etag = `"${asset.version}"`;
    reply
      .header('content-type', asset.contentType)
      .header('cache-control', version === asset.version ? IMMUTABLE : 'no-cache')
      .header('etag', etag)
      .header('x-content-type-options', 'nosniff')
      .header('cross-origin-resource-policy', 'same-origin');
    if (ifNoneMatch?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      reply.status(304);
      return '';
    }
    return asset.body;
  }
}
