package io.losswatch.bench;

import io.losswatch.events.Cause;
import io.losswatch.events.StepEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import java.util.zip.GZIPInputStream;

/**
 * Real PyTorch training runs, recorded by {@code bench/corpus/record_pytorch_runs.py}: eight
 * architectures (MLP, CNN, CNN with BatchNorm, ResNet-style blocks, LSTM, a patch transformer, an
 * autoencoder, a regression) under healthy and failing settings, each labelled by what its curve did
 * and checked as the manifest says. Stored under {@code resources/io/losswatch/bench/pytorch/}: one
 * gzip'd TSV of every step and the manifest of labels.
 *
 * <p>Twelve sets: the first, and eleven blind ones ({@link #blind(int)}), each recorded once the rules of
 * its day were in, with settings no earlier set uses, and scored once as a whole; each has been used
 * for rules since.
 *
 * <p>The first set is split in two parts by a rule that looks at names and labels only, never at a detector's
 * output: within each architecture and label, the runs ordered by the CRC-32 of their name, every
 * {@value #HELD_OUT_EVERY}rd from the first is held out. So every architecture has both labels in
 * both parts wherever it has at least two runs of a label, and about a third is held out.
 */
public final class PytorchCorpus {

    /** The first set's folder; the runs of its tuning and held-out parts. */
    static final String FIRST = "pytorch";
    /**
     * The blind sets' folders, in the order they were recorded ({@code record_pytorch_runs.py --set
     * blind}, {@code --set blind-2}, ...): each recorded once the rules of its day were in, with settings
     * no earlier set uses, labelled from its curves, and scored once as a whole before any rule read it.
     */
    static final List<String> BLIND_SETS = List.of(
            "pytorch-blind",
            "pytorch-blind-2",
            "pytorch-blind-3",
            "pytorch-blind-4",
            "pytorch-blind-5",
            "pytorch-blind-6",
            "pytorch-blind-7",
            "pytorch-blind-8",
            "pytorch-blind-9",
            "pytorch-blind-10",
            "pytorch-blind-11");

    static final String MANIFEST = "manifest.tsv";
    static final String STEPS = "pytorch-runs.tsv.gz";
    /** One run in this many of each architecture and label is held out. */
    static final int HELD_OUT_EVERY = 3;
    /**
     * Runs of the first set whose label a later review changed, with the label they had when the parts
     * were drawn: the split groups them by that one, so that a review moves no run between the parts.
     */
    static final Map<String, Boolean> DIVERGING_WHEN_SPLIT =
            Map.of("cnn-bn-corrupt-batch", false, "resnet-corrupt-batch", false);

    /**
     * One line of the manifest.
     *
     * @param run the run's name, {@code arch-setting}
     * @param arch the architecture
     * @param setting what the run was set up to do (healthy or failing); the label says what it did
     * @param optimizer sgd, momentum, adam, adamw or rmsprop
     * @param momentum the optimizer's momentum or beta1 as the Python client labels it, empty for none
     * @param beta2 the second of the optimizer's betas as the Python client labels it, empty for none
     * @param diverging the label
     * @param onset the step the trouble began, -1 for a healthy run
     * @param cause the cause a diagnosis should give, null where none is fair to ask for
     * @param checked how the label was judged
     */
    public record Entry(
            String run,
            String arch,
            String setting,
            String optimizer,
            String momentum,
            String beta2,
            boolean diverging,
            long onset,
            Cause cause,
            String checked) {}

    private PytorchCorpus() {}

    public static List<Entry> manifest() {
        return manifest(FIRST);
    }

