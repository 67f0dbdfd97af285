// Processor's contract (docs/contracts/telemetry-access.md) says 401 for every request without a valid
// token; Directus answers a token it cannot verify with 403 INVALID_TOKEN, before any endpoint runs, so
// that processor could not tell it from "not yours". For GET /telemetry/authorize only, that error is
// answered as 401 with the same code. An error handler mounted after the endpoints and before
// Directus's own sees the authentication middleware's error first.
import type { HookConfig } from '@directus/types';
import { RequestError } from '../shared/errors.ts';

// The part of Express's app this hook uses.
interface Express {
  use: (path: string, handler: (err: unknown, req: unknown, res: unknown, next: (err?: unknown) => void) => void) => void;
}

const registerTokenErrors: HookConfig = ({ init }) => {
  init('routes.custom.after', ({ app }) => {
    (app as Express).use('/telemetry/authorize', (err, _req, _res, next) => {
      const code = (err as { code?: unknown } | null)?.code;
      next(code === 'INVALID_TOKEN' ? new RequestError(401, 'INVALID_TOKEN', 'The token is not valid here (not issued by this platform, or altered): sign in again.') : err);
    });
  });
};

export default registerTokenErrors;
