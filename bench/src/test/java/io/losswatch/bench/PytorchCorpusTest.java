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
    private static final List<BenchRun> BLIND_4 = PytorchCorpus.blind4();
    private static final List<BenchRun> BLIND_5 = PytorchCorpus.blind5();

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
    void shouldRecordTheLaterBlindSetsWithRunsAndSettingsOfTheirOwn() {
        List<List<BenchRun>> sets = List.of(ALL, BLIND, BLIND_2, BLIND_3, BLIND_4, BLIND_5);
        List<String> folders = List.of(
                PytorchCorpus.FIRST,
                PytorchCorpus.BLIND,
                PytorchCorpus.BLIND_2,
                PytorchCorpus.BLIND_3,
                PytorchCorpus.BLIND_4,
                PytorchCorpus.BLIND_5);
        for (int k = 3; k < sets.size(); k++) {
            Set<String> earlier = new HashSet<>();
            Set<String> earlierSettings = new HashSet<>();
            for (int j = 0; j < k; j++) {
                sets.get(j).forEach(r -> earlier.add(r.name()));
                PytorchCorpus.manifest(folders.get(j)).forEach(e -> earlierSettings.add(e.setting()));
            }
            List<BenchRun> set = sets.get(k);
            assertThat(set).hasSizeGreaterThanOrEqualTo(40).noneMatch(r -> earlier.contains(r.name()));
            assertThat(architectures(set)).isEqualTo(architectures(ALL));
            assertThat(set).anyMatch(BenchRun::diverging).anyMatch(r -> !r.diverging());
            assertThat(PytorchCorpus.manifest(folders.get(k))).noneMatch(e -> earlierSettings.contains(e.setting()));
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
        all.addAll(BLIND_4);
        all.addAll(BLIND_5);
        return all;
    }

    private static Set<String> architectures(List<BenchRun> runs) {
        return runs.stream()
                .map(r -> r.family().replaceFirst("^pytorch-", "").replaceFirst("-healthy$", ""))
                .collect(Collectors.toSet());
    }
}
