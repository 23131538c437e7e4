package io.losswatch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.StepEvent;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CorpusTest {
    private static final List<BenchRun> HELD_OUT = Corpus.generate(Corpus.Half.HELD_OUT);

    @Test
    void shouldDrawTheSameRunsFromTheSameSeedAndOtherRunsFromTheOtherHalf() {
        List<BenchRun> a = Corpus.generate(Corpus.Half.TUNING);
        List<BenchRun> b = Corpus.generate(Corpus.Half.TUNING);
        List<BenchRun> held = HELD_OUT;
        assertThat(b).isEqualTo(a);
        assertThat(a.size() + held.size()).isGreaterThanOrEqualTo(600);
        assertThat(held.get(0).events()).isNotEqualTo(a.get(0).events());
    }

    /**
     * Neighbouring seeds must draw unrelated runs: a held-out seed that replays its neighbour's draws
     * shifted by one (as {@code new SplittableRandom(s)} and {@code s + gamma} do) is not held out.
     */
    @Test
    void shouldDrawUnrelatedRunsFromNeighbouringSeeds() {
        for (long seed : new long[] {Corpus.Half.TUNING.seed(), Corpus.Half.HELD_OUT.seed()}) {
            List<BenchRun> a = Corpus.synthetic(seed);
            List<BenchRun> b = Corpus.synthetic(seed + 1);
            List<String> shared = new java.util.ArrayList<>();
            for (int k = 0; k < a.size(); k++) {
                Set<Double> losses = a.get(k).events().stream()
                        .map(StepEvent::loss)
                        .filter(Double::isFinite)
                        .collect(Collectors.toSet()); // a NaN tail or a pinned value is not a shared draw
                long same = b.get(k).events().stream()
                        .filter(e -> losses.contains(e.loss()))
                        .count();
                if (same > b.get(k).events().size() / 5) {
                    shared.add(a.get(k).name());
                }
            }
            assertThat(shared)
                    .as("runs of seed %x that share a fifth of their losses with the next seed's", seed)
                    .isEmpty();
        }
    }

    @Test
    void shouldHoldEveryFamilyOfBothIssuesWithConsistentLabels() {
        List<BenchRun> runs = HELD_OUT;
        Set<String> families = runs.stream().map(BenchRun::family).collect(Collectors.toSet());
        assertThat(families)
                .contains(
                        "exp-start",
                        "exp-after-healthy",
                        "blowup-early",
                        "blowup-later",
                        "collapse-no-blowup",
                        "grad-explosion-first",
                        "val-divergence",
                        "noisy-decay",
                        "warmup",
                        "step-decay",
                        "cosine-restarts",
                        "cyclic-lr",
                        "spikes",
                        "plateau",
                        "near-zero",
                        "slow-heavy-noise",
                        "issue9-table",
                        "issue9-table-healthy",
                        "dl4j-recorded",
                        "dl4j-recorded-healthy");
        assertThat(runs.stream().filter(BenchRun::endsNonFinite).count()).isGreaterThan(30);
        for (BenchRun r : runs) {
            assertThat(r.events()).as(r.name()).isNotEmpty();
            long previous = -1;
            for (StepEvent e : r.events()) {
                assertThat(e.step()).as(r.name()).isGreaterThan(previous);
                assertThat(e.runId()).isEqualTo(r.name());
                previous = e.step();
            }
            if (r.diverging()) {
                assertThat(r.onsetStep())
                        .as(r.name())
                        .isBetween(r.events().get(0).step(), r.lastStep());
            } else {
                assertThat(r.firstNonFiniteStep())
                        .as("a healthy run never goes non-finite: " + r.name())
                        .isEqualTo(-1);
            }
        }
    }
}
