/**
 * The SDK's own retry policy for EC2 calls. The SDK's standard strategy retries every 5xx and every throttle up
 * to 3 attempts; for EC2 that is wrong twice over: InsufficientInstanceCapacity comes back as HTTP 500 (retrying
 * it in place just burns calls while the launcher should move on to the next subnet), and a throttled call
 * retried by the SDK multiplies the very traffic that is being throttled. So the SDK retries only an
 * InternalError-like failure or a dropped connection, at most `maxAttempts - 1` times, after a full-jitter delay
 * slept on the injected clock. Throttles go to the shared token bucket; everything else goes up to the caller.
 * Retrying RunInstances is safe: the request carries the same ClientToken on every attempt.
 */
import type { EC2ClientConfig } from '@aws-sdk/client-ec2';
import type { Clock } from '../ports.js';
import { isTransientServerError } from './errors.js';
import { fullJitterDelayMs } from './throttle.js';

type SdkRetryStrategy = Extract<NonNullable<EC2ClientConfig['retryStrategy']>, { acquireInitialRetryToken: unknown }>;
type SdkRetryToken = Awaited<ReturnType<SdkRetryStrategy['acquireInitialRetryToken']>>;

class Token implements SdkRetryToken {
  constructor(private readonly count: number) {}
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    // The delay is slept in refreshRetryTokenForRetry on the injected clock, not by the SDK on the wall clock.
    return 0;
  }
}

export function createEc2RetryStrategy(opts: {
  maxAttempts: number;
  clock: Clock;
  random: () => number;
  baseDelayMs?: number;
}): SdkRetryStrategy {
  const baseMs = opts.baseDelayMs ?? 200;
  return {
    acquireInitialRetryToken: async () => new Token(0),
    refreshRetryTokenForRetry: async (token, info) => {
      const attemptsSoFar = token.getRetryCount() + 1;
      if (attemptsSoFar >= opts.maxAttempts || !isTransientServerError(info.error)) {
        // The SDK rethrows the original error when this rejects.
        throw new Error('not retried');
      }
      await opts.clock.sleep(fullJitterDelayMs(attemptsSoFar, { baseMs, capMs: 5_000, random: opts.random }));
      return new Token(token.getRetryCount() + 1);
    },
    recordSuccess: () => undefined,
  };
}
