package io.losswatch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.detector.Detector;
import io.losswatch.detector.DetectorConfig;
import io.losswatch.detector.RunState;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.StepEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Every decision the detector makes on the tuning half of the corpus, pinned: each alert, firing
 * and resolved, with its step, onset, severity, cause, confidence, fit, forecast and evidence. A
 * few runs are pinned line by line so that a change shows what moved; all of them through one
 * digest. A change to the detection that is meant must record the file again
 * ({@code -Dlosswatch.record=bench/src/test/resources/recorded-decisions.txt}) and say why.
 */
class RecordedDecisionsTest {
    private static final String RESOURCE = "/recorded-decisions.txt";
    /** Runs whose alerts are written out in full. */
    private static final int SHOWN_EVERY = 40;

    @Test
    void shouldMakeTheRecordedDecisionsOnTheCorpus() throws IOException {
        String actual = decisions();
        String record = System.getProperty("losswatch.record");
        if (record != null) {
            Files.writeString(Path.of(record), actual);
        }
        String expected;
        try (InputStream in = RecordedDecisionsTest.class.getResourceAsStream(RESOURCE)) {
            assertThat(in).as("recorded decisions " + RESOURCE).isNotNull();
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(actual).isEqualTo(expected);
    }

    private static String decisions() {
        Detector detector = new Detector(DetectorConfig.defaults());
        MessageDigest digest = sha256();
        StringBuilder shown = new StringBuilder();
        List<BenchRun> runs = Corpus.generate(Corpus.Half.TUNING);
        int alerts = 0;
        for (int k = 0; k < runs.size(); k++) {
            BenchRun run = runs.get(k);
            RunState s = detector.newState();
            List<String> lines = new ArrayList<>();
            for (StepEvent e : run.events()) {
                for (AlertEvent a :
                        detector.onStep(s, e, Instant.EPOCH, Instant.EPOCH).alerts()) {
                    lines.add(describe(a));
                }
            }
            alerts += lines.size();
            for (String line : lines) {
                digest.update((run.name() + " " + line + "\n").getBytes(StandardCharsets.UTF_8));
            }
            if (k % SHOWN_EVERY == 0) {
                shown.append(run.name()).append('\n');
                lines.forEach(l -> shown.append("  ").append(l).append('\n'));
            }
        }
        return "runs " + runs.size() + ", alerts " + alerts + ", digest "
                + HexFormat.of().formatHex(digest.digest()) + "\n" + shown;
    }

    private static String describe(AlertEvent a) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "%s %s %s step %d onset %d id %s",
                a.status(),
                a.type(),
                a.severity(),
                a.step(),
                a.onsetStep(),
                a.alertId()));
        if (a.fit() != null) {
            b.append(String.format(
                    Locale.ROOT,
                    " fit %d %s %s %s",
                    a.fit().windowSteps(),
                    Double.toString(a.fit().growthRatePerStep()),
                    Double.toString(a.fit().doublingSteps()),
                    Double.toString(a.fit().r2())));
        }
        if (a.forecast() != null) {
            b.append(" forecast ").append(a.forecast().stepsToOverflow());
        }
        if (a.diagnosis() != null) {
            b.append(" cause ")
                    .append(a.diagnosis().cause())
                    .append(' ')
                    .append(a.diagnosis().confidence())
                    .append(' ')
                    .append(a.diagnosis().evidence())
                    .append(' ')
                    .append(a.diagnosis().suggestion());
        }
        return b.toString();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
