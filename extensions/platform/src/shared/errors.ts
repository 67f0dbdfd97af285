// Errors shaped like Directus's own (name 'DirectusError', a status and a code), so that its error
// handler answers with this status and message, in Directus's `{ errors: [...] }` format.
export class RequestError extends Error {
  override readonly name = 'DirectusError';
  readonly extensions = {};
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const invalidPayload = (message: string) => new RequestError(400, 'INVALID_PAYLOAD', message);
export const unauthenticated = (message: string) => new RequestError(401, 'UNAUTHENTICATED', message);
export const forbidden = (message: string) => new RequestError(403, 'FORBIDDEN', message);
export const notFound = (message: string) => new RequestError(404, 'NOT_FOUND', message);
export const conflict = (message: string) => new RequestError(409, 'CONFLICT', message);
export const tooManyRequests = (message: string) => new RequestError(429, 'REQUESTS_EXCEEDED', message);

// Directus's own answer to a row that is not there or not the caller's: the same for both.
export const NOT_YOURS = "You don't have permission to access this.";
