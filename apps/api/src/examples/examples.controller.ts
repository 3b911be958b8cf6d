import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { HtmlPage, htmlPage, markup } from '../http/html-page';
import { FRONTEND_CSS, FRONTEND_JS, frontendPage } from './frontend-page';

const SCRIPT_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache', 'cross-origin-resource-policy': 'same-origin' };

/** The example frontend page and its own script and style (not a customer surface: a developer's starting point). */
@ApiTags('examples')
@Controller('examples')
export class ExamplesController {
  @Get('frontend.html')
  @HtmlPage()
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'A minimal frontend: push subscription, passkeys, anti-phishing code, with a pasted bearer token.' })
  page(): string {
    return htmlPage('Example frontend', frontendPage(), {
      scripts: ['webauthn.js'],
      head: markup`<link rel="stylesheet" href="/examples/frontend.css">\n<script src="/examples/frontend.js" defer></script>`,
    });
  }

  @Get('frontend.js')
  @ApiExcludeEndpoint()
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('x-content-type-options', SCRIPT_HEADERS['x-content-type-options'])
  @Header('cache-control', SCRIPT_HEADERS['cache-control'])
  @Header('cross-origin-resource-policy', SCRIPT_HEADERS['cross-origin-resource-policy'])
  script(): string {
    return FRONTEND_JS;
  }

  @Get('frontend.css')
  @ApiExcludeEndpoint()
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('x-content-type-options', SCRIPT_HEADERS['x-content-type-options'])
  @Header('cache-control', SCRIPT_HEADERS['cache-control'])
  @Header('cross-origin-resource-policy', SCRIPT_HEADERS['cross-origin-resource-policy'])
  style(): string {
    return FRONTEND_CSS;
  }
}
