package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class MainTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "broker", "monitor", "notify", "train", "attach", "bench", "plot"})
    void shouldPrintTheVersionForEverySubcommand(String command) {
        assertThat(run(command, "--version")).isZero();

        assertThat(out.toString()).startsWith("losswatch ");
    }

    @Test
    void shouldPrintTheVersionForNestedBenchCommands() {
        assertThat(run("bench", "detection", "--version")).isZero();

        assertThat(out.toString()).startsWith("losswatch ");
    }

    @Test
    void shouldNameAnUnknownCommandAndExitWith2() {
        int code = run("moniter");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("unknown command moniter; try losswatch --help");
    }

    @Test
    void shouldMentionScenarioWhenTrainHasNoRunId() {
        int code = run("train");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--run-id").contains("--scenario");
    }

    @Test
    void shouldRefuseAStallTimeOfZeroInOneSentence() {
        int code = run("monitor", "--stall-after", "0s");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("--stall-after must be longer than 0, like 60s.");
    }

    @Test
    void shouldNotBreakATopicNameOrAKafkaSettingAcrossLinesInAnyHelp() {
        List<String> broken = new ArrayList<>();
        collectBrokenWords(Main.commandLine(), broken);

        assertThat(broken).isEmpty();
    }

    private static void collectBrokenWords(CommandLine cl, List<String> broken) {
        String help = cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
        // picocli breaks lines after a dot inside a word: "training.\n    metrics"
        Matcher m = WORD_BROKEN_AT_A_DOT.matcher(help);
        while (m.find()) {
            broken.add(cl.getCommandSpec().qualifiedName() + ": " + m.group().replaceAll("\\s+", " "));
        }
        cl.getSubcommands().values().forEach(sub -> collectBrokenWords(sub, broken));
    }

    private static final Pattern WORD_BROKEN_AT_A_DOT =
            Pattern.compile("\\b(training|security|e)\\.\\s*\\n\\s+[a-z]\\w*");
}
