package io.losswatch.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.losswatch.cli.bench.LatencyBenchCommand.Load;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LatencyBenchCommandTest {

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new LatencyBenchCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void shouldPairRatesAndRunCountsInOrderWhenTheListsAreAsLong() {
        assertThat(LatencyBenchCommand.loads(List.of(5000, 20000), List.of(500, 2000)))
                .containsExactly(new Load(5000, 500), new Load(20000, 2000));
    }

    @Test
    void shouldApplyASingleValueToEveryValueOfTheOtherList() {
        assertThat(LatencyBenchCommand.loads(List.of(1000, 5000, 20000), List.of(500)))
                .containsExactly(new Load(1000, 500), new Load(5000, 500), new Load(20000, 500));
        assertThat(LatencyBenchCommand.loads(List.of(5000), List.of(100, 500)))
                .containsExactly(new Load(5000, 100), new Load(5000, 500));
        assertThat(LatencyBenchCommand.loads(List.of(5000), List.of(500))).containsExactly(new Load(5000, 500));
    }

    @Test
    void shouldRefuseListsOfDifferentLengthsWithOneClearSentence() {
        assertThatThrownBy(() -> LatencyBenchCommand.loads(List.of(1000, 5000, 20000), List.of(500, 2000)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--rate and --runs must list as many values as each other (paired in order), or one "
                        + "of them a single value for every load; got 3 rates and 2 run counts.");
    }

    @Test
    void shouldExitWithTwoAndOneLineBeforeStartingAnythingWhenTheLoadsDoNotPair() {
        Run r = run("--rate", "1000,5000,20000", "--runs", "500,2000");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip())
                .startsWith("--rate and --runs must list as many values")
                .doesNotContain("\n")
                .doesNotContain("Exception");
    }

    @Test
    void shouldRefuseARateOfZeroInAList() {
        Run r = run("--rate", "5000,0", "--runs", "500");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("--rate, --runs and --seconds must be positive");
    }

    @Test
    void shouldTakeTheMedianAndTheNinetyNinthPercentileOfTheAlertsTimed() {
        // 1, 2, ..., 100 ms
        LatencyLoad.Percentiles p = LatencyLoad.Percentiles.of(
                LongStream.rangeClosed(1, 100).map(ms -> ms * 1_000_000).boxed().toList());
        assertThat(p.n()).isEqualTo(100);
        assertThat(p.p50()).isEqualTo(50.0);
        assertThat(p.p99()).isEqualTo(100.0);
        assertThat(p.max()).isEqualTo(100.0);
        assertThat(p.meets(101)).isTrue();
        assertThat(p.meets(100)).isFalse();
        assertThat(LatencyLoad.Percentiles.of(List.of()).meets(1_000))
                .as("no alerts meet no target")
                .isFalse();
    }
}
