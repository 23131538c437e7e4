package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.KafkaClientSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TrainCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = TrainCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void shouldExplainABadFlagInOneLineWithExitCode2() {
        int code = run("--run-id", "r1", "--optimizer", "rmsprop");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip())
                .doesNotContain("\n")
                .doesNotContain("Exception")
                .contains("unknown optimizer 'rmsprop'");
    }

    @Test
    void shouldRejectAMissingRunIdAndANonNumericLearningRate() {
        assertThat(run("--lr", "fast", "--run-id", "r")).isEqualTo(2);
        assertThat(err.toString()).contains("--lr").doesNotContain("\tat ");
        assertThat(run("--steps", "5")).isEqualTo(2);
        assertThat(err.toString()).contains("--run-id");
    }

    @Test
    void shouldRejectANegativeLearningRate() {
        assertThat(run("--run-id", "r", "--lr", "-1")).isEqualTo(2);
        assertThat(err.toString()).contains("learning rate must be a positive number");
    }

    @Test
    void shouldSaySoAndExitWith2WhenTheBrokerIsUnreachable() throws IOException {
        int port = closedPort();

        int code = run("--run-id", "r1", "--bootstrap-servers", "127.0.0.1:" + port, "--steps", "1");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip())
                .isEqualTo("Cannot reach Kafka at 127.0.0.1:" + port
                        + " within 5 s: start a broker (./losswatch broker) or pass --bootstrap-servers HOST:PORT"
                        + KafkaClientSettings.securityHint(Map.of()) + ".");
    }

    @Test
    void shouldTakeKafkaSettingsFromTheEnvironmentAndLetFlagsWin() {
        Map<String, String> props = KafkaClientSettings.merge(
                Map.of("LOSSWATCH_KAFKA_SECURITY_PROTOCOL", "SSL", "LOSSWATCH_KAFKA_LINGER_MS", "50", "HOME", "/root"),
                Map.of("linger.ms", "5"));

        assertThat(props).containsExactlyInAnyOrderEntriesOf(Map.of("security.protocol", "SSL", "linger.ms", "5"));
    }

    @Test
    void shouldPrintAPlainProgressLine() {
        io.losswatch.events.StepEvent event =
                io.losswatch.events.StepEvent.of("r", 9, 0.5).withLearningRate(0.001);

        assertThat(TrainCommand.progressLine(event, 5.0)).isEqualTo("step 9 loss 0.5000 lr 0.001 5.0 steps/s");
        assertThat(TrainCommand.progressLine(event, -1)).isEqualTo("step 9 loss 0.5000 lr 0.001");
    }

    @Test
    void shouldListTheScenariosOneLineEachWithoutKafka() {
        StringWriter out = new StringWriter();
        picocli.CommandLine cl = TrainCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));

        int code = cl.execute("--list-scenarios");

        assertThat(code).isZero();
        assertThat(out.toString().lines())
                .hasSize(io.losswatch.trainer.Scenario.values().length)
                .anyMatch(l -> l.startsWith("lr-adam-too-high "))
                .anyMatch(l -> l.startsWith("overfit-regularized "));
    }

    @Test
    void shouldRefuseAnUnknownScenarioOrActionInOneSentence() {
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = TrainCommand.commandLine();
        cl.setErr(new PrintWriter(err, true));

        assertThat(cl.execute("--scenario", "lr-typo")).isEqualTo(2);
        assertThat(cl.execute("--run-id", "x", "--on-alert", "panic")).isEqualTo(2);

        assertThat(err.toString().lines())
                .containsExactly(
                        "unknown scenario 'lr-typo': see --list-scenarios (see 'train --help')",
                        "unknown --on-alert 'panic': use stop, rollback, skip or ignore (see 'train --help')");
    }
}
