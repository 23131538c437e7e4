package io.losswatch.bench;

import io.losswatch.detector.DetectorConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Runs Losswatch and the baselines on both halves of the corpus and prints its table.
 * The baselines with a threshold to choose are tuned on the tuning half only, exactly as the detector's
 * thresholds were; the spike guards run with their defaults.
 */
public final class DetectionBenchmark {

    /** The rows of one half. */
    public record HalfReport(Corpus.Half half, List<BenchRun> runs, List<Scorer.Row> rows) {
        public Scorer.Row losswatch() {
            return rows.get(0);
        }

        /** Of the baselines without a false alarm on this half: most recall, then shortest median delay. */
        public Scorer.Row bestBaseline() {
            Scorer.Row best = null;
            for (Scorer.Row r : rows.subList(1, rows.size())) {
                if (r.falseAlarms() > 0) {
                    continue;
                }
                if (best == null
                        || r.recall() > best.recall()
                        || (r.recall() == best.recall() && r.medianDelay() < best.medianDelay())) {
                    best = r;
                }
            }
            return best;
        }
    }

    /**
     * @param halves the synthetic corpus' halves
     * @param pytorch the same parts of the first set of recorded PyTorch runs ({@link PytorchCorpus})
     * @param blind the blind sets of recorded PyTorch runs, scored with the held-out half; empty when
     *     the held-out half is not asked for
     */
    public record Report(List<HalfReport> halves, List<HalfReport> pytorch, List<BlindSet> blind) {}

    /**
     * One blind set of recorded runs, scored as a whole.
     *
     * @param name how the tables name it
     * @param note what it is for, in brackets after the name
     */
    public record BlindSet(String name, String note, HalfReport report) {}

    /** How the tables name each blind set of {@link PytorchCorpus#BLIND_SETS}, and what it is for now. */
    private static final List<String> BLIND_NAMES = List.of(
            "blind set",
            "second blind set",
            "third blind set",
            "fourth blind set",
            "fifth blind set",
            "sixth blind set",
            "seventh blind set",
            "eighth blind set",
            "ninth blind set",
            "tenth blind set",
            "eleventh blind set");

    private static final List<String> BLIND_NOTES = List.of(
            "recorded after the first rules, scored once, then used for the rules",
            "recorded after the rules, settings of its own: scored once, then used for two rules",
            "recorded after the rules, settings of its own: scored once, then used for the validation climb",
            "recorded after the rules, settings of its own: scored once, then used for two rules",
            "recorded after the rules, settings of its own: scored once, then used for one rule",
            "recorded after the rules, settings of its own: scored once, then used for one rule",
            "recorded after the rules, settings of its own: scored once, then used for one rule",
            "recorded after the rules, settings of its own: scored once, then used for one rule",
            "recorded after the rules, settings of its own: scored once, then used for one rule",
            "recorded after the rules, settings of its own: scored once, then used for one rule",
            "recorded after the rules, settings of its own: scored once, then used for one rule");

    /**
     * Losswatch alone on the synthetic runs of consecutive seeds, added up: one half has about 50
     * NaN-ending runs and 174 healthy ones, so a single run more or less moves its rates by 0.6-2
     * points; the sweep gives the rates themselves. After the held-out seed, on runs no threshold was
     * chosen on; from development seeds ({@code --dev-seeds}), to work on the detector without
     * looking at the benchmark's halves.
     *
     * @param firstSeed the first seed; the sweep takes {@code seeds} consecutive ones
     * @param row all their runs, scored together
     * @param perSeed each seed's runs, scored alone (run names repeat from seed to seed)
     */
    public record Sweep(long firstSeed, int seeds, Scorer.Row row, List<Scorer.Row> perSeed) {}

    /** The seeds after the held-out half's: never used for tuning nor looked at before their scoring. */
    public static Sweep sweep(DetectorConfig config, int seeds) {
        return sweep(config, Corpus.Half.HELD_OUT.seed() + 1, seeds);
    }

