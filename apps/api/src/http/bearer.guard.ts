import { CanActivate, ExecutionContext, Injectable, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { Problem } from './problem';
import { Caller, JwtVerifier } from '@app/crypto';

const OPERATOR_ONLY = 'countersign:operator-only';

/** Marks a controller or route as operators' only: the token must carry "operator" in `roles`. */
export const OperatorOnly = () => SetMetadata(OPERATOR_ONLY, true);

type AuthenticatedRequest = FastifyRequest & { caller?: Caller; bearer?: string };

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/**
 * The caller an Authorization header proves, with its bearer token; `unauthorized` for a header that is
 * missing or malformed or a token that is not valid. BearerGuard and the routes served outside Nest's
 * pipeline (the status poll) both authenticate here.
 */
export async function authenticate(verifier: JwtVerifier, authorization: string | undefined): Promise<{ caller: Caller; bearer: string }> {
  const match = BEARER.exec(authorization ?? '');
  const caller = match ? await verifier.verify(match[1]) : undefined;
  if (!caller) throw new Problem('unauthorized', 'a valid bearer token is required');
  return { caller, bearer: match![1] };
}

/** Customer and operator endpoints: a valid bearer JWT is required; `sub` is the customer id. */
@Injectable()
export class BearerGuard implements CanActivate {
  constructor(
    private readonly verifier: JwtVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const { caller, bearer } = await authenticate(this.verifier, request.headers.authorization);
    const operatorOnly = this.reflector.getAllAndOverride<boolean>(OPERATOR_ONLY, [context.getHandler(), context.getClass()]);
    if (operatorOnly && !caller.roles.includes('operator')) throw new Problem('forbidden', 'operators only');
    request.caller = caller;
    request.bearer = bearer;
    return true;
  }
}

/** The authenticated caller of a route behind BearerGuard. */
export const CurrentCaller = createParamDecorator(
  (_: unknown, context: ExecutionContext): Caller => context.switchToHttp().getRequest<AuthenticatedRequest>().caller!,
);

/**
 * The operator of a route behind BearerGuard and OperatorOnly, with the bearer token that proves it: an
 * action the confirmation service carries out is checked there again from this token, which travels sealed.
 */
export const CurrentOperator = createParamDecorator((_: unknown, context: ExecutionContext): { operatorId: string; operatorToken: string } => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  return { operatorId: request.caller!.id, operatorToken: request.bearer! };
});
