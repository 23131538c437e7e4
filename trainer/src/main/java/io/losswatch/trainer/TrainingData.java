package io.losswatch.trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The examples a run trains and validates on, and where they came from.
 *
 * @param train       training examples, features {@code [n, 784]}, one-hot labels {@code [n, 10]}
 * @param validation  held-out examples, possibly empty (null) when none were asked for
 * @param description one line for the console, e.g. "Fashion-MNIST from /usr/share/..., 60000 examples"
 * @param synthetic   true when the IDX files were missing and {@link SyntheticImages} stands in
 */
public record TrainingData(DataSet train, DataSet validation, String description, boolean synthetic) {

    /**
     * Loads up to {@code limit} Fashion-MNIST training examples from {@code dir}, shuffled with
     * {@code seed}, and holds the last {@code validationCount} of them out; generates synthetic
     * images when the files are missing.
     */
    public static TrainingData load(Path dir, int limit, int validationCount, long seed) throws IOException {
        if (FashionMnist.isPresent(dir, FashionMnist.Part.TRAIN)) {
            DataSet all = FashionMnist.load(dir, FashionMnist.Part.TRAIN, limit);
            return split(all, validationCount, seed, "Fashion-MNIST from " + dir, false);
        }
        DataSet all = SyntheticImages.generate(limit, seed);
        return split(
                all,
                validationCount,
                seed,
                "no Fashion-MNIST IDX files in " + dir + ": using synthetic 28x28 images",
                true);
    }

    /** Shuffles deterministically, then holds the last {@code validationCount} examples out. */
    public static TrainingData split(DataSet all, int validationCount, long seed, String source, boolean synthetic) {
        int n = all.numExamples();
        int held = Math.max(0, Math.min(validationCount, n - 1));
        int[] order = permutation(n, seed);
        DataSet train = rows(all, order, 0, n - held);
        DataSet validation = held == 0 ? null : rows(all, order, n - held, n);
        String description = "%s (%d training, %d validation examples)".formatted(source, n - held, held);
        return new TrainingData(train, validation, description, synthetic);
    }

    static int[] permutation(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static DataSet rows(DataSet all, int[] order, int from, int to) {
        int[] idx = java.util.Arrays.copyOfRange(order, from, to);
        INDArray features = all.getFeatures().getRows(idx);
        INDArray labels = all.getLabels().getRows(idx);
        return new DataSet(features, labels);
    }
}
