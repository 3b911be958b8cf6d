import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SERVICE_WORKER } from './service-worker';

/** The web-push service worker that shows a confirmation push and opens its page. */
@ApiTags('customer: out-of-band confirmation')
@Controller('push')
export class ServiceWorkerController {
  @Get('sw.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('service-worker-allowed', '/')
  serviceWorker(): string {
    return SERVICE_WORKER;
  }
}
