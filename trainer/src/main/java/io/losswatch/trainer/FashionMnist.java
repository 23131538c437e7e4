package io.losswatch.trainer;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads Fashion-MNIST (or MNIST) from IDX files, gzipped or not, into ND4J data sets: features
 * {@code [n, 784]} with pixels scaled to [0, 1], labels one-hot {@code [n, 10]}.
 */
public final class FashionMnist {

    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int ROWS = 28;
    public static final int COLUMNS = 28;
    public static final int NUM_CLASSES = 10;

    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private FashionMnist() {}

    /** Which half of the data set: the 60,000 training or the 10,000 test examples. */
    public enum Part {
        TRAIN("train"),
        TEST("t10k");

        private final String prefix;

        Part(String prefix) {
            this.prefix = prefix;
        }
    }

    /** True when both IDX files of {@code part} are in {@code dir}. */
    public static boolean isPresent(Path dir, Part part) {
        return idxFile(dir, part.prefix + "-images-idx3-ubyte") != null
                && idxFile(dir, part.prefix + "-labels-idx1-ubyte") != null;
    }

    /** Loads up to {@code limit} examples of {@code part}, in file order. */
    public static DataSet load(Path dir, Part part, int limit) throws IOException {
        Path images = require(dir, part.prefix + "-images-idx3-ubyte");
        Path labels = require(dir, part.prefix + "-labels-idx1-ubyte");
        float[][] pixels;
        try (InputStream in = open(images)) {
            pixels = readImages(in, limit);
        }
        int[] classes;
        try (InputStream in = open(labels)) {
            classes = readLabels(in, limit);
        }
        if (pixels.length != classes.length) {
            throw new IOException(
                    "%s has %d images but %s has %d labels".formatted(images, pixels.length, labels, classes.length));
        }
        return toDataSet(pixels, classes, NUM_CLASSES);
    }

    /** Builds a data set from flat pixel rows and class indices. */
    static DataSet toDataSet(float[][] pixels, int[] classes, int numClasses) {
        INDArray features = Nd4j.create(pixels);
        INDArray labels = Nd4j.zeros(classes.length, numClasses);
        for (int i = 0; i < classes.length; i++) {
            labels.putScalar(i, classes[i], 1.0);
        }
        return new DataSet(features, labels);
    }

    /** Reads an IDX3 unsigned-byte image file; each image becomes one row of {@code pixel/255}. */
    static float[][] readImages(InputStream raw, int limit) throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16));
        int magic = in.readInt();
        if (magic != IMAGES_MAGIC) {
            throw new IOException("not an IDX3 image file (magic 0x%08x)".formatted(magic));
        }
        int count = Math.min(in.readInt(), limit);
        int size = in.readInt() * in.readInt();
        byte[] buffer = new byte[size];
        float[][] images = new float[count][size];
        for (int i = 0; i < count; i++) {
            readFully(in, buffer);
            for (int p = 0; p < size; p++) {
                images[i][p] = (buffer[p] & 0xff) / 255f;
            }
        }
        return images;
    }

    /** Reads an IDX1 unsigned-byte label file. */
    static int[] readLabels(InputStream raw, int limit) throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16));
        int magic = in.readInt();
        if (magic != LABELS_MAGIC) {
            throw new IOException("not an IDX1 label file (magic 0x%08x)".formatted(magic));
        }
        int count = Math.min(in.readInt(), limit);
        byte[] buffer = new byte[count];
        readFully(in, buffer);
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = buffer[i] & 0xff;
        }
        return labels;
    }

    private static void readFully(DataInputStream in, byte[] buffer) throws IOException {
        try {
            in.readFully(buffer);
        } catch (EOFException e) {
            throw new IOException("IDX file ends before its header says it should", e);
        }
    }

    private static Path require(Path dir, String base) throws IOException {
        Path file = idxFile(dir, base);
        if (file == null) {
            throw new IOException("no " + base + "[.gz] in " + dir);
        }
        return file;
    }

    private static Path idxFile(Path dir, String base) {
        for (String name : new String[] {base + ".gz", base}) {
            Path file = dir.resolve(name);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        return null;
    }

    /** Opens a file, unzipping it when it starts with the gzip magic bytes. */
    private static InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int b1 = in.read();
        int b2 = in.read();
        in.reset();
        return b1 == 0x1f && b2 == 0x8b ? new GZIPInputStream(in, 1 << 16) : in;
    }
}
