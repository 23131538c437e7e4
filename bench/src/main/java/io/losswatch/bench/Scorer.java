package io.losswatch.bench;

import io.losswatch.events.Cause;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores a detector on labelled runs. A diverging run counts as caught by the first alert at or
 * after its onset; an alert before the onset is counted apart ({@code early}) and does not catch it.
 * Any alert on a healthy run is a false alarm.
 */
public final class Scorer {

    /** What happened on one run. */
    public record RunResult(
            BenchRun run, List<RunDetector.Firing> firings, RunDetector.Firing caughtBy, boolean early) {
        public boolean falseAlarm() {
            return !run.diverging() && !firings.isEmpty();
        }

        public long delay() {
            return caughtBy == null ? -1 : caughtBy.step() - run.onsetStep();
        }
    }

    /**
     * One row of the table.
     *
     * @param diverging diverging runs
     * @param caught of those, caught at or after the onset
     * @param early diverging runs with an alert before their onset
     * @param healthy healthy runs
     * @param falseAlarms healthy runs with any alert
     * @param medianDelay steps from onset to the catching alert, over the caught runs
     * @param nanEnding runs that end in a non-finite loss after the onset
     * @param nanBefore of those, caught before the first non-finite step
     * @param medianLead median over the NaN-ending runs of steps from the catching alert to the NaN (0 when not before)
     * @param causeKnown runs made with a definite cause (not UNKNOWN, not unscored)
     * @param causeRight of those, caught and diagnosed with that cause (-1 for detectors that do not diagnose)
     * @param thin runs whose events carry no evidence of a cause
     * @param thinUnknown of those, caught and diagnosed UNKNOWN
     */
    public record Row(
            String detector,
            int diverging,
            int caught,
            int early,
            int healthy,
            int falseAlarms,
            double medianDelay,
            double p90Delay,
            int nanEnding,
            int nanBefore,
            double medianLead,
            int causeKnown,
            int causeRight,
            int thin,
            int thinUnknown,
            List<RunResult> results) {

        public double recall() {
            return diverging == 0 ? Double.NaN : caught / (double) diverging;
        }
    }

    private Scorer() {}

    public static List<RunResult> results(RunDetector d, List<BenchRun> runs) {
        List<RunResult> out = new ArrayList<>(runs.size());
        for (BenchRun r : runs) {
            List<RunDetector.Firing> f = d.run(r);
            RunDetector.Firing caught = null;
            boolean early = false;
            if (r.diverging()) {
                for (RunDetector.Firing x : f) {
                    if (x.step() < r.onsetStep()) {
                        early = true;
                    } else if (caught == null) {
                        caught = x;
                    }
                }
            }
            out.add(new RunResult(r, f, caught, early));
        }
        return out;
    }

    public static Row score(RunDetector d, List<BenchRun> runs) {
        List<RunResult> results = results(d, runs);
        int diverging = 0, caught = 0, early = 0, healthy = 0, fa = 0, nanEnding = 0, nanBefore = 0;
        int causeKnown = 0, causeRight = 0, thin = 0, thinUnknown = 0;
        List<Long> delays = new ArrayList<>();
        List<Long> leads = new ArrayList<>();
        for (RunResult x : results) {
            BenchRun r = x.run();
            if (!r.diverging()) {
                healthy++;
                fa += x.falseAlarm() ? 1 : 0;
                continue;
            }
            diverging++;
            early += x.early() ? 1 : 0;
            if (x.caughtBy() != null) {
                caught++;
                delays.add(x.delay());
            }
            long nan = r.firstNonFiniteStep();
            if (r.endsNonFinite() && nan > r.onsetStep()) {
                nanEnding++;
                boolean before = x.caughtBy() != null && x.caughtBy().step() < nan;
                nanBefore += before ? 1 : 0;
                leads.add(before ? nan - x.caughtBy().step() : 0L);
            }
            Cause said = x.caughtBy() == null ? null : x.caughtBy().cause();
            if (r.cause() == Cause.UNKNOWN) {
                thin++;
                thinUnknown += said == Cause.UNKNOWN ? 1 : 0;
            } else if (r.cause() != null) {
                causeKnown++;
                causeRight += said == r.cause() ? 1 : 0;
            }
        }
        return new Row(
                d.name(),
                diverging,
                caught,
                early,
                healthy,
                fa,
                quantile(delays, 0.5),
                quantile(delays, 0.9),
                nanEnding,
                nanBefore,
                quantile(leads, 0.5),
                causeKnown,
                d.diagnoses() ? causeRight : -1,
                thin,
                d.diagnoses() ? thinUnknown : -1,
                results);
    }

    /** Nearest-rank quantile; NaN for no values. */
    public static double quantile(List<Long> values, double q) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Long> s = new ArrayList<>(values);
        Collections.sort(s);
        int idx = (int) Math.ceil(q * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, idx)));
    }

    /** Caught / total (diverging) or false alarms / total (healthy), per family, in corpus order. */
    public static Map<String, int[]> byFamily(List<RunResult> results) {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (RunResult x : results) {
            int[] c = m.computeIfAbsent(x.run().family(), k -> new int[3]);
            c[0]++;
            if (x.run().diverging()) {
                c[1] += x.caughtBy() != null ? 1 : 0;
                c[2] += x.early() ? 1 : 0;
            } else {
                c[1] += x.falseAlarm() ? 1 : 0;
            }
        }
        return m;
    }
}
