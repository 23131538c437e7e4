package io.losswatch.detector;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.detector.fit.LinearFit;
import io.losswatch.detector.fit.RollingFit;
import io.losswatch.detector.fit.RollingFitCodec;
import java.nio.ByteBuffer;
import java.util.function.DoubleSupplier;

/**
 * Validation loss climbing away from its minimum while training loss keeps falling: overfitting.
 * When the training loss climbs too, the run is not overfitting but diverging, which the training
 * loss rules judge; so the training loss must not be above where it was at the minimum by more than
 * its noise allows.
 * The current validation loss is smoothed over validations (an exponential average: one noisy
 * evaluation is not a trend). The minimum it is compared with is the lowest centred mean of
 * {@link #CENTRED} consecutive validations: the minimum lies in the past, so it can be smoothed on
 * both sides, without the lag of the exponential average (which, on a steep descent followed by a
 * climb, bottoms out validations after the real minimum and well above it: with sparse validations
 * that hid a climb of 50%). A mean of 5 has about the variance of the average (1/5 against
 * w / (2 - w) = 0.21 of the raw noise's at w = 0.35), so the noise allowance stays that of the
 * smoothed value. The lowest value is remembered, so a slow climb over hundreds of validations shows
 * as well as a fast one. Validation points are rare, so the little work here happens only on the steps
 * that carry {@code val_loss}.
 */
final class ValidationTracker {
    /**
     * Training loss still "not rising": at most this factor above where it was at the validation
     * minimum, and at most {@link #TRAIN_SIGMAS} standard errors of the difference of the two levels:
     * the mean of an epoch's batches (one point per validation) barely moves by noise, so a few percent
     * more is already the training loss climbing.
     */
    static final double LN_TRAIN_FLAT = Math.log(1.1);

    static final double TRAIN_SIGMAS = 2;
    /** Validations in the centred mean whose lowest value is the minimum (odd). */
    static final int CENTRED = 5;
    /**
     * Validations kept for the noise scale (at least; {@code points} when that is more). The noise of a
     * validation loss is a property of the evaluation set and stays about the same through a run, so it
     * is estimated from as many validations as is cheap: 16 gave 14 second differences, whose median
     * absolute deviation read anywhere from 0.034 to 0.18 within one healthy flat run; the test is
     * repeated at every validation, so alarms fired where the estimate dipped, not where the loss rose.
     * 30 differences about halve the estimate's variance.
     */
    static final int NOISE_POINTS = 32;
    /** ln of the rise (2x) over the lowest validation before them that two validations in a row make divergence. */
    static final double LN_FAR = Math.log(2);
    /** Validations that rise needs: the lowest one, then the two above it. */
    static final int FAR_POINTS = 3;
    /** Validations of a climb: each above the one before, only the newest {@link #LN_FAR} (or {@link #LN_CLIMB}) up. */
    static final int CLIMB_POINTS = 3;
    /**
     * ln of the rise (1.25x) that such a climb makes divergence, measured from the validation before its
     * first (not from a dip of the noise further back), when it is also {@link #CLIMB_SIGMAS} of the
     * validation loss's own noise and the training loss is no higher than at the climb's first
     * validation. Of the healthy recorded runs, none climbed three validations in a row
     * by more than 1.15x while the training loss stayed down; validations on a few batches, noisy, do
     * (the synthetic corpus's healthy validation runs climb 1.3x out of their noise): the noise bar is
     * for them.
     */
    static final double LN_CLIMB = Math.log(1.25);
    /** Standard deviations of a validation's noise (from second differences) that climb must also clear. */
    static final double CLIMB_SIGMAS = 6;
    /**
     * ln of the rise (1.75x) over the lowest validation before them that {@link #HELD_POINTS}
     * validations in a row make divergence: one more validation, a lower bar. Of 257 healthy recorded
     * runs, the highest three in a row stood was 1.50x (a rate raised 10x mid-run that trained on), not
     * counting one whose BatchNorm statistics a bad batch had thrown off.
     */
    static final double LN_HELD = Math.log(1.75);
    /** Validations in a row a rise of {@link #LN_HELD} must hold for. */
    static final int HELD_POINTS = 3;

