package io.losswatch.monitor.detect;

import io.losswatch.monitor.fit.LinearFit;
import io.losswatch.monitor.fit.RollingFit;
import java.nio.ByteBuffer;

/**
 * Validation loss climbing away from its minimum while training loss keeps falling: overfitting.
 * The validation loss is smoothed over validations (one noisy evaluation is not a trend) and its
 * lowest smoothed value remembered, so a slow climb over hundreds of validations shows as well as
 * a fast one. Validation points are rare, so the little work here happens only on the steps that
 * carry {@code val_loss}.
 */
final class ValidationTracker {
    /** Training loss still "not rising": at most this factor above where it was at the validation minimum. */
    static final double LN_TRAIN_FLAT = Math.log(1.1);

    final RollingFit values;  // raw ln(val_loss) by step: the noise scale and the reported fit
    double smoothLn = Double.NaN;
    double bestLn = Double.POSITIVE_INFINITY; // lowest smoothed value
    long bestStep = -1;
    double trainAtBestLn = Double.NaN; // training level (ln) when that minimum was seen
    int sinceBest;            // validations since the minimum
    int streak;
    int calmPoints;

    ValidationTracker(DetectorConfig.Validation c) {
        this.values = new RollingFit(Math.max(4, c.points()));
    }

    /**
     * @param v ln(val_loss)
     * @param trainLn the training loss level now (ln), NaN when unknown
     * @return true when the divergence condition holds at this validation point
     */
    boolean onValidation(long step, double v, double trainLn, DetectorConfig.Validation c, double lnMinRise) {
        values.add(step, v);
        smoothLn = Double.isNaN(smoothLn) ? v : smoothLn + c.smoothing() * (v - smoothLn);
        if (smoothLn < bestLn) {
            bestLn = smoothLn;
            bestStep = step;
            trainAtBestLn = trainLn;
            sinceBest = 0;
        } else {
            sinceBest++;
        }
        // noise of the smoothed value: sqrt(w / (2 - w)) of the raw noise, measured around and after the
        // minimum, where the curve is flattest (the steep descent before it would read as noise)
        double raw = values.curveNoiseNewest(Math.max(8, sinceBest + 4));
        double noise = raw * Math.sqrt(c.smoothing() / (2 - c.smoothing()));
        boolean rising = sinceBest >= c.minPoints()
                && smoothLn - bestLn >= lnMinRise + c.noiseSigmas() * noise
                && !Double.isNaN(trainLn) && !Double.isNaN(trainAtBestLn) && trainLn <= trainAtBestLn + LN_TRAIN_FLAT;
        streak = rising ? streak + 1 : 0;
        return rising;
    }

    /** The fit of ln(val_loss) over the validations kept. */
    LinearFit fit() {
        return values.fit();
    }

    void clear() {
        values.clear();
        smoothLn = Double.NaN;
        bestLn = Double.POSITIVE_INFINITY;
        bestStep = -1;
        trainAtBestLn = Double.NaN;
        sinceBest = 0;
        streak = 0;
        calmPoints = 0;
    }

    int serializedSize() {
        return 8 + 8 + 8 + 8 + 4 + 4 + 4 + values.serializedSize();
    }

    void writeTo(ByteBuffer b) {
        b.putDouble(smoothLn).putDouble(bestLn).putLong(bestStep).putDouble(trainAtBestLn).putInt(sinceBest)
                .putInt(streak).putInt(calmPoints);
        values.writeTo(b);
    }

    void readFrom(ByteBuffer b) {
        smoothLn = b.getDouble();
        bestLn = b.getDouble();
        bestStep = b.getLong();
        trainAtBestLn = b.getDouble();
        sinceBest = b.getInt();
        streak = b.getInt();
        calmPoints = b.getInt();
        values.readFrom(b);
    }
}
