package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import io.losswatch.notify.FiringIndex;
import io.losswatch.notify.Incident;
import io.losswatch.notify.SlackMessage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The Slack messages of two real runs of the Adam lr 1.0 LeNet, one left alone and one that rolls back
 * on its alerts, as the notifier formats them from the alerts it read (the alert events are recorded
 * in {@code slack/adam-lr1-alerts.jsonl}), and the picture of them in docs/slack.png. Run with
 * {@code -Dlosswatch.docs.write=true} to redraw the picture (see {@link #REDRAW}).
 */
class SlackPictureTest {
    static final String REDRAW = "mvn -B -q -o -pl cli -am test -Dtest=SlackPictureTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dlosswatch.docs.write=true";
    private static final Path PICTURE = DocFiles.ROOT.resolve("docs").resolve("slack.png");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The alert events as they were on the topic, in order, each with the message a Slack target got. */
    private static List<SlackPicture.Message> messages() throws IOException, InvalidEventException {
        List<AlertEvent> alerts = new ArrayList<>();
        try (InputStream in = SlackPictureTest.class.getResourceAsStream("/slack/adam-lr1-alerts.jsonl")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    alerts.add(EventJson.parseAlert(line.getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
        // as a delivery worker does: the index takes each event before its message is made
        FiringIndex index = new FiringIndex();
        List<SlackPicture.Message> out = new ArrayList<>();
        for (AlertEvent a : alerts) {
            index.remember(a);
            out.add(new SlackPicture.Message(
                    a.detectedAt(), JSON.readTree(SlackMessage.of(Incident.of(a, index), null))));
        }
        return out;
    }

    @Test
    void shouldSendOneFullMessagePerIncidentInPlainWordsAndDrawThem() throws Exception {
        List<SlackPicture.Message> messages = messages();
        List<String> texts =
                messages.stream().map(m -> m.body().get("text").asText()).toList();

        String everything = messages.stream().map(m -> m.body().toString()).reduce("", String::concat);
        for (Enum<?> name : concat(AlertType.values(), Cause.values())) {
            assertThat(everything).as("no enum names in a message").doesNotContain(name.name());
        }
        long full = messages.stream()
                .filter(m -> m.body().toString().contains("*What to do:*"))
                .count();
        long incidents =
                texts.stream().filter(t -> t.startsWith("[critical] run ")).count();
        assertThat(full)
                .as("one full message per incident")
                .isEqualTo(incidents)
                .isGreaterThanOrEqualTo(3);
        assertThat(texts)
                .as("the unguarded run: follow-ups of its incident are one line each")
                .anyMatch(t -> t.startsWith("[critical] run adam-lr1-unguarded, same incident: also "));
        assertThat(texts)
                .as("the guarded run: each rollback closes its incident")
                .anyMatch(t -> t.startsWith("Run adam-lr1-rollback: the run rolled back to the checkpoint of step 0"));

        BufferedImage picture = SlackPicture.draw("ml-training", messages);
        assertThat(picture.getHeight()).isGreaterThan(100 * (int) incidents);
        if (Boolean.getBoolean("losswatch.docs.write")) {
            ImageIO.write(picture, "png", PICTURE.toFile());
        }
        assertThat(PICTURE).as("the docs' picture; draw it with " + REDRAW).exists();
        assertThat(Files.size(PICTURE)).isGreaterThan(10_000);
    }

    private static List<Enum<?>> concat(Enum<?>[] a, Enum<?>[] b) {
        List<Enum<?>> all = new ArrayList<>(Arrays.asList(a));
        all.addAll(Arrays.asList(b));
        return all;
    }
}
