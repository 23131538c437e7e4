package io.losswatch.trainer;

import java.util.Random;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A stand-in for Fashion-MNIST when its files are missing: 28x28 grey images in 10 classes, each
 * class a fixed blocky pattern, every example shifted by up to two pixels, dimmed or brightened and
 * covered in noise. A CNN learns it in a few hundred steps, so healthy and diverging runs look
 * like they do on real data. The same seed gives the same images.
 */
public final class SyntheticImages {

    /** Fixes the class patterns, so every seed draws examples of the same ten classes. */
    private static final long PATTERN_SEED = 0x5EED_1A7EL;

    private static final int SIDE = FashionMnist.ROWS;
    private static final int CELL = 4;
    private static final double NOISE = 0.25;
    private static final int MAX_SHIFT = 2;

    private SyntheticImages() {}

    /** Generates {@code count} examples, classes drawn uniformly. */
    public static DataSet generate(int count, long seed) {
        float[][] patterns = patterns();
        Random random = new Random(seed);
        float[][] pixels = new float[count][];
        int[] classes = new int[count];
        for (int i = 0; i < count; i++) {
            classes[i] = random.nextInt(FashionMnist.NUM_CLASSES);
            pixels[i] = example(patterns[classes[i]], random);
        }
        return FashionMnist.toDataSet(pixels, classes, FashionMnist.NUM_CLASSES);
    }

    private static float[][] patterns() {
        Random random = new Random(PATTERN_SEED);
        int cells = SIDE / CELL;
        float[][] patterns = new float[FashionMnist.NUM_CLASSES][SIDE * SIDE];
        for (float[] pattern : patterns) {
            boolean[] on = new boolean[cells * cells];
            for (int c = 0; c < on.length; c++) {
                on[c] = random.nextDouble() < 0.35;
            }
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x++) {
                    pattern[y * SIDE + x] = on[(y / CELL) * cells + x / CELL] ? 0.8f : 0.05f;
                }
            }
        }
        return patterns;
    }

    private static float[] example(float[] pattern, Random random) {
        int dx = random.nextInt(2 * MAX_SHIFT + 1) - MAX_SHIFT;
        int dy = random.nextInt(2 * MAX_SHIFT + 1) - MAX_SHIFT;
        double gain = 0.6 + 0.8 * random.nextDouble();
        float[] image = new float[SIDE * SIDE];
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                int sx = Math.floorMod(x - dx, SIDE);
                int sy = Math.floorMod(y - dy, SIDE);
                double value = gain * pattern[sy * SIDE + sx] + NOISE * random.nextGaussian();
                image[y * SIDE + x] = (float) Math.min(1.0, Math.max(0.0, value));
            }
        }
        return image;
    }
}