    final RollingFit values; // raw ln(val_loss) by step: the noise scale and the reported fit
    double smoothLn = Double.NaN;
    double bestLn = Double.POSITIVE_INFINITY; // lowest centred mean
    long bestStep = -1; // the middle validation of that mean
    double trainAtBestLn = Double.NaN; // training level (ln) when that minimum was seen
    double trainLowLn = Double.NaN; // lowest training level (ln) at a validation since that minimum's middle one
    double trainPrevLn = Double.NaN; // training level (ln) at the previous validation...
    double trainPrev2Ln = Double.NaN; // ...and at the one before: with this one, those of the minimum's mean
    int sinceBest; // validations since bestStep
    int streak;
    int calmPoints;
    final int fitPoints; // the validations in the reported fit: the newest {@code points}
    // the training level and how far above trainAtBestLn it may be, at the newest validation; read by the
    // diagnosis of the same step, so not part of the stored state
    double trainLn = Double.NaN;
    double trainToleranceLn = Double.NaN;
    // the newest validation is divergent only by farAbove; the first validation of the rise (the newest
    // but one, or of a climb the newest but two); whether most of that rise came in one validation (a
    // jump, not a climb: into that first one); how far (ln) the training loss stood above its lowest of
    // late. Read by the diagnosis of the same step, with farRef() and jumpFrom().
    boolean far;
    int firstUp;
    boolean sudden;
    double trainRiseLn;
    boolean trainFarBelow;
    // the firing alert came from farAbove: it resolves when the validations are no longer far up (stored)
    boolean farAlert;

    ValidationTracker(DetectorConfig.Validation c) {
        this.fitPoints = Math.max(CENTRED, c.points());
        int kept = Math.max(NOISE_POINTS, fitPoints);
        this.values = kept > fitPoints ? new RollingFit(kept, fitPoints) : new RollingFit(kept);
    }

    /**
     * @param v ln(val_loss)
     * @param trainLn the training loss level now (ln), NaN when unknown
     * @param trainTolerance how far (ln) above its level at the minimum the training loss may be
     *     and still count as not rising: {@link #LN_TRAIN_FLAT}, or less for a less noisy level; asked
     *     only when the training level is above it
     * @param trainingDiverges the training loss rules see it grow or jump: then it is not overfitting
     * @param perEpoch one point an epoch ({@link RunFacts#perEpoch}): the training loss must also not
     *     have climbed from its lowest level since the minimum
     * @param trainLowestLn the lowest the training loss has been lately (ln; the lowest block mean of its
     *     series), NaN when unknown
     * @param restartBump a warm restart's planned bump is under way: it lifts the validation loss too, so
     *     a jump of it is no divergence of its own
     * @return true when the divergence condition holds at this validation point
     */
    boolean onValidation(
            long step,
            double v,
            double trainLn,
            DoubleSupplier trainTolerance,
            boolean trainingDiverges,
            boolean perEpoch,
            double trainLowestLn,
            boolean restartBump,
            DetectorConfig.Validation c,
            double lnMinRise) {
        this.trainLn = trainLn;
        this.trainToleranceLn = Double.NaN;
        this.far = false;
        this.firstUp = 0;
        this.sudden = false;
        this.trainRiseLn = 0;
        this.trainFarBelow = false;
        values.add(step, v);
        smoothLn = Double.isNaN(smoothLn) ? v : smoothLn + c.smoothing() * (v - smoothLn);
        int n = values.size();
        if (n >= CENTRED) {
            double centred = values.mean(n - CENTRED, n);
            if (centred < bestLn) {
                bestLn = centred;
                bestStep = values.stepAt(n - 1 - CENTRED / 2);
                trainAtBestLn = trainLn; // the training level now: CENTRED / 2 validations after, a little lower
                // the lowest since the middle validation: a training loss that turned up within the
                // minimum's mean was already climbing when the minimum was seen
                trainLowLn = min(trainLn, min(trainPrevLn, trainPrev2Ln));
                sinceBest = CENTRED / 2;
            } else {
                sinceBest++;
            }
        }
        trainLowLn = min(trainLn, trainLowLn);
        // noise of the smoothed value: sqrt(w / (2 - w)) of the raw noise
        double noise = rawNoise() * Math.sqrt(c.smoothing() / (2 - c.smoothing()));
        boolean rising = sinceBest >= c.minPoints()
                && smoothLn - bestLn >= lnMinRise + c.noiseSigmas() * noise
                && !Double.isNaN(trainLn)
                && !Double.isNaN(trainAtBestLn)
                && !trainingDiverges
                && trainingHolds(perEpoch, trainTolerance);
        far = !rising && !trainingDiverges && !restartBump && !Double.isNaN(trainLn) && farAbove(trainLowestLn);
        rising = rising || far;
        trainPrev2Ln = trainPrevLn;
        trainPrevLn = trainLn;
        streak = rising ? streak + 1 : 0;
        return rising;
    }