    static List<Entry> manifest(String set) {
        List<Entry> out = new ArrayList<>();
        for (String line : lines(path(set, MANIFEST), false)) {
            if (line.startsWith("#") || line.startsWith("run\t") || line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            out.add(new Entry(
                    f[0],
                    f[1],
                    f[2],
                    f[3],
                    f[4],
                    f[5],
                    f[8].equals("diverging"),
                    Long.parseLong(f[9]),
                    f[10].equals("-") ? null : Cause.valueOf(f[10]),
                    f[11]));
        }
        return out;
    }

    /** Every run of the first set, in manifest order. */
    public static List<BenchRun> all() {
        return all(FIRST);
    }

    /** Every run of blind set {@code k} (1 for the first, as in {@link #BLIND_SETS}), in manifest order. */
    public static List<BenchRun> blind(int k) {
        return all(BLIND_SETS.get(k - 1));
    }

    static List<BenchRun> all(String set) {
        Map<String, List<StepEvent>> steps = new LinkedHashMap<>();
        List<Entry> entries = manifest(set);
        Map<String, Entry> byName = entries.stream().collect(Collectors.toMap(Entry::run, e -> e));
        for (String line : lines(path(set, STEPS), true)) {
            if (line.startsWith("#") || line.startsWith("run\t") || line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            Entry e = byName.get(f[0]);
            if (e == null) {
                throw new IllegalStateException("recorded run " + f[0] + " is not in " + path(set, MANIFEST));
            }
            steps.computeIfAbsent(f[0], k -> new ArrayList<>())
                    .add(StepEvent.of(f[0], Long.parseLong(f[1]), num(f[2]))
                            .withGradNorm(num(f[3]))
                            .withLearningRate(num(f[4]))
                            .withValLoss(f[5].isEmpty() ? null : num(f[5]))
                            .withLabels(labels(e)));
        }
        List<BenchRun> runs = new ArrayList<>();
        for (Entry e : entries) {
            List<StepEvent> events = steps.get(e.run());
            if (events == null) {
                throw new IllegalStateException(
                        path(set, MANIFEST) + " lists " + e.run() + " but " + path(set, STEPS) + " has no steps");
            }
            String family = "pytorch-" + e.arch() + (e.diverging() ? "" : "-healthy");
            runs.add(new BenchRun(e.run(), family, e.diverging(), e.onset(), e.cause(), events));
        }
        return runs;
    }

    /** The tuning part ({@link Corpus.Half#TUNING}) or the held-out part ({@link Corpus.Half#HELD_OUT}). */
    public static List<BenchRun> part(Corpus.Half half) {
        List<BenchRun> runs = all();
        List<String> held = heldOut(manifest());
        return runs.stream()
                .filter(r -> held.contains(r.name()) == (half == Corpus.Half.HELD_OUT))
                .toList();
    }

    /**
     * The held-out runs' names: per architecture and label (as when the parts were drawn, {@link
     * #DIVERGING_WHEN_SPLIT}), ordered by CRC-32 of the name, every third from the first.
     */
    static List<String> heldOut(List<Entry> entries) {
        Map<String, List<Entry>> groups = entries.stream()
                .collect(Collectors.groupingBy(
                        e -> e.arch() + "/" + DIVERGING_WHEN_SPLIT.getOrDefault(e.run(), e.diverging()),
                        LinkedHashMap::new,
                        Collectors.toList()));
        List<String> out = new ArrayList<>();
        for (List<Entry> g : groups.values()) {
            List<Entry> sorted = g.stream()
                    .sorted(Comparator.comparingLong((Entry e) -> crc32(e.run()))
                            .thenComparing(Entry::run))
                    .toList();
            for (int i = 0; i < sorted.size(); i += HELD_OUT_EVERY) {
                out.add(sorted.get(i).run());
            }
        }
        return out;
    }

    private static String path(String set, String file) {
        return set + "/" + file;
    }

    /**
     * What a trainer attaching through a client would send: the optimizer, its momentum (or beta1) and
     * beta2, and the class count of a classifier.
     */
    private static Map<String, String> labels(Entry e) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("optimizer", e.optimizer());
        labels.put("model", e.arch());
        if (!e.momentum().isEmpty()) {
            labels.put("momentum", e.momentum());
        }
        if (!e.beta2().isEmpty()) {
            labels.put("beta2", e.beta2());
        }
        if (!e.arch().equals("autoencoder") && !e.arch().equals("regression")) {
            labels.put("num_classes", "10");
        }
        return Map.copyOf(labels);
    }

    static long crc32(String s) {
        CRC32 c = new CRC32();
        c.update(s.getBytes(StandardCharsets.UTF_8));
        return c.getValue();
    }

    private static List<String> lines(String resource, boolean gzip) {
        InputStream in = PytorchCorpus.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("missing benchmark resource " + resource);
        }
        try (InputStream raw = gzip ? new GZIPInputStream(in) : in;
                BufferedReader r = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8))) {
            return r.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double num(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "nan" -> Double.NaN;
            case "inf", "infinity" -> Double.POSITIVE_INFINITY;
            case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s);
        };
    }
}
