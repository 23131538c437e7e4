package io.losswatch.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The performance benchmarks run end to end on a tiny load (their figures come from the real
 * sizes, by hand): each starts its own embedded broker, measures every side and prints its lines.
 */
class BenchCommandsIT {
    private static String run(Object command, String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        assertThat(cl.execute(args)).as(out.toString()).isZero();
        return out.toString();
    }

    @Test
    void throughputShouldMeasureEachRunCountSideBySideWithWhatItWritesToTheChangelog() {
        String out = run(
                new ThroughputBenchCommand(),
                "--events",
                "6000",
                "--runs",
                "30,300",
                "--diverging",
                "0.2",
                "--whole-state");
        assertThat(out)
                .contains(
                        "(a) plain consumer + JSON parse:",
                        "(b) monitor, exactly_once_v2:",
                        "(c) Kafka Streams, same settings, parse only:",
                        "ratio (b)/(a) =",
                        "(b)/(c) =",
                        "(d) monitor writing whole states:");
        Matcher cpu = Pattern.compile("CPU per event of the threads doing the work: \\(a\\) ([\\d.]+) us, "
                        + "\\(b\\) ([\\d.]+) us, \\(c\\) ([\\d.]+) us")
                .matcher(out);
        assertThat(cpu.find()).as(out).isTrue();
        for (int i = 1; i <= 3; i++) {
            assertThat(Double.parseDouble(cpu.group(i)))
                    .as("CPU per event, %s", out)
                    .isPositive();
        }
        Matcher alerts = Pattern.compile("alerts raised: (\\d+), for (\\d+) diverging runs")
                .matcher(out);
        assertThat(alerts.find()).as(out).isTrue();
        assertThat(Integer.parseInt(alerts.group(1)))
                .as("alerts for the diverging runs")
                .isGreaterThanOrEqualTo(Integer.parseInt(alerts.group(2)));
        // one table row per run count: runs, steps per run, ..., changelog bytes per step
        Matcher row = Pattern.compile(
                        "^\\| ([\\d,]+) \\| ([\\d,]+) \\|.*\\| ([\\d,]+) \\| [^|]+ \\| [\\d.]+ \\| [\\d,]+/s \\| ([\\d,]+) \\| [\\d.]+ \\|$",
                        Pattern.MULTILINE)
                .matcher(out);
        assertThat(row.find()).as(out).isTrue();
        assertThat(row.group(1) + "/" + row.group(2)).isEqualTo("30/200");
        assertThat(Integer.parseInt(row.group(3).replace(",", "")))
                .as("every step's state reaches the changelog")
                .isPositive();
        assertThat(Integer.parseInt(row.group(4).replace(",", "")))
                .as("the whole states too")
                .isPositive();
        assertThat(row.find()).as(out).isTrue();
        assertThat(row.group(1) + "/" + row.group(2)).isEqualTo("300/20");
    }

    @Test
    void latencyShouldTimeEveryAlertOfEachLoadAndCompareTheLoadsInOneTable() {
        String out = run(
                new LatencyBenchCommand(),
                "--rate",
                "200,300",
                "--runs",
                "10,20",
                "--seconds",
                "4",
                "--diverging",
                "0.5");
        assertThat(out).contains("the monitor's stream threads while sending: processing");
        for (String line : new String[] {
            "step sent -> processed by the monitor",
            "step sent -> alert readable on topic",
            "step sent -> webhook received it"
        }) {
            Matcher n = Pattern.compile(Pattern.quote(line) + ".*n=(\\d+)").matcher(out);
            for (int load = 1; load <= 2; load++) {
                assertThat(n.find()).as(line + " for load " + load + "\n" + out).isTrue();
                assertThat(Integer.parseInt(n.group(1))).as(line).isPositive();
            }
        }
        // one table row per load: rate, runs, events sent, behind, alerts timed on the topic and at the webhook
        Matcher row = Pattern.compile(
                        "^\\| ([\\d,]+) \\| ([\\d,]+) \\| ([\\d,]+) \\| (-?[\\d,]+) \\| (\\d+) / (\\d+) \\|.*\\|$",
                        Pattern.MULTILINE)
                .matcher(out);
        for (String load : new String[] {"200/10", "300/20"}) {
            assertThat(row.find()).as(load + "\n" + out).isTrue();
            assertThat(row.group(1) + "/" + row.group(2)).isEqualTo(load);
            assertThat(Long.parseLong(row.group(3).replace(",", "")))
                    .as("events sent")
                    .isPositive();
            assertThat(Integer.parseInt(row.group(5)))
                    .as("alerts timed on the topic")
                    .isPositive();
            assertThat(Integer.parseInt(row.group(6)))
                    .as("alerts timed at the webhook")
                    .isPositive();
        }
        assertThat(row.find()).as("no third row\n" + out).isFalse();
    }
}
