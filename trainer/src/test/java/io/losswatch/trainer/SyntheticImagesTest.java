package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

class SyntheticImagesTest {

    @Test
    void shouldGenerateTheSameImagesForTheSameSeed() {
        DataSet a = SyntheticImages.generate(64, 11);
        DataSet b = SyntheticImages.generate(64, 11);
        DataSet c = SyntheticImages.generate(64, 12);

        assertThat(a.getFeatures()).isEqualTo(b.getFeatures());
        assertThat(a.getLabels()).isEqualTo(b.getLabels());
        assertThat(a.getFeatures()).isNotEqualTo(c.getFeatures());
    }

    @Test
    void shouldLookLikeFashionMnist() {
        DataSet data = SyntheticImages.generate(500, 3);

        assertThat(data.getFeatures().shape()).containsExactly(500, 784);
        assertThat(data.getLabels().shape()).containsExactly(500, 10);
        assertThat(data.getFeatures().minNumber().doubleValue()).isGreaterThanOrEqualTo(0);
        assertThat(data.getFeatures().maxNumber().doubleValue()).isLessThanOrEqualTo(1);
        assertThat(data.getLabels().sum(1).toDoubleVector()).containsOnly(1.0);
        Set<Integer> classes = new HashSet<>();
        for (int c : data.getLabels().argMax(1).toIntVector()) {
            classes.add(c);
        }
        assertThat(classes).hasSize(10);
    }

    @Test
    void shouldSplitDeterministicallyIntoDisjointParts() {
        DataSet all = SyntheticImages.generate(100, 5);

        TrainingData first = TrainingData.split(all, 20, 9, "test", true);
        TrainingData again = TrainingData.split(all, 20, 9, "test", true);

        assertThat(first.train().numExamples()).isEqualTo(80);
        assertThat(first.validation().numExamples()).isEqualTo(20);
        assertThat(first.train().getFeatures()).isEqualTo(again.train().getFeatures());
        assertThat(first.validation().getFeatures())
                .isEqualTo(again.validation().getFeatures());
        // Every example lands in exactly one part.
        int[] order = TrainingData.permutation(100, 9);
        assertThat(java.util.Arrays.stream(order).sorted().toArray())
                .isEqualTo(java.util.stream.IntStream.range(0, 100).toArray());
        assertThat(first.validation().getFeatures().getRow(0))
                .isEqualTo(all.getFeatures().getRow(order[80]));
    }
}