    /**
     * The newest two validations both stand {@link #LN_FAR} or more above the lowest before them, or the
     * newest does at the end of a climb ({@link #CLIMB_POINTS} validations in a row, each above the one
     * before), or the newest {@link #HELD_POINTS} all stand {@link #LN_HELD} above it, and the training
     * loss is less than half as far (in ln) above its own lowest of late: a validation loss that doubled
     * and stayed, kept climbing, or nearly doubled and held, while the training loss did not follow
     * is divergence however few validations there are, where the smoothed test needs {@link #CENTRED}
     * validations and {@code minPoints} more (a run validated every few hundred steps has only a
     * handful). {@link #sudden} when at least half of that rise (in ln) came into the first validation of
     * the rise from the one before it. The minimum of the smoothed test is left as it is.
     */
    private boolean farAbove(double trainLowestLn) {
        int n = values.size();
        if (n < FAR_POINTS) {
            return false;
        }
        firstUp = n - 2;
        double up = heldAbove(2);
        double needed = LN_FAR;
        if (up < LN_FAR && n > CLIMB_POINTS && climbing(n)) {
            firstUp = n - CLIMB_POINTS;
            up = values.valueAt(n - 1) - values.valueAt(farRef());
            // a climb of a quarter from the validation before it, far outside the noise, while the training
            // loss went down over it (not up with it): divergence too
            if (n > CLIMB_POINTS + 1 && trainLn <= trainPrev2Ln) {
                double climb = values.valueAt(n - 1) - values.valueAt(n - 1 - CLIMB_POINTS);
                double noise = rawNoise();
                if (climb >= LN_CLIMB && climb >= CLIMB_SIGMAS * (Double.isFinite(noise) ? noise : 0)) {
                    needed = LN_CLIMB;
                }
            }
        }
        if (up < needed && n > HELD_POINTS) {
            double held = heldAbove(HELD_POINTS);
            if (held >= LN_HELD) {
                firstUp = n - HELD_POINTS;
                up = held;
                needed = LN_HELD;
            }
        }
        double lowest = values.valueAt(farRef());
        double trainUp = Double.isNaN(trainLowestLn) ? 0 : Math.max(0, trainLn - trainLowestLn);
        // a training loss still under half the lowest validation has not followed, however far it rose
        // from a level near zero
        trainFarBelow = trainLn < lowest - LN_FAR;
        if (up < needed || (trainUp > up / 2 && !trainFarBelow)) {
            return false;
        }
        sudden = values.valueAt(firstUp) - values.valueAt(firstUp - 1) >= up / 2;
        trainRiseLn = trainUp;
        return true;
    }

    /** ln of the lowest of the newest {@code k} validations over the lowest validation before them. */
    private double heldAbove(int k) {
        int first = values.size() - k;
        double low = values.valueAt(first);
        for (int i = first + 1; i < values.size(); i++) {
            low = Math.min(low, values.valueAt(i));
        }
        return low - values.valueAt(lowestBefore(first));
    }

    /** The newest {@link #CLIMB_POINTS} validations each above the one before, the first above the lowest before them. */
    private boolean climbing(int n) {
        for (int i = n - CLIMB_POINTS; i < n; i++) {
            double before = i == n - CLIMB_POINTS ? values.valueAt(lowestBefore(i)) : values.valueAt(i - 1);
            if (values.valueAt(i) <= before) {
                return false;
            }
        }
        return true;
    }

    /** Index of the lowest validation before the first of the rise: what {@link #farAbove} measures from. */
    int farRef() {
        return lowestBefore(firstUp);
    }

    /** Index of the validation the rise left from, the one before its first: where a jump began. */
    int jumpFrom() {
        return firstUp - 1;
    }

    /** Index of the lowest validation among the oldest {@code count} kept. */
    private int lowestBefore(int count) {
        int low = 0;
        for (int i = 1; i < count; i++) {
            if (values.valueAt(i) < values.valueAt(low)) {
                low = i;
            }
        }
        return low;
    }

    /**
     * A firing alert of {@link #farAbove} is over when the newest validation stands less than half as far
     * (in ln) above the lowest before it as it had to be to fire: no longer even 1.4x.
     */
    boolean farBack() {
        int n = values.size();
        return n >= 2 && values.valueAt(n - 1) - values.valueAt(lowestBefore(n - 1)) < LN_FAR / 2;
    }

    /**
     * The training loss is not above where it was at the minimum by more than its noise allows; nor,
     * in a per-epoch series, climbing from where it has been since: a training loss that turned up
     * after the validation minimum is diverging, although it may not be back above where it was then.
     * Not for a per-step series: its levels at validations are means of noisy steps, and the lowest of
     * tens of them is itself a dip of the noise (tried: it delayed 27 of 320 overfitting runs of the
     * development seeds by a validation or more). The allowance is computed only for a level above
     * those it is compared with (a fall needs none), so the common case costs no noise estimate.
     */
    private boolean trainingHolds(boolean perEpoch, DoubleSupplier tolerance) {
        double reference = perEpoch ? Math.min(trainAtBestLn, trainLowLn) : trainAtBestLn;
        if (trainLn <= reference) {
            return true;
        }
        trainToleranceLn = tolerance.getAsDouble();
        return trainLn <= trainAtBestLn + trainToleranceLn && !(perEpoch && trainLn > trainLowLn + trainToleranceLn);
    }

