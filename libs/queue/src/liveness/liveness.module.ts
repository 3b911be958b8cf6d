import { Module } from '@nestjs/common';
import { Heartbeat } from './heartbeat';
import { LivenessRedis } from './liveness-redis';
import { PeerOutcomes } from './peer-outcomes';

/**
 * What /health learns from the other apps through Redis: each consumer's heartbeat (beating in the
 * notification worker and the confirmation service, silent in the API) and the notification peers'
 * send counts; and the fail-fast connection they and the API's probes use.
 */
@Module({ providers: [LivenessRedis, Heartbeat, PeerOutcomes], exports: [LivenessRedis, PeerOutcomes] })
export class LivenessModule {}
