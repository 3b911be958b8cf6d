import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { Problem } from './problem';

/** Deeper than any request of the contract; a body nested past it is refused before it is parsed. */
export const MAX_BODY_DEPTH = 8;

/**
 * C0 and C1 controls, DEL, the line and paragraph separators and the bidirectional overrides: none belongs
 * in a field of this API (an email, a label, a code, a reason), and some break what stores, logs or shows it.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this expression's whole purpose
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

class BodyRefused extends Error {
  readonly statusCode = 400;
}

/** How deeply arrays and objects nest in a JSON text, counted outside strings, without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/**
 * JSON bodies: nesting beyond MAX_BODY_DEPTH refused as 400 before anything parses it (64 KB of "[[[…" no
 * longer reaches a recursive validator), then parsed with prototype poisoning refused, as Fastify does.
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request: FastifyRequest, body: string | Buffer, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    if (jsonDepth(text) > MAX_BODY_DEPTH) return done(new BodyRefused(`the body nests deeper than ${MAX_BODY_DEPTH} levels`), undefined);
    try {
      done(null, sjson.parse(text, { protoAction: 'error', constructorAction: 'error' }));
    } catch {
      done(new BodyRefused('the body is not valid JSON'), undefined);
    }
  });
}

/**
 * Every text in a body, a query or a path parameter, checked before validation and before anything is
 * relayed: a control character is `400 validation_failed`, so no evidence (a TOTP code) is ever consumed
 * for a request that cannot succeed.
 */
@Injectable()
export class TextFieldsPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'custom' && this.hasControlCharacter(value, 0)) {
      throw new Problem('validation_failed', 'text fields may not contain control characters');
    }
    return value;
  }

  private hasControlCharacter(value: unknown, depth: number): boolean {
    if (typeof value === 'string') return CONTROL_CHARACTERS.test(value);
    if (depth > MAX_BODY_DEPTH || value === null || typeof value !== 'object') return false;
    return Object.entries(value as Record<string, unknown>).some(([k, v]) => CONTROL_CHARACTERS.test(k) || this.hasControlCharacter(v, depth + 1));
  }
}
