package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.Topics;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code losswatch train} against a real broker. */
class TrainCommandIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @BeforeAll
    static void createTopic() {
        KAFKA.createTopic(Topics.METRICS, 3);
    }

    @Test
    void shouldRefuseInOneSentenceToTrainIntoATopicThatDoesNotExist() {
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = TrainCommand.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));

        int code = cl.execute(
                "--run-id", "it-typo", "--topic", "training.metrcs", "--bootstrap-servers", KAFKA.bootstrapServers());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip())
                .isEqualTo("Topic training.metrcs does not exist at " + KAFKA.bootstrapServers()
                        + ": start the monitor first (it creates its topics), create the topic, or pass --topic.");
    }

    @Test
    void shouldTrainFromTheCommandLine() {
        StringWriter out = new StringWriter();
        picocli.CommandLine cl = TrainCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));

        int code = cl.execute(
                "--run-id",
                "it-cli",
                "--steps",
                "6",
                "--print-every",
                "5",
                "--bootstrap-servers",
                KAFKA.bootstrapServers());

        assertThat(code).isZero();
        assertThat(out.toString()).contains("step 0 loss", "step 5 loss", "completed; 6 steps", "sent 6");
        assertThat(Committed.awaitSteps(KAFKA.bootstrapServers(), Topics.METRICS, "it-cli", 6, Duration.ofSeconds(60)))
                .hasSize(6);
    }
}
