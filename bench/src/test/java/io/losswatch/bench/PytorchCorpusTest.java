package io.losswatch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.StepEvent;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PytorchCorpusTest {
    private static final List<BenchRun> ALL = PytorchCorpus.all();
    private static final List<BenchRun> TUNING = PytorchCorpus.part(Corpus.Half.TUNING);
    private static final List<BenchRun> HELD_OUT = PytorchCorpus.part(Corpus.Half.HELD_OUT);
    private static final List<List<BenchRun>> BLIND = IntStream.rangeClosed(1, PytorchCorpus.BLIND_SETS.size())
            .mapToObj(PytorchCorpus::blind)
            .toList();

    @Test
    void shouldHoldAtLeastSixtyRunsOfEightArchitectures() {
        assertThat(ALL).hasSizeGreaterThanOrEqualTo(60);
        assertThat(architectures(ALL))
                .containsExactlyInAnyOrder(
                        "mlp", "cnn", "cnn-bn", "resnet", "lstm", "transformer", "autoencoder", "regression");
        assertThat(ALL.stream().map(BenchRun::name).distinct()).hasSize(ALL.size());
    }

    @Test
    void shouldSplitIntoDisjointPartsWithAboutAThirdHeldOut() {
        Set<String> tuning = TUNING.stream().map(BenchRun::name).collect(Collectors.toSet());
        assertThat(HELD_OUT).noneMatch(r -> tuning.contains(r.name()));
        assertThat(TUNING.size() + HELD_OUT.size()).isEqualTo(ALL.size());
        assertThat(HELD_OUT.size()).isBetween(ALL.size() / 4, ALL.size() / 2);
    }

    @Test
    void shouldCoverEveryArchitectureAndBothLabelsInBothParts() {
        for (List<BenchRun> part : List.of(TUNING, HELD_OUT)) {
            assertThat(architectures(part.stream().filter(BenchRun::diverging).toList()))
                    .isEqualTo(architectures(ALL));
            assertThat(architectures(part.stream().filter(r -> !r.diverging()).toList()))
                    .isEqualTo(architectures(ALL));
        }
    }

    @Test
    void shouldRecordEachBlindSetWithRunsOfEveryArchitectureAndBothLabelsAndSettingsOfItsOwn() {
        Set<String> earlier = ALL.stream().map(BenchRun::name).collect(Collectors.toCollection(HashSet::new));
        Set<String> earlierSettings = PytorchCorpus.manifest().stream()
                .map(PytorchCorpus.Entry::setting)
                .collect(Collectors.toCollection(HashSet::new));
        for (int k = 0; k < BLIND.size(); k++) {
            List<BenchRun> set = BLIND.get(k);
            String folder = PytorchCorpus.BLIND_SETS.get(k);
            assertThat(set).as(folder).hasSizeGreaterThanOrEqualTo(40).noneMatch(r -> earlier.contains(r.name()));
            assertThat(architectures(set)).as(folder).isEqualTo(architectures(ALL));
            assertThat(set).as(folder).anyMatch(BenchRun::diverging).anyMatch(r -> !r.diverging());
            // settings of its own: none of any earlier set's
            assertThat(PytorchCorpus.manifest(folder)).as(folder).noneMatch(e -> earlierSettings.contains(e.setting()));
            set.forEach(r -> earlier.add(r.name()));
            PytorchCorpus.manifest(folder).forEach(e -> earlierSettings.add(e.setting()));
        }
    }

    @Test
    void shouldStartEveryDivergingRunsOnsetInsideTheRun() {
        for (BenchRun r : union()) {
            if (r.diverging()) {
                assertThat(r.onsetStep())
                        .as(r.name())
                        .isBetween(r.events().get(0).step(), r.lastStep());
            }
        }
    }

    @Test
    void shouldRecordEveryStepInOrderWithLossGradientNormAndRate() {
        for (BenchRun r : union()) {
            List<StepEvent> ev = r.events();
            // at least a few steps, unless it went non-finite at once (a blow-up at initialisation)
            assertThat(ev).as(r.name()).hasSizeGreaterThanOrEqualTo(r.endsNonFinite() ? 4 : 5);
            for (int i = 0; i < ev.size(); i++) {
                assertThat(ev.get(i).step()).as(r.name()).isEqualTo(i);
                assertThat(ev.get(i).gradNorm()).as(r.name()).isNotNull();
                // finite (zero or below where a schedule ran past its end, as the trainer logged it), but
                // where the loss is not: a rate computed from the loss (a Polyak step) is NaN with it
                assertThat(ev.get(i).learningRate()).as(r.name()).isNotNull();
                if (Double.isFinite(ev.get(i).loss())) {
                    assertThat(ev.get(i).learningRate()).as(r.name()).isFinite();
                }
            }
            // a trainer stops after a few non-finite losses
            long bad = ev.stream().filter(e -> !Double.isFinite(e.loss())).count();
            assertThat(bad).as(r.name()).isLessThanOrEqualTo(3);
            if (bad == 3) {
                assertThat(r.endsNonFinite())
                        .as(r.name() + " stops at its third non-finite loss")
                        .isTrue();
            }
        }
    }

    @Test
    void shouldMeasureValidationLossOnTheOverfittingRuns() {
        List<BenchRun> overfit = union().stream()
                .filter(r -> r.name().endsWith("-overfit") || r.name().endsWith("-overfit-momentum"))
                .toList();
        assertThat(overfit).isNotEmpty();
        for (BenchRun r : overfit) {
            assertThat(r.events().stream().filter(e -> e.valLoss() != null).count())
                    .as(r.name())
                    .isGreaterThanOrEqualTo(10);
        }
    }

    @Test
    void shouldChooseTheHeldOutRunsFromNamesAndLabelsAlone() {
        List<PytorchCorpus.Entry> entries = PytorchCorpus.manifest();
        Set<String> held = new HashSet<>(PytorchCorpus.heldOut(entries));
        List<PytorchCorpus.Entry> reversed = new java.util.ArrayList<>(entries);
        java.util.Collections.reverse(reversed);
        assertThat(new HashSet<>(PytorchCorpus.heldOut(reversed))).isEqualTo(held);
        Map<Boolean, Long> byLabel = entries.stream()
                .filter(e -> held.contains(e.run()))
                .collect(Collectors.partitioningBy(PytorchCorpus.Entry::diverging, Collectors.counting()));
        assertThat(byLabel.get(true)).isPositive();
        assertThat(byLabel.get(false)).isPositive();
        // the parts as drawn and scored: a label reviewed since moves no run between them
        // (DIVERGING_WHEN_SPLIT keeps the label each reviewed run had then)
        assertThat(held)
                .containsExactlyInAnyOrder(
                        "autoencoder-corrupt-batch",
                        "autoencoder-momentum-step-decay",
                        "autoencoder-overfit",
                        "autoencoder-sgd",
                        "cnn-adamw-cosine-restarts",
                        "cnn-bn-adamw-cosine-restarts",
                        "cnn-bn-lr-too-high-adam",
                        "cnn-bn-overfit",
                        "cnn-bn-rmsprop-onecycle",
                        "cnn-bn-sgd",
                        "cnn-lr-raised",
                        "cnn-momentum-warmup",
                        "cnn-overfit",
                        "lstm-adam-dropout",
                        "lstm-labels-scrambled",
                        "lstm-lr-too-high-sgd",
                        "lstm-momentum-clip-label-noise",
                        "lstm-rmsprop-onecycle",
                        "mlp-momentum-step-decay",
                        "mlp-no-normalization",
                        "mlp-overfit",
                        "mlp-rmsprop-onecycle",
                        "regression-adam-dropout",
                        "regression-corrupt-batch",
                        "regression-no-normalization",
                        "regression-overfit",
                        "resnet-corrupt-batch",
                        "resnet-labels-scrambled",
                        "resnet-lr-too-high-adam",
                        "resnet-momentum-step-decay",
                        "transformer-adam-warmup-cosine",
                        "transformer-adamw-cosine-restarts",
                        "transformer-overfit");
        for (String run : PytorchCorpus.DIVERGING_WHEN_SPLIT.keySet()) {
            PytorchCorpus.Entry e = entries.stream()
                    .filter(x -> x.run().equals(run))
                    .findFirst()
                    .orElseThrow();
            assertThat(e.diverging())
                    .as(run + " was relabelled")
                    .isNotEqualTo(PytorchCorpus.DIVERGING_WHEN_SPLIT.get(run));
        }
    }

    private static List<BenchRun> union() {
        List<BenchRun> all = new java.util.ArrayList<>(ALL);
        BLIND.forEach(all::addAll);
        return all;
    }

    private static Set<String> architectures(List<BenchRun> runs) {
        return runs.stream()
                .map(r -> r.family().replaceFirst("^pytorch-", "").replaceFirst("-healthy$", ""))
                .collect(Collectors.toSet());
    }
}
