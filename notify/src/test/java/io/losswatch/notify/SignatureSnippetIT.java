package io.losswatch.notify;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The signature verification snippet of docs/delivery.md, run with the real Python against requests signed by Losswatch. */
class SignatureSnippetIT {
    private static final String MARKER = "<!-- signature-snippet: run by SignatureSnippetIT -->";

    private static String snippet() throws Exception {
        String readme = Files.readString(Path.of("..", "docs", "delivery.md"));
        int at = readme.indexOf(MARKER);
        assertThat(at).as("docs/delivery.md marks its signature snippet").isNotNegative();
        int start = readme.indexOf("```python\n", at) + "```python\n".length();
        return readme.substring(start, readme.indexOf("```", start));
    }

    @Test
    void shouldAcceptGenuineRequestsAndRefuseWrongSecretsChangedBodiesAndOldTimestamps() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "python3 is not installed; the snippet is Python");
        String body = "{\"schema\":1,\"alert_id\":\"r/LOSS_NON_FINITE/3\",\"run_id\":\"r\",\"status\":\"firing\"}";
        long now = Instant.now().getEpochSecond();
        String fresh = Signature.sign("s3cret", now, body.getBytes(UTF_8));
        String old = Signature.sign("s3cret", now - 3600, body.getBytes(UTF_8));
        String harness = snippet() + """

                import json, sys
                body = %s.encode()
                def check(secret, ts, sig, b=body):
                    return losswatch_request_is_genuine(secret, {"X-Losswatch-Timestamp": str(ts),
                                                                 "X-Losswatch-Signature": sig}, b)
                print(json.dumps([check(b"s3cret", %d, "%s"), check(b"wrong", %d, "%s"),
                                  check(b"s3cret", %d, "%s", body + b" "), check(b"s3cret", %d, "%s")]))
                """.formatted(pyString(body), now, fresh, now, fresh, now, fresh, now - 3600, old);
        Process p = new ProcessBuilder(python.toString(), "-c", harness)
                .redirectErrorStream(true)
                .start();
        try {
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("python3 finished").isTrue();
            String out = new String(p.getInputStream().readAllBytes(), UTF_8).trim();
            assertThat(out).isEqualTo("[true, false, false, false]");
        } finally {
            p.destroyForcibly();
        }
    }

    private static String pyString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
