package io.losswatch.notify;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * When to try a failed delivery again: exponential backoff with jitter, or what the receiver asked
 * for in {@code Retry-After}.
 *
 * @param initial the wait after the first failure (before jitter)
 * @param max the longest wait between attempts (before jitter)
 */
public record Backoff(Duration initial, Duration max) {
    /** A {@code Retry-After} longer than this is taken as this: a typo on the receiver must not park alerts for days. */
    public static final Duration RETRY_AFTER_LIMIT = Duration.ofHours(1);

    public Backoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException(
                    "Retry waits need 0 < initial <= max, got initial " + initial + " and max " + max + ".");
        }
    }

    public static Backoff defaults() {
        return new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5));
    }

    /**
     * @param failures failed attempts so far for this alert (1 after the first failure)
     * @param retryAfter what the receiver asked for, or null
     * @param random uniform in [0, 1)
     */
    public Duration delay(int failures, Duration retryAfter, DoubleSupplier random) {
        if (retryAfter != null) {
            // the receiver knows best when it can take the request (rate limits, maintenance)
            return retryAfter.compareTo(RETRY_AFTER_LIMIT) > 0
                    ? RETRY_AFTER_LIMIT
                    : retryAfter.isNegative() ? Duration.ZERO : retryAfter;
        }
        long base = initial.toMillis();
        long cap = max.toMillis();
        int doublings = Math.min(Math.max(failures, 1) - 1, 40);
        long exp = doublings >= 62 || base > (cap >> doublings) ? cap : Math.min(cap, base << doublings);
        // "equal jitter": at least half the step, so waits still grow, and spread, so that many
        // notifiers that failed together do not retry together
        long half = exp / 2;
        return Duration.ofMillis(half + (long) (random.getAsDouble() * (exp - half)));
    }
}