    /** The lower of two levels, either of which may be unknown (NaN). */
    private static double min(double a, double b) {
        return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.min(a, b);
    }

    /**
     * Noise of the raw ln(val_loss): the robust scale of the second differences of all the validations
     * kept ({@link #NOISE_POINTS} of them), so that neither a trend nor a gentle curve counts. Not of the
     * newest few only: a median absolute deviation of 6 or 7 differences is itself so uncertain that
     * it read a healthy run's noise at 0.6 of its level (0.031 against about 0.05 of ln(val_loss)), and a
     * 3-sigma allowance became less than 2. A steep descent in the window is a few large differences, which
     * the median does not follow.
     */
    double rawNoise() {
        return values.curveNoise();
    }

    /** The fit of ln(val_loss) over the newest {@code points} validations. */
    LinearFit fit() {
        return values.capacity() > fitPoints ? values.fitNewest(fitPoints) : values.fit();
    }

    void clear() {
        values.clear();
        smoothLn = Double.NaN;
        bestLn = Double.POSITIVE_INFINITY;
        bestStep = -1;
        trainAtBestLn = Double.NaN;
        trainLowLn = Double.NaN;
        trainPrevLn = Double.NaN;
        trainPrev2Ln = Double.NaN;
        sinceBest = 0;
        streak = 0;
        calmPoints = 0;
        trainLn = Double.NaN;
        trainToleranceLn = Double.NaN;
        far = false;
        sudden = false;
        trainRiseLn = 0;
        trainFarBelow = false;
        farAlert = false;
    }

    private static final int SMOOTH = 1, BEST = 2, TRAIN_AT_BEST = 4, TRAIN_LOW = 8, TRAIN_PREV = 16, TRAIN_PREV2 = 32;
    /** A flag without bytes of its own: a release that does not know it reads the rest as before. */
    private static final int FAR_ALERT = 64;

    /** Steps relative to {@code base}; the levels only once there are validations. */
    void writeTo(StateWriter w, long base) {
        int mask = StateWriter.unlessNaN(smoothLn, SMOOTH)
                | (Double.doubleToRawLongBits(bestLn) == Double.doubleToRawLongBits(Double.POSITIVE_INFINITY)
                        ? 0
                        : BEST)
                | StateWriter.unlessNaN(trainAtBestLn, TRAIN_AT_BEST)
                | StateWriter.unlessNaN(trainLowLn, TRAIN_LOW)
                | StateWriter.unlessNaN(trainPrevLn, TRAIN_PREV)
                | StateWriter.unlessNaN(trainPrev2Ln, TRAIN_PREV2)
                | (farAlert ? FAR_ALERT : 0);
        w.u8(mask);
        if ((mask & SMOOTH) != 0) {
            w.f64(smoothLn);
        }
        if ((mask & BEST) != 0) {
            w.f64(bestLn);
        }
        if ((mask & TRAIN_AT_BEST) != 0) {
            w.f64(trainAtBestLn);
        }
        if ((mask & TRAIN_LOW) != 0) {
            w.f64(trainLowLn);
        }
        if ((mask & TRAIN_PREV) != 0) {
            w.f64(trainPrevLn);
        }
        if ((mask & TRAIN_PREV2) != 0) {
            w.f64(trainPrev2Ln);
        }
        w.step(bestStep, base).varInt(sinceBest).varInt(streak).varInt(calmPoints);
        RollingFitCodec.write(values, w);
    }

    void readFrom(StateReader r, long base) {
        int mask = r.u8();
        farAlert = (mask & FAR_ALERT) != 0;
        smoothLn = r.f64(mask, SMOOTH, Double.NaN);
        bestLn = r.f64(mask, BEST, Double.POSITIVE_INFINITY);
        trainAtBestLn = r.f64(mask, TRAIN_AT_BEST, Double.NaN);
        // a state written before the low was kept: the level at the minimum is the best known low
        trainLowLn = r.f64(mask, TRAIN_LOW, trainAtBestLn);
        trainPrevLn = r.f64(mask, TRAIN_PREV, Double.NaN);
        trainPrev2Ln = r.f64(mask, TRAIN_PREV2, Double.NaN);
        bestStep = r.step(base);
        sinceBest = r.varInt();
        streak = r.varInt();
        calmPoints = r.varInt();
        RollingFitCodec.read(values, r);
    }

    /** Reads the form of run state formats 3 and 4. */
    void readLegacy(ByteBuffer b) {
        smoothLn = b.getDouble();
        bestLn = b.getDouble();
        bestStep = b.getLong();
        trainAtBestLn = b.getDouble();
        trainLowLn = trainAtBestLn;
        sinceBest = b.getInt();
        streak = b.getInt();
        calmPoints = b.getInt();
        RollingFitCodec.readLegacy(values, b);
    }
}
