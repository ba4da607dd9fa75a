import { Injectable } from '@nestjs/common';

/**
 * Whether the api has begun draining after a shutdown signal (kube-apiserver's ShutdownInitiated).
 * Set once, by the shutdown (the api's preClose hook); read by what answers differently from then
 * on: new requests get 429 with Retry-After (answerRetryAfterWhileDraining), /readyz fails its
 * `shutdown` check, answers end their connection.
 */
@Injectable()
export class ServerDraining {
  private begun = false;

  get active(): boolean {
    return this.begun;
  }

  begin(): void {
    this.begun = true;
  }
}
