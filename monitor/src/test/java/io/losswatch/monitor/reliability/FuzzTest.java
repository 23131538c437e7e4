package io.losswatch.monitor.reliability;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.monitor.LosswatchMetrics;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds mutated step events through the production topology: whatever arrives, the monitor goes on,
 * accounts for every record (used, ignored or dead-lettered) and never fails on one.
 */
class FuzzTest {
    private static final int RECORDS = 100_000;
    private static final long SEED = 20261127L;
    private static final String[] TOKENS = {
        "NaN",
        "-Infinity",
        "Infinity",
        "1e999",
        "-1e999",
        "-1",
        "0",
        "1.5",
        "99999999999999999999999",
        "\"\"",
        "null",
        "true",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\\",
        "\\u0000",
        "\"schema\"",
        "\"run_id\"",
        "\"step\"",
        "\"loss\"",
        "\"time\":\"2026-13-45T99:00:00Z\"",
        "\"labels\":{",
        "\"layer_grad_norms\":{",
        "\"epoch\":",
        "1.7976931348623157e308",
        "4.9e-324",
        "-0",
        "0x10",
        "1_000",
        "\u00e9",
        "\ud83d\ude00",
    };

    @TempDir
    Path stateDir;

    @Test
    void shouldSurviveAHundredThousandMutatedRecordsAndAccountForEachOne() {
        Random random = new Random(SEED);
        List<byte[]> seeds = List.of(
                EventJson.writeStep(StepEvent.of("fuzz-a", 7, 0.731)
                        .withGradNorm(1.92)
                        .withLearningRate(0.001)
                        .withValLoss(0.9)
                        .withUpdateRatio(0.0012)
                        .withLabels(Map.of("model", "lenet5"))),
                "{\"schema\":1,\"run_id\":\"fuzz-b\",\"step\":42,\"time\":\"2026-11-27T05:00:00.123Z\",\"loss\":NaN,\"grad_norm\":Infinity,\"layer_grad_norms\":{\"0_W\":0.3,\"2_W\":1.7},\"learning_rate\":0.001,\"param_norm\":12.3,\"update_ratio\":0.0012,\"val_loss\":0.9,\"epoch\":3,\"labels\":{\"model\":\"lenet5\",\"optimizer\":\"adam\"}}"
                        .getBytes(UTF_8),
                "{\"schema\":1,\"run_id\":\"fuzz-c\",\"step\":0,\"loss\":\"Infinity\"}".getBytes(UTF_8));
        int dead = 0;
        try (BadInputTest.Harness h = new BadInputTest.Harness(stateDir)) {
            for (int n = 0; n < RECORDS; n++) {
                byte[] seed = seeds.get(random.nextInt(seeds.size()));
                byte[] value = mutate(seed, random, 1 + random.nextInt(4));
                byte[] key = key(value, random);
                // the processor must not throw: TopologyTestDriver rethrows anything that would kill a stream thread
                h.metrics.pipeInput(new TestRecord<>(key, value));
                dead += h.dlq.readRecordsToList().size();
                h.alerts.readValuesToList();
            }
            double read =
                    h.meters.registry().get(LosswatchMetrics.RECORDS).counter().count();
            double invalid = h.meters.registry().find(LosswatchMetrics.INVALID_RECORDS).counters().stream()
                    .mapToDouble(Counter::count)
                    .sum();
            assertThat(read).isEqualTo(RECORDS);
            assertThat(invalid).as("every dead letter counted").isEqualTo(dead);
            assertThat(h.count(LosswatchMetrics.INVALID_RECORDS, "processing_error"))
                    .as("no record reached the safety net for monitor bugs")
                    .isZero();
            assertThat(dead).as("the mutations do produce bad records").isGreaterThan(RECORDS / 2);
            assertThat(dead).as("and some still-valid ones").isLessThan(RECORDS);
        }
    }

    /** Usually the run_id the value claims (so the value itself is exercised), sometimes a wrong or no key. */
    private static byte[] key(byte[] value, Random random) {
        int r = random.nextInt(20);
        if (r == 0) {
            return null;
        }
        if (r == 1) {
            byte[] k = new byte[1 + random.nextInt(8)];
            random.nextBytes(k);
            return k;
        }
        String s = new String(value, UTF_8);
        int i = s.indexOf("fuzz-");
        return (i >= 0 && i + 6 <= s.length() ? s.substring(i, i + 6) : "fuzz-a").getBytes(UTF_8);
    }

    static byte[] mutate(byte[] seed, Random random, int times) {
        byte[] b = seed;
        for (int t = 0; t < times; t++) {
            if (b.length == 0) {
                b = seed;
            }
            int at = random.nextInt(b.length);
            switch (random.nextInt(8)) {
                case 0 -> { // flip bits
                    b = b.clone();
                    b[at] ^= (byte) (1 << random.nextInt(8));
                }
                case 1 -> { // random byte
                    b = b.clone();
                    b[at] = (byte) random.nextInt(256);
                }
                case 2 -> b = Arrays.copyOf(b, at); // truncate
                case 3 -> { // delete a range
                    int len = Math.min(b.length - at, 1 + random.nextInt(12));
                    byte[] out = new byte[b.length - len];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(b, at + len, out, at, b.length - at - len);
                    b = out;
                }
                case 4 -> { // duplicate a range
                    int len = Math.min(b.length - at, 1 + random.nextInt(24));
                    b = splice(b, at, Arrays.copyOfRange(b, at, at + len));
                }
                case 5, 6 -> b = splice(b, at, TOKENS[random.nextInt(TOKENS.length)].getBytes(UTF_8));
                default -> { // replace a number with a hostile one
                    String s = new String(b, UTF_8);
                    b = s.replaceFirst("\\d+(\\.\\d+)?", TOKENS[random.nextInt(10)])
                            .getBytes(UTF_8);
                }
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int at, byte[] insert) {
        byte[] out = new byte[b.length + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at, out, at + insert.length, b.length - at);
        return out;
    }
}