    public static Sweep sweep(DetectorConfig config, long first, int seeds) {
        LosswatchRunDetector d = new LosswatchRunDetector(config);
        List<BenchRun> runs = new ArrayList<>();
        List<Scorer.Row> perSeed = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            List<BenchRun> seedRuns = Corpus.synthetic(first + i);
            perSeed.add(Scorer.score(d, seedRuns));
            runs.addAll(seedRuns);
        }
        return new Sweep(first, seeds, Scorer.score(d, runs), perSeed);
    }

    /** The sweep's runs Losswatch got wrong, seed by seed, as {@code --details} lists them for a half. */
    public static void printDetails(Sweep s, PrintWriter out) {
        for (int i = 0; i < s.perSeed().size(); i++) {
            out.printf(Locale.ROOT, "%nSeed 0x%X:", s.firstSeed() + i);
            printDetails(s.perSeed().get(i), out);
        }
    }

    public static void print(Sweep s, PrintWriter out) {
        Scorer.Row r = s.row();
        out.printf(
                Locale.ROOT,
                "%nSweep: Losswatch alone on the synthetic runs of %d seed%s, 0x%X-0x%X%s, %d runs:%n",
                s.seeds(),
                s.seeds() == 1 ? "" : "s",
                s.firstSeed(),
                s.firstSeed() + s.seeds() - 1,
                s.firstSeed() == Corpus.Half.HELD_OUT.seed() + 1 ? " (the seeds after the held-out one)" : "",
                r.diverging() + r.healthy());
        out.printf(
                Locale.ROOT,
                "recall %s, false alarms %s, median delay %s, p90 delay %s, alerted before NaN %s "
                        + "(median lead %s), cause right %s%n",
                pct(r.caught(), r.diverging()),
                pct(r.falseAlarms(), r.healthy()),
                steps(r.medianDelay()),
                steps(r.p90Delay()),
                pct(r.nanBefore(), r.nanEnding()),
                steps(r.medianLead()),
                pct(r.causeRight(), r.causeKnown()));
        // per family: runs, caught (diverging) or false alarms (healthy)
        Map<String, int[]> fam = Scorer.byFamily(r.results());
        Map<String, Boolean> diverging = new HashMap<>();
        r.results().forEach(x -> diverging.put(x.run().family(), x.run().diverging()));
        List<String> misses = new ArrayList<>();
        List<String> alarms = new ArrayList<>();
        fam.forEach((family, c) -> {
            if (diverging.get(family) && c[1] < c[0]) {
                misses.add(family + " " + (c[0] - c[1]));
            } else if (!diverging.get(family) && c[1] > 0) {
                alarms.add(family + " " + c[1]);
            }
        });
        out.printf(
                Locale.ROOT,
                "missed: %s; false alarms: %s%n",
                misses.isEmpty() ? "none" : String.join(", ", misses),
                alarms.isEmpty() ? "none" : String.join(", ", alarms));
    }

    private DetectionBenchmark() {}

    public static Report run(DetectorConfig config, List<Corpus.Half> halves) {
        List<BenchRun> tuning = Corpus.generate(Corpus.Half.TUNING);
        List<RunDetector> detectors = new ArrayList<>(List.of(
                new LosswatchRunDetector(config),
                Baselines.nanOnly(),
                Baselines.Threshold.tune(tuning),
                Baselines.DerivRule.tune(tuning)));
        detectors.addAll(Baselines.spikeDetectors());
        List<HalfReport> synthetic =
                scoreEach(detectors, halves, h -> h == Corpus.Half.TUNING ? tuning : Corpus.generate(h));
        List<BlindSet> blind = new ArrayList<>();
        for (int k = 1; halves.contains(Corpus.Half.HELD_OUT) && k <= PytorchCorpus.BLIND_SETS.size(); k++) {
            blind.add(new BlindSet(
                    BLIND_NAMES.get(k - 1),
                    BLIND_NOTES.get(k - 1),
                    score(detectors, Corpus.Half.HELD_OUT, PytorchCorpus.blind(k))));
        }
        return new Report(synthetic, scoreEach(detectors, halves, PytorchCorpus::part), blind);
    }

    private static List<HalfReport> scoreEach(
            List<RunDetector> detectors, List<Corpus.Half> halves, Function<Corpus.Half, List<BenchRun>> corpus) {
        return halves.stream().map(h -> score(detectors, h, corpus.apply(h))).toList();
    }

    private static HalfReport score(List<RunDetector> detectors, Corpus.Half half, List<BenchRun> runs) {
        return new HalfReport(
                half, runs, detectors.stream().map(d -> Scorer.score(d, runs)).toList());
    }

    // ------------------------------------------------------------------ printing

    public static void print(Report report, PrintWriter out, boolean families, boolean details) {
        for (HalfReport h : report.halves()) {
            long div = h.runs().stream().filter(BenchRun::diverging).count();
            out.printf(
                    Locale.ROOT,
                    "%n%s half (seed 0x%X): %d runs, %d diverging, %d healthy, %d steps%n%n",
                    capitalize(h.half().label()),
                    h.half().seed(),
                    h.runs().size(),
                    div,
                    h.runs().size() - div,
                    h.runs().stream().mapToLong(r -> r.events().size()).sum());
            printRows(h.rows(), out);
            Scorer.Row lw = h.losswatch();
            out.printf(
                    Locale.ROOT,
                    "%nDiagnosis UNKNOWN where the events carry no evidence of a cause: %d/%d runs.%n",
                    lw.thinUnknown(),
                    lw.thin());
            if (families) {
                printFamilies(h, out);
            }
            if (details) {
                printDetails(h.losswatch(), out);
            }
            out.println();
            out.println(summary(h));
            out.println(targets(h));
        }
        for (HalfReport h : report.pytorch()) {
            printRecorded(
                    h,
                    h.half().label() + " part",
                    h.half() == Corpus.Half.HELD_OUT ? "held out: score once" : "for tuning",
                    out,
                    families,
                    details);
        }
        for (BlindSet b : report.blind()) {
            printRecorded(b.report(), b.name(), b.note(), out, families, details);
        }
    }

    private static void printRecorded(
            HalfReport h, String part, String note, PrintWriter out, boolean families, boolean details) {
        long div = h.runs().stream().filter(BenchRun::diverging).count();
        out.printf(
                Locale.ROOT,
                "%nRecorded PyTorch runs, %s (%s): %d runs, %d diverging, %d healthy, %d steps%n%n",
                part,
                note,
                h.runs().size(),
                div,
                h.runs().size() - div,
                h.runs().stream().mapToLong(r -> r.events().size()).sum());
        printRows(h.rows(), out);
        if (families) {
            printFamilies(h, out);
        }
        if (details) {
            printDetails(h.losswatch(), out);
        }
        out.println();
        out.println(summary(h, "recorded PyTorch runs, " + part));
        out.println(targets(h, "recorded PyTorch runs, " + part));
    }

    private static void printRows(List<Scorer.Row> rows, PrintWriter out) {
        out.println(
                "| detector | recall | false alarms | early | median delay | p90 delay | alerted before NaN | median lead | cause right |");
        out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Scorer.Row r : rows) {
            out.printf(
                    Locale.ROOT,
                    "| %s | %s | %d/%d | %d | %s | %s | %s | %s | %s |%n",
                    r.detector(),
                    pct(r.caught(), r.diverging()),
                    r.falseAlarms(),
                    r.healthy(),
                    r.early(),
                    steps(r.medianDelay()),
                    steps(r.p90Delay()),
                    pct(r.nanBefore(), r.nanEnding()),
                    steps(r.medianLead()),
                    r.causeRight() < 0 ? "n/a" : pct(r.causeRight(), r.causeKnown()));
        }
    }

    static String summary(HalfReport h) {
        return summary(h, h.half().label());
    }

    static String summary(HalfReport h, String label) {
        Scorer.Row lw = h.losswatch();
        Scorer.Row b = h.bestBaseline();
        if (b == null) {
            return "Summary: no baseline went without a false alarm on this half.";
        }
        double[] common = commonDelays(lw, b);
        return String.format(
                Locale.ROOT,
                "Summary (%s): Losswatch caught %s of diverging runs with %d false alarm%s; the best baseline "
                        + "without false alarms (%s) caught %s. Median delay %s vs %s steps (on the %d runs both "
                        + "caught: %s vs %s). Alerted before the NaN: %s vs %s, median lead %s vs %s steps "
                        + "(at most %s: an alert at every onset). Cause right on %s of runs with a known cause.",
                label,
                pct(lw.caught(), lw.diverging()),
                lw.falseAlarms(),
                lw.falseAlarms() == 1 ? "" : "s",
                b.detector(),
                pct(b.caught(), b.diverging()),
                steps(lw.medianDelay()),
                steps(b.medianDelay()),
                (int) common[2],
                steps(common[0]),
                steps(common[1]),
                pct(lw.nanBefore(), lw.nanEnding()),
                pct(b.nanBefore(), b.nanEnding()),
                steps(lw.medianLead()),
                steps(b.medianLead()),
                steps(leadBound(lw)),
                pct(lw.causeRight(), lw.causeKnown()));
    }

    static String targets(HalfReport h) {
        return targets(h, h.half().label());
    }

    static String targets(HalfReport h, String label) {
        Scorer.Row lw = h.losswatch();
        Scorer.Row b = h.bestBaseline();
        boolean recall = lw.caught() == lw.diverging();
        boolean fa = lw.falseAlarms() == 0;
        // on the runs both caught: the same runs, so the same difficulty
        double[] common = b == null ? null : commonDelays(lw, b);
        boolean delay = common != null && common[0] <= common[1] / 2;
        boolean nan = lw.nanBefore() >= 0.95 * lw.nanEnding() && lw.medianLead() >= 10;
        boolean cause = lw.causeRight() >= 0.9 * lw.causeKnown();
        return String.format(
                Locale.ROOT,
                "Targets (%s): recall 100%% %s, no false alarm %s, median delay <= half the best baseline's (runs both caught) %s, "
                        + ">= 95%% before NaN with median lead >= 10 %s%s, cause >= 90%% %s.",
                label,
                mark(recall),
                mark(fa),
                mark(delay),
                mark(nan),
                leadBound(lw) < 10
                        ? String.format(
                                Locale.ROOT,
                                " (no detector can: these runs turn NaN a median %s steps after their onset)",
                                steps(leadBound(lw)))
                        : "",
                mark(cause));
    }

    /**
     * The median lead an alert at every onset would have, over the runs that turn NaN after their
     * onset: how far before the NaN any detector can be, on these runs.
     */
    static double leadBound(Scorer.Row r) {
        List<Long> bounds = new ArrayList<>();
        for (Scorer.RunResult x : r.results()) {
            BenchRun run = x.run();
            long nan = run.firstNonFiniteStep();
            if (run.diverging() && run.endsNonFinite() && nan > run.onsetStep()) {
                bounds.add(nan - run.onsetStep());
            }
        }
        return Scorer.quantile(bounds, 0.5);
    }

    /** Median delays of a and b over the runs both caught, and how many those are. */
    static double[] commonDelays(Scorer.Row a, Scorer.Row b) {
        Map<String, Long> bd = new HashMap<>();
        for (Scorer.RunResult x : b.results()) {
            if (x.caughtBy() != null) {
                bd.put(x.run().name(), x.delay());
            }
        }
        List<Long> da = new ArrayList<>();
        List<Long> db = new ArrayList<>();
        for (Scorer.RunResult x : a.results()) {
            Long other = bd.get(x.run().name());
            if (x.caughtBy() != null && other != null) {
                da.add(x.delay());
                db.add(other);
            }
        }
        return new double[] {Scorer.quantile(da, 0.5), Scorer.quantile(db, 0.5), da.size()};
    }

    private static void printFamilies(HalfReport h, PrintWriter out) {
        out.println();
        out.print("| family | runs |");
        for (Scorer.Row r : h.rows()) {
            out.print(" " + shortName(r.detector()) + " |");
        }
        out.println();
        out.print("|---|---:|");
        h.rows().forEach(r -> out.print("---:|"));
        out.println();
        List<Map<String, int[]>> per =
                h.rows().stream().map(r -> Scorer.byFamily(r.results())).toList();
        for (String fam : per.get(0).keySet()) {
            int[] first = per.get(0).get(fam);
            boolean diverging = h.runs().stream()
                    .filter(r -> r.family().equals(fam))
                    .findFirst()
                    .map(BenchRun::diverging)
                    .orElse(false);
            out.printf(Locale.ROOT, "| %s (%s) | %d |", fam, diverging ? "caught" : "false alarms", first[0]);
            for (Map<String, int[]> m : per) {
                int[] c = m.get(fam);
                out.printf(Locale.ROOT, " %d%s |", c[1], c[2] > 0 ? " (" + c[2] + " early)" : "");
            }
            out.println();
        }
    }

    private static void printDetails(Scorer.Row lw, PrintWriter out) {
        out.println();
        out.println("Losswatch, run by run (misses, false alarms, early alerts, wrong causes, slow catches, alerts"
                + " only after the NaN):");
        for (Scorer.RunResult x : lw.results()) {
            BenchRun r = x.run();
            boolean wrongCause =
                    r.cause() != null && x.caughtBy() != null && x.caughtBy().cause() != r.cause();
            boolean slow = x.caughtBy() != null && x.delay() > 100;
            boolean afterNan = r.firstNonFiniteStep() >= 0
                    && (x.caughtBy() == null || x.caughtBy().step() >= r.firstNonFiniteStep());
            if (x.falseAlarm()
                    || (r.diverging() && x.caughtBy() == null)
                    || x.early()
                    || wrongCause
                    || slow
                    || afterNan) {
                out.printf(
                        Locale.ROOT,
                        "  %-34s onset %5d nan %5d cause %-27s -> %s%n",
                        r.name(),
                        r.onsetStep(),
                        r.firstNonFiniteStep(),
                        r.cause(),
                        x.firings().isEmpty()
                                ? "no alert"
                                : x.firings().stream()
                                        .map(f -> f.type() + "@" + f.step() + (f.cause() == null ? "" : "/" + f.cause())
                                                + (f.detail().isEmpty() ? "" : " {" + f.detail() + "}"))
                                        .toList());
            }
        }
    }

    private static String shortName(String detector) {
        int space = detector.indexOf(' ');
        return detector.startsWith("Losswatch") ? "Losswatch" : space > 0 ? detector.substring(0, space) : detector;
    }

    private static String mark(boolean ok) {
        return ok ? "met" : "NOT met";
    }

    static String pct(int a, int b) {
        return b == 0 ? "n/a" : String.format(Locale.ROOT, "%.1f%% (%d/%d)", 100.0 * a / b, a, b);
    }

    static String steps(double d) {
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.0f", d);
    }

    private static String capitalize(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
