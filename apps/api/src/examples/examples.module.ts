import { Module } from '@nestjs/common';
import { ExamplesController } from './examples.controller';

/** Example pages for developers integrating a frontend; they use only the public API. */
@Module({ controllers: [ExamplesController] })
export class ExamplesModule {}
