import { JwtVerifier, OperatorProofRefusal } from '@app/crypto';
import { OperatorTokenRepository } from '@app/database';
import { problem, VerdictProblem } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

const REFUSALS: Record<OperatorProofRefusal, string> = {
  no_public_key: 'operator actions need JWT_PUBLIC_KEY: a shared HS256 secret is known to the API and proves nothing here',
  invalid: "the operator's token is not valid",
  not_operator: 'operators only',
  no_jti: "the operator's token has no jti: it must be single use",
  too_long_lived: "the operator's token lives longer than OPERATOR_TOKEN_MAX_AGE",
};

/**
 * The confirmation service's own check of an operator action: the operator's token (sealed to this service
 * by the API) must be the exchange's, an operator's, the operator the API named, short-lived, and never
 * used before — its jti is recorded in the action's own transaction. Neither the API's credentials nor
 * anything read from Redis can stand in for it.
 */
@Injectable()
export class OperatorProofs {
  constructor(
    private readonly verifier: JwtVerifier,
    private readonly tokens: OperatorTokenRepository,
  ) {}

  /** Undefined when the action may go ahead (its token now used up), else the verdict refusing it. */
  async accept(m: EntityManager, action: string, claimedOperatorId: string, operatorToken: string): Promise<VerdictProblem | undefined> {
    const proof = await this.verifier.operatorProof(operatorToken);
    if (typeof proof === 'string') return problem('forbidden', REFUSALS[proof]);
    if (proof.operatorId !== claimedOperatorId) return problem('forbidden', "the operator's token is another operator's");
    if (!(await this.tokens.use(m, proof.jti, proof.operatorId, action))) return problem('forbidden', "this operator's token was used already");
    return undefined;
  }
}
