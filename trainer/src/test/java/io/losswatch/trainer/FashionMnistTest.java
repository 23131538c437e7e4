package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

class FashionMnistTest {

    @TempDir
    Path dir;

    /** Image i has every pixel equal to 10 * (i + 1), except pixel i, which is 255. */
    private static byte[] images(int count) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(FashionMnist.IMAGES_MAGIC);
        out.writeInt(count);
        out.writeInt(28);
        out.writeInt(28);
        for (int i = 0; i < count; i++) {
            for (int p = 0; p < 784; p++) {
                out.writeByte(p == i ? 255 : 10 * (i + 1));
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] labels(int... classes) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(FashionMnist.LABELS_MAGIC);
        out.writeInt(classes.length);
        for (int c : classes) {
            out.writeByte(c);
        }
        return bytes.toByteArray();
    }

    private void write(String name, byte[] content, boolean gzip) throws IOException {
        try (OutputStream out = gzip
                ? new GZIPOutputStream(Files.newOutputStream(dir.resolve(name + ".gz")))
                : Files.newOutputStream(dir.resolve(name))) {
            out.write(content);
        }
    }

    @Test
    void shouldReadGzippedIdxFilesIntoScaledPixelsAndOneHotLabels() throws IOException {
        write("train-images-idx3-ubyte", images(3), true);
        write("train-labels-idx1-ubyte", labels(0, 9, 3), true);

        assertThat(FashionMnist.isPresent(dir, FashionMnist.Part.TRAIN)).isTrue();
        assertThat(FashionMnist.isPresent(dir, FashionMnist.Part.TEST)).isFalse();
        DataSet data = FashionMnist.load(dir, FashionMnist.Part.TRAIN, 100);

        assertThat(data.getFeatures().shape()).containsExactly(3, 784);
        assertThat(data.getLabels().shape()).containsExactly(3, 10);
        assertThat(data.getFeatures().getDouble(1, 0)).isCloseTo(20 / 255.0, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(data.getFeatures().getDouble(1, 1)).isEqualTo(1.0);
        assertThat(data.getLabels().getRow(1).toDoubleVector()).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
        assertThat(data.getLabels().argMax(1).toIntVector()).containsExactly(0, 9, 3);
    }

    @Test
    void shouldReadUncompressedFilesAndStopAtTheLimit() throws IOException {
        write("t10k-images-idx3-ubyte", images(4), false);
        write("t10k-labels-idx1-ubyte", labels(1, 2, 3, 4), false);

        DataSet data = FashionMnist.load(dir, FashionMnist.Part.TEST, 2);

        assertThat(data.numExamples()).isEqualTo(2);
        assertThat(data.getLabels().argMax(1).toIntVector()).containsExactly(1, 2);
    }

    @Test
    void shouldRejectAFileThatIsNotIdx() throws IOException {
        write("train-images-idx3-ubyte", labels(1, 2), true);
        write("train-labels-idx1-ubyte", labels(1, 2), true);

        assertThatThrownBy(() -> FashionMnist.load(dir, FashionMnist.Part.TRAIN, 10))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not an IDX3 image file");
    }

    @Test
    void shouldRejectATruncatedFile() throws IOException {
        byte[] full = images(3);
        write("train-images-idx3-ubyte", java.util.Arrays.copyOf(full, full.length - 100), true);
        write("train-labels-idx1-ubyte", labels(1, 2, 3), true);

        assertThatThrownBy(() -> FashionMnist.load(dir, FashionMnist.Part.TRAIN, 10))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("ends before");
    }

    @Test
    void shouldFallBackToSyntheticImagesWhenTheFilesAreMissing() throws IOException {
        TrainingData data = TrainingData.load(dir, 50, 10, 7);

        assertThat(data.synthetic()).isTrue();
        assertThat(data.description()).contains("synthetic");
        assertThat(data.train().numExamples()).isEqualTo(40);
        assertThat(data.validation().numExamples()).isEqualTo(10);
    }
}
