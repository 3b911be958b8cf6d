import { PROBLEM_STATUS, ProblemCode } from '@app/domain';
import { OpenAPIObject } from '@nestjs/swagger';

const PROBLEM_REF = '#/components/schemas/Problem';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** RFC 9457 with the contract's stable `code` (shared/API.md, "Conventions"): every code with its status. */
const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: {
      type: 'string',
      enum: Object.keys(PROBLEM_STATUS),
      description: (Object.entries(PROBLEM_STATUS) as [ProblemCode, number][]).map(([code, status]) => `\`${code}\` (${status})`).join(', '),
    },
    instance: { type: 'string' },
  },
};

/**
 * The Problem schema, and on every operation that lacks one a `default` response with it: an API error is
 * always `application/problem+json`; a page a person opens shows the same problem as an HTML page.
 */
export function withProblems(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, Problem: PROBLEM_SCHEMA } };
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation || operation.responses?.default) continue;
      const page = Object.values(operation.responses ?? {}).some((r) => r && 'content' in r && r.content && 'text/html' in r.content);
      operation.responses = {
        ...operation.responses,
        default: {
          description: page
            ? 'A problem, as an HTML page for a person (its status as in the Problem schema), or as application/problem+json'
            : 'A problem (RFC 9457) with one of the stable codes of the Problem schema',
          content: {
            ...(page ? { 'text/html': { schema: { type: 'string' } } } : {}),
            'application/problem+json': { schema: { $ref: PROBLEM_REF } },
          },
        },
      };
    }
  }
  return document;
}
