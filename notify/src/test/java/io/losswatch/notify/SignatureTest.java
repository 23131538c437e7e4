package io.losswatch.notify;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SignatureTest {
    private static final byte[] BODY = "{\"alert_id\":\"r/LOSS_NON_FINITE/3\"}".getBytes(UTF_8);

    @Test
    void shouldSignTimestampDotBodyWithHmacSha256() {
        // the same as Python's hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
        assertThat(Signature.sign("s3cret", 1_700_000_000L, BODY))
                .isEqualTo("sha256=2d1201696ec8870505c5252b98aebd88992104feb2d76c23df12a2523ac86f91");
    }

    @Test
    void shouldVerifyWhatItSigned() {
        String sig = Signature.sign("s3cret", 1_700_000_000L, BODY);
        assertThat(Signature.verify("s3cret", "1700000000", BODY, sig)).isTrue();
    }

    @Test
    void shouldFailVerificationWithAWrongSecretAChangedBodyOrAnotherTimestamp() {
        String sig = Signature.sign("s3cret", 1_700_000_000L, BODY);
        assertThat(Signature.verify("wrong", "1700000000", BODY, sig)).isFalse();
        assertThat(Signature.verify("s3cret", "1700000000", "{}".getBytes(UTF_8), sig))
                .isFalse();
        assertThat(Signature.verify("s3cret", "1700000001", BODY, sig)).isFalse();
        assertThat(Signature.verify("s3cret", "not a number", BODY, sig)).isFalse();
        assertThat(Signature.verify("s3cret", null, BODY, sig)).isFalse();
    }
}
