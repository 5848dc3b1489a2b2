/**
 * A bearer token that does not verify. Kept apart from the verifier so the dispatcher
 * (and with it the Functions entry) can recognise it without loading `jose`.
 */
export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TokenRejected';
  }
}
