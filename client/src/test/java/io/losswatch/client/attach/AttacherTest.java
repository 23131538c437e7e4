package io.losswatch.client.attach;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.StepEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttacherTest {

    @TempDir
    Path dir;

    @Test
    void shouldNotSendRowsAgainWhenLightningRewritesTheFileWithANewColumn() throws Exception {
        Path csv = dir.resolve("metrics.csv");
        Files.writeString(csv, "epoch,step,train_loss_step\n0,9,1.5\n0,19,1.2\n");
        List<StepEvent> sent = new ArrayList<>();
        Attacher attacher = new Attacher(csv, LogFormat.LIGHTNING_CSV.parser("pl", Map.of(), null), true, sent::add)
                .console(s -> {});
        attacher.run(false);
        // what CSVLogger does when val_loss first appears: the whole file again, with the new header
        Files.writeString(csv, "epoch,step,train_loss_step,val_loss\n0,9,1.5,\n0,19,1.2,\n0,19,,1.1\n1,29,0.9,\n");
        attacher.run(false);

        assertThat(sent).extracting(StepEvent::step).containsExactly(9L, 19L, 29L);
        assertThat(attacher.duplicates()).isEqualTo(2);
        assertThat(attacher.newAttempts()).isZero();
    }

    @Test
    void shouldSendANewAttemptWhenTheTrainerStartsItsLogOver() throws Exception {
        Path log = dir.resolve("train.jsonl");
        Files.writeString(log, "{\"step\":0,\"loss\":2.3}\n{\"step\":1,\"loss\":2.2}\n{\"step\":2,\"loss\":2.1}\n");
        List<StepEvent> sent = new ArrayList<>();
        Attacher attacher =
                new Attacher(log, LogFormat.JSONL.parser("j", Map.of(), null), true, sent::add).console(s -> {});
        attacher.run(false);
        Files.writeString(log, "{\"step\":0,\"loss\":2.31}\n");
        attacher.run(false);

        assertThat(sent).extracting(StepEvent::step).containsExactly(0L, 1L, 2L, 0L);
        assertThat(attacher.newAttempts()).isEqualTo(1);
    }

    @Test
    void shouldSkipAndCountBadLinesAndGoOn() throws Exception {
        Path log = dir.resolve("train.jsonl");
        Files.writeString(log, "{\"step\":0,\"loss\":2.3}\n{oops\n{\"step\":1,\"loss\":2.2}\n");
        List<String> notes = new ArrayList<>();
        List<StepEvent> sent = new ArrayList<>();
        Attacher attacher =
                new Attacher(log, LogFormat.JSONL.parser("j", Map.of(), null), true, sent::add).console(notes::add);
        attacher.run(false);

        assertThat(sent).hasSize(2);
        assertThat(attacher.badLines()).isOne();
        assertThat(notes).singleElement().asString().contains("train.jsonl:2: skipped: not valid JSON");
    }
}
