package io.losswatch.notify;

import java.time.Duration;

/**
 * How one delivery attempt ended.
 *
 * @param status the HTTP status, or -1 when no response came (refused, reset, timed out)
 * @param retryAfter what the receiver asked for in {@code Retry-After}, or null
 * @param problem a short description of the failure, already free of credentials; empty on success
 */
public record Attempt(int status, Duration retryAfter, String problem) {

    public enum Verdict {
        /** The target took it. */
        DELIVERED,
        /** Try again later: the target is down, overloaded, rate limiting or not yet configured. */
        RETRY,
        /** The target refused this payload; the same bytes would be refused again. */
        REJECTED
    }

    public Verdict verdict() {
        return verdict(status);
    }

    /**
     * 2xx is delivered. 400, 413 and 422 say the payload itself is unacceptable, so it is given up
     * (and logged). Everything else is retried, 401/403/404 and redirects included: those are usually a
     * configuration being fixed, and alerts should wait for the fix rather than be dropped.
     */
    public static Verdict verdict(int status) {
        if (status >= 200 && status < 300) {
            return Verdict.DELIVERED;
        }
        if (status == 400 || status == 413 || status == 422) {
            return Verdict.REJECTED;
        }
        return Verdict.RETRY;
    }
}
