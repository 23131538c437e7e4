package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.notify.Attempt.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AttemptTest {
    @ParameterizedTest
    @ValueSource(ints = {200, 201, 202, 204})
    void shouldCountEvery2xxAsDelivered(int status) {
        assertThat(Attempt.verdict(status)).isEqualTo(Verdict.DELIVERED);
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 413, 422})
    void shouldGiveUpOnlyWhenThePayloadItselfIsRefused(int status) {
        assertThat(Attempt.verdict(status)).isEqualTo(Verdict.REJECTED);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 301, 302, 401, 403, 404, 408, 409, 425, 429, 500, 502, 503, 504})
    void shouldRetryOutagesRateLimitsAndConfigurationBeingFixed(int status) {
        assertThat(Attempt.verdict(status)).isEqualTo(Verdict.RETRY);
    }

    @Test
    void shouldTakeNoResponseAsRetry() {
        assertThat(new Attempt(-1, null, "ConnectException").verdict()).isEqualTo(Verdict.RETRY);
    }
}
