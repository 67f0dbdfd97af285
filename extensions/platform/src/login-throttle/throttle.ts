import { isIPv6 } from 'node:net';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { tooManyRequests } from '../shared/errors.ts';
import { TrustedAddresses } from './trusted.ts';

// Password guessing, throttled three ways, without handing an attacker a way to lock anyone out
// (Directus's own suspension after N failures is off: snapshots/config.yaml auth_login_attempts null):
// - per address: every sign-in from one IP address (an IPv6 address counts by its /64 network);
// - per account and address: one account from one address;
// - per account, from addresses the account has not signed in from before.
// A person signing in from an address they used in the last LOGIN_THROTTLE_TRUSTED_DAYS is held only
// to the second: neither someone guessing their password elsewhere nor a flood from the venue's shared
// address keeps them out. An attempt takes its points before the password is checked (so a burst cannot
// outrun the count) and a successful one gives them back. Password-reset requests, which send mail,
// have counters of their own. Counters live in Redis when Directus has one (REDIS), so that every
// instance counts the same attempts, else in this process.
export interface ThrottleSettings {
  addressAttempts: number;
  accountAttempts: number;
  pairAttempts: number;
  windowSeconds: number;
  trustedDays: number;
  resetRequests: number;
}

export interface Attempt {
  ip: string;
  email: string;
}

// The points an admitted attempt took, given back if it succeeds.
export type Admission = Array<[RateLimiterAbstract, string]>;

export class LoginThrottle {
  private readonly address: RateLimiterAbstract;
  private readonly account: RateLimiterAbstract;
  private readonly pair: RateLimiterAbstract;
  private readonly resetAddress: RateLimiterAbstract;
  private readonly resetAccount: RateLimiterAbstract;
  private readonly trusted: TrustedAddresses;

  constructor(settings: ThrottleSettings, redis?: Redis) {
    // While Redis is away each instance counts on its own (rate-limiter-flexible's insurance limiter):
    // sign-in keeps working and stays throttled.
    const limiter = (keyPrefix: string, points: number) => {
      const options = { keyPrefix, points, duration: settings.windowSeconds };
      return redis ? new RateLimiterRedis({ storeClient: redis, ...options, insuranceLimiter: new RateLimiterMemory(options) }) : new RateLimiterMemory(options);
    };
    this.address = limiter('trm:login:address', settings.addressAttempts);
    this.account = limiter('trm:login:account', settings.accountAttempts);
    this.pair = limiter('trm:login:pair', settings.pairAttempts);
    this.resetAddress = limiter('trm:reset:address', settings.resetRequests * 2);
    this.resetAccount = limiter('trm:reset:account', settings.resetRequests);
    this.trusted = new TrustedAddresses(settings.trustedDays * 24 * 3600, redis);
  }

  // Takes this attempt's points, or refuses it with 429 and when to try again. The answer is the same
  // whether the account exists or not.
  async admit({ ip, email }: Attempt): Promise<Admission> {
    const pairKey = `${email}|${ip}`;
    const limiters: Admission = [[this.pair, pairKey]];
    if (!(await this.trusted.knows(pairKey))) limiters.push([this.address, network(ip)], [this.account, email]);
    return take(limiters, 'Too many failed sign-ins');
  }

  // A successful sign-in: its points back, the account's failures from this address forgotten, and
  // the address remembered for the account.
  async succeeded({ ip, email }: Attempt, admission: Admission): Promise<void> {
    const pairKey = `${email}|${ip}`;
    await Promise.all([
      ...admission.filter(([limiter]) => limiter !== this.pair).map(([limiter, key]) => limiter.reward(key)),
      this.pair.delete(pairKey),
      this.trusted.remember(pairKey),
    ]);
  }

  // A password-reset request: a mail to the account, so a few per account and per address.
  async admitReset({ ip, email }: Attempt): Promise<void> {
    await take([[this.resetAddress, network(ip)], [this.resetAccount, email]], 'Too many password-reset requests');
  }
}

async function take(limiters: Admission, what: string): Promise<Admission> {
  const taken: Admission = [];
  for (const [limiter, key] of limiters) {
    try {
      await limiter.consume(key);
      taken.push([limiter, key]);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw tooManyRequests(`${what}; try again in ${Math.max(1, Math.ceil(err.msBeforeNext / 1000))} s.`);
    }
  }
  return taken;
}

// An IPv4 address, or the /64 network of an IPv6 address (one host usually holds a whole /64).
function network(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((group) => group.padStart(4, '0')).join(':')}::/64`;
}

export const normalizeEmail = (email: unknown): string => (typeof email === 'string' ? email.trim().toLowerCase() : '');
