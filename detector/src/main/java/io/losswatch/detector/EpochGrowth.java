package io.losswatch.detector;

import io.losswatch.detector.fit.LinearFit;
import io.losswatch.detector.fit.RollingFit;

/**
 * Growth of a per-epoch loss ({@link RunFacts#perEpoch}): one point per epoch, tens in a whole run.
 * The growth windows are sized for per-step series (8 to 256 points, rates per step), so on a run of
 * 30 epochs they judge only once the loss has grown for most of it. Each point of a per-epoch series
 * is already the mean of an epoch's batches, smooth where a step's loss is noisy; what a healthy run
 * does not do is climb epoch after epoch. So the test here counts epochs, not steps: since the
 * series' low point the loss has risen on {@link #CLIMB_POINTS} epochs or more, fallen on at most a
 * quarter of them, is now at its highest since the low, and stands {@link #MIN_RISE} times and
 * {@link #RISE_SIGMAS} noise scales above it, not by one epoch's jump alone. A warm restart's jump falls back the epochs after, a
 * bump after a learning-rate change is one or two epochs, and a noisy plateau does not climb 20%.
 */
final class EpochGrowth {
    /** Epochs after the low point before the climb may count, which confirm it: an alert from the third on. */
    static final int CLIMB_POINTS = 3;
    /** The newest loss at least this factor above the low point. */
    static final double MIN_RISE = 1.2;
    /**
     * ...and this many noise scales of the series (second differences: a descending curve is not
     * noise). The lowest of tens of points is itself a dip of about 2 noise scales, so this is about
     * 5 above the level the series sat at.
     */
    static final double RISE_SIGMAS = 7;
    /**
     * Points before the series is judged at all: its noise comes from second differences, and fewer
     * than 4 of them (a median of 3) once read a warm-up's flat start under 4% noise as no noise at all.
     * A run that climbs from its first epoch is still alerted by its sixth.
     */
    static final int MIN_POINTS = 6;
    /**
     * Share of the minimum rise that the epochs other than the largest one's must make: growth climbs
     * on every epoch, a jump (a warm restart, a blow-up) on one.
     */
    static final double SPREAD_SHARE = 0.5;
    /** Share of the epochs since the low on which the loss may have fallen (at least one). */
    static final double FALL_SHARE = 0.25;

    private static final double LN_MIN_RISE = Math.log(MIN_RISE);

    /**
     * The fit of ln(loss) since the low point when the series climbs as above, else null.
     * {@code hold} scales the rise needed (a firing alert holds with less). O(points kept).
     */
    static LinearFit grows(RollingFit w, double hold) {
        int n = w.size();
        if (n < MIN_POINTS) {
            return null;
        }
        int low = 0;
        for (int i = 1; i < n; i++) {
            if (w.valueAt(i) <= w.valueAt(low)) {
                low = i;
            }
        }
        int climb = n - 1 - low;
        if (climb < CLIMB_POINTS) {
            return null;
        }
        double newest = w.newestValue();
        double rise = newest - w.valueAt(low);
        if (rise < hold * LN_MIN_RISE) {
            return null;
        }
        int falls = 0;
        double largest = 0;
        for (int i = low + 1; i < n; i++) {
            double d = w.valueAt(i) - w.valueAt(i - 1);
            if (d < 0) {
                falls++;
            }
            largest = Math.max(largest, d);
            if (i < n - 1 && w.valueAt(i) > newest) {
                return null; // it was higher before: a bump coming down, not a climb
            }
        }
        if (falls > Math.max(1, (int) (FALL_SHARE * climb))) {
            return null;
        }
        if (rise - largest < hold * SPREAD_SHARE * LN_MIN_RISE) {
            return null; // one epoch's jump on a flat stretch (a warm restart without its learning rate)
        }
        if (rise < hold * RISE_SIGMAS * w.curveNoise()) {
            return null;
        }
        LinearFit fit = w.fitFrom(w.stepAt(low));
        return fit.slope() > 0 ? fit : null; // the fit the alert reports must grow too
    }

    private EpochGrowth() {}
}
