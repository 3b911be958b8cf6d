import { ParseUUIDPipe } from '@nestjs/common';
import { Problem } from '../http/problem';

/** A withdrawal id in a path: any malformed id is simply not found, like another customer's. */
export const WITHDRAWAL_ID = new ParseUUIDPipe({ exceptionFactory: () => new Problem('not_found') });
