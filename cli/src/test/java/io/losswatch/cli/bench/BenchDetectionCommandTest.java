package io.losswatch.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchDetectionCommandTest {

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new BenchDetectionCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void shouldScoreDevelopmentSeedsAloneWithTheirWrongRunsSeedBySeed() {
        Run r = run("--dev-seeds", "0x20550001", "--sweep-seeds", "1", "--details");
        assertThat(r.exit()).isZero();
        assertThat(r.out())
                .contains("Sweep: Losswatch alone on the synthetic runs of 1 seed, 0x20550001-0x20550001, 356 runs:")
                .contains("Seed 0x20550001:")
                // the halves (and so the held-out seed) are not scored
                .doesNotContain("Held-out half")
                .doesNotContain("Tuning half");
    }

    @Test
    void shouldRefuseTheBenchmarksOwnSeedsAsDevelopmentSeedsWithOneClearError() {
        Run r = run("--dev-seeds", "0x1054FFFF", "--sweep-seeds", "2");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("outside the benchmark's 0x10550000-0x1055FFFF");
        assertThat(run("--dev-seeds", "twelve").err())
                .contains("--dev-seeds must be a seed such as 0x20550001, not 'twelve'");
    }
}
