package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The main job end to end on real parts: the embedded Kafka broker, the monitor's Streams
 * application, and two real DL4J runs on Fashion-MNIST (synthetic images where the Debian package
 * is missing). The demo reads the alerts back from {@code training.alerts} (read_committed).
 */
class DemoCommandIT {

    @Test
    void shouldAlertOnTheDivergingRunsNotOnTheHealthyOneAndShowTheRollbackRunRecovering() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));

        int exit = cl.execute("demo", "--steps", "120", "--http-port", "0");

        String text = out.toString();
        assertThat(exit).as(text + err).isZero();
        var alertLines = text.lines().filter(l -> l.startsWith(">>> ALERT")).toList();
        assertThat(alertLines).noneSatisfy(l -> assertThat(l).contains(DemoCommand.HEALTHY_RUN));
        // the CNN blows up and turns NaN; the linear model's loss grows exponentially
        assertThat(alertLines).anySatisfy(l -> assertThat(l).contains(DemoCommand.DIVERGING_RUN));
        assertThat(alertLines)
                .anySatisfy(
                        l -> assertThat(l).contains(DemoCommand.EXPONENTIAL_RUN).contains("LOSS_EXPONENTIAL_GROWTH"));
        // Adam at lr 1.0 does not grow exponentially: it blows up at once; the diagnosis names the learning rate
        assertThat(alertLines)
                .anySatisfy(l -> assertThat(l)
                        .contains(DemoCommand.ADAM_LR1_RUN)
                        .contains("LOSS_BLOWUP")
                        .contains("LEARNING_RATE_TOO_HIGH"));
        assertThat(text.lines().filter(l -> l.contains(DemoCommand.HEALTHY_RUN) && l.endsWith("none")))
                .hasSize(1);
        assertThat(text)
                .contains("Every diverging run was caught; the healthy run raised nothing; "
                        + "the run that rolled back trained its loss back down.");

        // the run with --on-alert rollback: its alert, the rollback, and the loss back down without a NaN
        assertThat(text.lines())
                .anySatisfy(l -> assertThat(l).startsWith(">>> ALERT").contains(DemoCommand.ROLLBACK_RUN));
        assertThat(text.lines())
                .anySatisfy(l -> assertThat(l)
                        .startsWith("  [" + DemoCommand.ROLLBACK_RUN + "]")
                        .contains("rolled back to the checkpoint of step")
                        .contains("learning rate 0.1 -> 0.01"));
        Matcher m = Pattern.compile(
                        "rolled back at step (\\d+) to the checkpoint of step (\\d+) \\(lr 0\\.1 -> 0\\.01\\): "
                                + "loss (\\S+) at the rollback, (\\S+) at the end")
                .matcher(text);
        assertThat(m.find()).as(text).isTrue();
        double atRollback = Double.parseDouble(m.group(3));
        double end = Double.parseDouble(m.group(4));
        assertThat(Long.parseLong(m.group(2))).isLessThan(Long.parseLong(m.group(1)));
        assertThat(text)
                .doesNotContain("[" + DemoCommand.ROLLBACK_RUN + "] " + DemoCommand.ROLLBACK_RUN + ": stopping");
        assertThat(end)
                .as("the rolled-back run ends finite and below its loss when the alert reached it")
                .isFinite()
                .isLessThan(atRollback);
    }

    @Test
    void shouldRejectAnUnknownOptimizerInOneSentence() {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute("demo", "--diverging-optimizer", "rmsprop");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString())
                .contains("--diverging-optimizer must be adam or sgd")
                .doesNotContain("Exception");
    }
}
