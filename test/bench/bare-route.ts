/**
 * The baseline for status polls: a bare Nest + Fastify route returning a document of the same shape,
 * with nothing behind it (no auth, no database). Run as its own process by the bench, as the API is.
 */
import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

const DOC = {
  id: '00000000-0000-4000-8000-000000000000',
  status: 'posted',
  asset: 'BTC',
  network: 'bitcoin',
  amount: '0.0001',
  fee: '0',
  address: 'bc1q0000000000000000000000000000000000',
  confirmations: { email: 'approved', push: 'approved', totp: 'approved' },
  createdAt: new Date(0).toISOString(),
  expiresAt: new Date(0).toISOString(),
};

@Controller('bare')
class BareController {
  @Get(':id')
  get(@Param('id') id: string) {
    return { ...DOC, id };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), { logger: false });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.stdout.write(`listening on ${process.env.PORT}\n`);
}

void main();
