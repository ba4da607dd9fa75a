import { Injectable } from '@nestjs/common';

/**
 * Where the api is in its shutdown. `signalled`: a shutdown signal came (kube-apiserver's
 * ShutdownInitiated): /readyz fails its `shutdown` check from then on, while everything else is
 * served as usual for SHUTDOWN_DELAY_SECONDS. `active`: draining has begun (set by the api's
 * preClose hook): new requests get 429 with Retry-After (answerRetryAfterWhileDraining) and
 * answers end their connection.
 */
@Injectable()
export class ServerDraining {
  private signalReceived = false;
  private begun = false;

  get signalled(): boolean {
    return this.signalReceived || this.begun;
  }

  get active(): boolean {
    return this.begun;
  }

  signal(): void {
    this.signalReceived = true;
  }

  begin(): void {
    this.begun = true;
  }
}
