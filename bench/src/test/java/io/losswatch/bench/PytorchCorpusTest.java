package io.losswatch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.StepEvent;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PytorchCorpusTest {
    private static final List<BenchRun> ALL = PytorchCorpus.all();
    private static final List<BenchRun> TUNING = PytorchCorpus.part(Corpus.Half.TUNING);
    private static final List<BenchRun> HELD_OUT = PytorchCorpus.part(Corpus.Half.HELD_OUT);
    private static final List<BenchRun> BLIND = PytorchCorpus.blind();
    private static final List<BenchRun> BLIND_2 = PytorchCorpus.blind2();
    private static final List<BenchRun> BLIND_3 = PytorchCorpus.blind3();

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
    void shouldRecordABlindSetOfOtherRunsOfEveryArchitectureAndBothLabels() {
        Set<String> first = ALL.stream().map(BenchRun::name).collect(Collectors.toSet());
        assertThat(BLIND).hasSizeGreaterThanOrEqualTo(40).noneMatch(r -> first.contains(r.name()));
        assertThat(architectures(BLIND)).isEqualTo(architectures(ALL));
        assertThat(BLIND).anyMatch(BenchRun::diverging).anyMatch(r -> !r.diverging());
        // settings of its own: none of the first set's
        Set<String> firstSettings = PytorchCorpus.manifest().stream()
                .map(PytorchCorpus.Entry::setting)
                .collect(Collectors.toSet());
        assertThat(PytorchCorpus.manifest(PytorchCorpus.BLIND)).noneMatch(e -> firstSettings.contains(e.setting()));
    }

    @Test
    void shouldRecordASecondBlindSetOfRunsAndSettingsOfItsOwn() {
        Set<String> earlier = new HashSet<>();
        ALL.forEach(r -> earlier.add(r.name()));
        BLIND.forEach(r -> earlier.add(r.name()));
        assertThat(BLIND_2).hasSizeGreaterThanOrEqualTo(40).noneMatch(r -> earlier.contains(r.name()));
        assertThat(architectures(BLIND_2)).isEqualTo(architectures(ALL));
        assertThat(BLIND_2).anyMatch(BenchRun::diverging).anyMatch(r -> !r.diverging());
        Set<String> earlierSettings = new HashSet<>();
        PytorchCorpus.manifest().forEach(e -> earlierSettings.add(e.setting()));
        PytorchCorpus.manifest(PytorchCorpus.BLIND).forEach(e -> earlierSettings.add(e.setting()));
        assertThat(PytorchCorpus.manifest(PytorchCorpus.BLIND_2)).noneMatch(e -> earlierSettings.contains(e.setting()));
    }

    @Test
    void shouldRecordAThirdBlindSetOfRunsAndSettingsOfItsOwn() {
        Set<String> earlier = new HashSet<>();
        for (List<BenchRun> set : List.of(ALL, BLIND, BLIND_2)) {
            set.forEach(r -> earlier.add(r.name()));
        }
        assertThat(BLIND_3).hasSizeGreaterThanOrEqualTo(40).noneMatch(r -> earlier.contains(r.name()));
        assertThat(architectures(BLIND_3)).isEqualTo(architectures(ALL));
        assertThat(BLIND_3).anyMatch(BenchRun::diverging).anyMatch(r -> !r.diverging());
        Set<String> earlierSettings = new HashSet<>();
        for (String set : List.of(PytorchCorpus.FIRST, PytorchCorpus.BLIND, PytorchCorpus.BLIND_2)) {
            PytorchCorpus.manifest(set).forEach(e -> earlierSettings.add(e.setting()));
        }
        assertThat(PytorchCorpus.manifest(PytorchCorpus.BLIND_3)).noneMatch(e -> earlierSettings.contains(e.setting()));
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
            assertThat(ev).as(r.name()).hasSizeGreaterThanOrEqualTo(5);
            for (int i = 0; i < ev.size(); i++) {
                assertThat(ev.get(i).step()).as(r.name()).isEqualTo(i);
                assertThat(ev.get(i).gradNorm()).as(r.name()).isNotNull();
                assertThat(ev.get(i).learningRate()).as(r.name()).isPositive();
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
    }

    private static List<BenchRun> union() {
        List<BenchRun> all = new java.util.ArrayList<>(ALL);
        all.addAll(BLIND);
        all.addAll(BLIND_2);
        all.addAll(BLIND_3);
        return all;
    }

    private static Set<String> architectures(List<BenchRun> runs) {
        return runs.stream()
                .map(r -> r.family().replaceFirst("^pytorch-", "").replaceFirst("-healthy$", ""))
                .collect(Collectors.toSet());
    }
}
