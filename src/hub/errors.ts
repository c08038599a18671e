/** A download problem the user can act on (one line, no stack). */
export class HubError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubError';
  }
}

/** The hub could not be reached at all (offline, DNS, refused). */
export class HubUnreachableError extends HubError {
  constructor(readonly endpoint: string, reason: string) {
    super(`cannot reach ${endpoint}: ${reason}`);
    this.name = 'HubUnreachableError';
  }
}
