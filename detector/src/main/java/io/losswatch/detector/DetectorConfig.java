package io.losswatch.detector;

/**
 * Thresholds of the detectors. The defaults were chosen on the tuning half of the detection
 * benchmark ({@code ./losswatch bench detection}) and checked on its held-out half; change them only
 * with evidence from it.
 *
 * @param growth exponential growth of ln(loss): LOSS_EXPONENTIAL_GROWTH
 * @param gradientGrowth exponential growth of ln(grad_norm), one part of GRADIENT_EXPLOSION
 * @param blowup a jump far above the recent level that does not come back: LOSS_BLOWUP
 * @param gradient what else GRADIENT_EXPLOSION needs: the rise over the run's early level, and jumps
 * @param collapse loss pinned at chance level with dead units: TRAINING_COLLAPSED
 * @param validation validation loss climbing while training loss falls: VALIDATION_DIVERGENCE
 * @param resolveSteps consecutive healthy steps before a firing alert is resolved
 * @param ceiling loss value treated as the blow-up point of the forecast (float overflow by default)
 * @param criticalDoublingSteps growth that doubles faster than this is critical, slower is a warning
 */
public record DetectorConfig(
        Growth growth,
        Growth gradientGrowth,
        Blowup blowup,
        Gradient gradient,
        Collapse collapse,
        Validation validation,
        int resolveSteps,
        double ceiling,
        double criticalDoublingSteps) {

    /**
     * One window of the growth test: a fit of ln(value) on step over the newest {@code points}
     * points counts as growing when its rate, its R^2 and its rise all pass, and its thirds rise in
     * order.
     *
     * @param points points in the window (for the block window: blocks)
     * @param minRate minimum slope of ln(value) per step
     * @param minR2 minimum R^2
     * @param minRise minimum factor the fitted value rises over the window
     */
    public record Scale(int points, double minRate, double minR2, double minRise) {
        public Scale {
            if (points < 4 || !(minRise > 1) || !(minR2 >= 0 && minR2 <= 1)) {
                throw new IllegalArgumentException(
                        "a growth window needs >= 4 points, R^2 in [0, 1] and a rise > 1, got " + points + ", " + minR2
                                + ", " + minRise);
            }
        }
    }

    /**
     * Exponential growth at several scales: three nested windows of the newest points (the longest
     * holds the others) and, for the loss, a window of block means for slow growth under heavy noise.
     *
     * @param veryShort the fastest blow-ups
     * @param shortScale sudden growth
     * @param longScale steady growth; its length is the ring of raw points kept per run
     * @param blocks slow growth: block means of {@code blockSize} steps ({@code null}: none)
     * @param blockSize steps averaged into one block
     * @param riseSigmas the fitted rise must also be this many standard errors of the run's own noise
     *     (estimated from step-to-step differences), so a noisier run needs a bigger rise
     * @param confirmSteps consecutive steps some window must grow before the alert fires
     * @param plannedSteps after the learning rate jumps back up to a level the run already trained
     *     at (a warm restart), growth is a planned bump for at least this many steps and until the
     *     loss is back where it was at the restart...
     * @param plannedBumpFactor ...as long as the loss stays below this factor times the highest
     *     block mean of the run so far
     */
    public record Growth(
            Scale veryShort,
            Scale shortScale,
            Scale longScale,
            Scale blocks,
            int blockSize,
            double riseSigmas,
            int confirmSteps,
            int plannedSteps,
            double plannedBumpFactor) {
        public Growth {
            if (!(veryShort.points() < shortScale.points() && shortScale.points() < longScale.points())) {
                throw new IllegalArgumentException("growth windows must nest: very short < short < long, got "
                        + veryShort.points() + ", " + shortScale.points() + ", " + longScale.points());
            }
            if (confirmSteps < 1 || blockSize < 1) {
                throw new IllegalArgumentException("confirm steps and block size must be at least 1");
            }
        }
    }

    /**
     * LOSS_BLOWUP: a step jumps at least {@code jumpFactor} (and {@code jumpSigmas} robust noise
     * scales) above the median of the previous {@code referencePoints} steps, and the next
     * {@code staySteps} steps all stay above {@code stayFactor} (and {@code staySigmas}) times that
     * median. A spike that comes back before is not a blow-up. With fewer than 4 steps before the
     * jump (the very start of a run) their noise is unknown, and the jump must be
     * {@code weakReferenceFactor} times larger, unless those steps sat at the chance level that
     * {@code num_classes} gives (a classifier at initialisation scores about ln C on every batch).
     */
    public record Blowup(
            int referencePoints,
            double jumpFactor,
            double jumpSigmas,
            double weakReferenceFactor,
            double stayFactor,
            double staySigmas,
            int staySteps) {
        public Blowup {
            if (referencePoints < 1 || staySteps < 1 || !(jumpFactor > stayFactor) || !(stayFactor > 1)) {
                throw new IllegalArgumentException("blow-up needs reference and stay steps >= 1 and jump > stay > 1");
            }
        }
    }

    /**
     * GRADIENT_EXPLOSION: the gradient norm grows exponentially ({@link #gradientGrowth}) or jumps and
     * stays up ({@code jump}), and in either case is at least {@code riseOverEarly} times its early level
     * (the median of its first {@code earlyPoints} values).
     */
    public record Gradient(int earlyPoints, double riseOverEarly, Blowup jump) {}

    /**
     * TRAINING_COLLAPSED: the loss level (the median of its newest 8 points, of those after a jump
     * once there is one) stays within [{@code bandLow}, {@code bandHigh}] x chance level (ln of
     * {@code num_classes}, else the median of the run's first losses) for {@code pinnedAfterJump} steps after a
     * blow-up jump (at most {@code jumpLookback} steps before), or for {@code pinnedWithDeadGradients}
     * steps while the gradient norm is {@code deadGradientFactor} below its early level (dead units), or
     * {@code afterJumpGradientFactor} below it while the learning rate is far too high for the optimizer
     * (0.01 for adaptive ones, 0.5 for SGD, 1 when the optimizer is not named).
     * When chance level is only the run's first loss (no {@code num_classes}), the jump must come within
     * {@code firstLossChanceSteps} of the start.
     * After a jump, gradients that are sent must also be {@code afterJumpGradientFactor} below it; without
     * gradients, the loss must be flat: robust spread of ln(loss) at most {@code flatSpread}; and the
     * run must not have sat in the band for {@code pinnedAfterJump} points before the jump, nor gone
     * below it between the jump and the pin (see {@code CollapseRule.lossShowsCollapse}).
     */
    public record Collapse(
            double bandLow,
            double bandHigh,
            int pinnedAfterJump,
            int jumpLookback,
            int firstLossChanceSteps,
            double afterJumpGradientFactor,
            double flatSpread,
            int pinnedWithDeadGradients,
            double deadGradientFactor) {}

    /**
     * VALIDATION_DIVERGENCE: the validation loss, smoothed over validations (exponential average with
     * weight {@code smoothing}), has risen from its minimum (the lowest centred mean of 5 validations,
     * which does not lag) by at least {@code minRise} plus {@code noiseSigmas} of its own noise (from the
     * newest 32 validations, or {@code points} when more; the fit reported covers the newest
     * {@code points}), at least {@code minPoints} validations after that minimum,
     * while the training loss is below where it was then; {@code confirmPoints} validations in a row. Resolved after {@code resolvePoints}
     * validations back near the minimum.
     */
    public record Validation(
            int points,
            double smoothing,
            int minPoints,
            double minRise,
            double noiseSigmas,
            int confirmPoints,
            int resolvePoints) {}

    /**
     * The defaults, every value under its name: chosen on the tuning half of the detection benchmark
     * and checked on its held-out half (docs/decisions record how).
     */
    public static DetectorConfig defaults() {
        return new DetectorConfig(
                defaultLossGrowth(),
                defaultGradientGrowth(),
                defaultLossBlowup(),
                defaultGradientExplosion(),
                defaultCollapse(),
                defaultValidationDivergence(),
                /* resolveSteps */ 50,
                /* ceiling: float overflow */ Float.MAX_VALUE,
                /* criticalDoublingSteps */ 50);
    }

    /** Growth of ln(loss): 8, 16 and 64 raw points, and 32 block means of 8 steps for slow growth. */
    static Growth defaultLossGrowth() {
        Scale veryShort = new Scale(/* points */ 8, /* minRate */ 0.15, /* minR2 */ 0.85, /* minRise */ 4);
        Scale shortScale = new Scale(16, 0.03, 0.8, 2);
        Scale longScale = new Scale(64, 0.008, 0.5, 3);
        Scale blocks = new Scale(32, 0.004, 0.7, 3);
        int blockSize = 8;
        double riseSigmas = 5;
        int confirmSteps = 2;
        int plannedSteps = 64;
        double plannedBumpFactor = 1.5;
        return new Growth(
                veryShort,
                shortScale,
                longScale,
                blocks,
                blockSize,
                riseSigmas,
                confirmSteps,
                plannedSteps,
                plannedBumpFactor);
    }

    /** Growth of ln(grad_norm): 8, 16 and 32 raw points, no blocks. */
    static Growth defaultGradientGrowth() {
        Scale veryShort = new Scale(/* points */ 8, /* minRate */ 0.15, /* minR2 */ 0.85, /* minRise */ 4);
        Scale shortScale = new Scale(16, 0.05, 0.8, 3);
        Scale longScale = new Scale(32, 0.02, 0.7, 3);
        Scale blocks = null;
        int blockSize = 1;
        double riseSigmas = 5;
        int confirmSteps = 2;
        int plannedSteps = 64;
        double plannedBumpFactor = 1.5;
        return new Growth(
                veryShort,
                shortScale,
                longScale,
                blocks,
                blockSize,
                riseSigmas,
                confirmSteps,
                plannedSteps,
                plannedBumpFactor);
    }

    /** A loss that jumps 5x (and 6 noise scales) and stays 2x up for 5 steps. */
    static Blowup defaultLossBlowup() {
        int referencePoints = 16;
        double jumpFactor = 5;
        double jumpSigmas = 6;
        double weakReferenceFactor = 4;
        double stayFactor = 2;
        double staySigmas = 2;
        int staySteps = 5;
        return new Blowup(
                referencePoints, jumpFactor, jumpSigmas, weakReferenceFactor, stayFactor, staySigmas, staySteps);
    }

    /** A gradient norm 10x its early level that grows, or jumps 10x and stays 3x up. */
    static Gradient defaultGradientExplosion() {
        int earlyPoints = 16;
        double riseOverEarly = 10;
        int referencePoints = 16;
        double jumpFactor = 10;
        double jumpSigmas = 6;
        double weakReferenceFactor = 4;
        double stayFactor = 3;
        double staySigmas = 2;
        int staySteps = 5;
        Blowup jump = new Blowup(
                referencePoints, jumpFactor, jumpSigmas, weakReferenceFactor, stayFactor, staySigmas, staySteps);
        return new Gradient(earlyPoints, riseOverEarly, jump);
    }

    /** A loss pinned within 0.92-1.5x of chance level after a blow-up, or with dead gradients. */
    static Collapse defaultCollapse() {
        double bandLow = 0.92;
        double bandHigh = 1.5;
        int pinnedAfterJump = 8;
        int jumpLookback = 128;
        int firstLossChanceSteps = 20;
        double afterJumpGradientFactor = 3;
        double flatSpread = 0.05;
        int pinnedWithDeadGradients = 16;
        double deadGradientFactor = 20;
        return new Collapse(
                bandLow,
                bandHigh,
                pinnedAfterJump,
                jumpLookback,
                firstLossChanceSteps,
                afterJumpGradientFactor,
                flatSpread,
                pinnedWithDeadGradients,
                deadGradientFactor);
    }

    /** A validation loss 8% and 3 noise scales above its minimum while the training loss falls. */
    static Validation defaultValidationDivergence() {
        int points = 16;
        double smoothing = 0.35;
        int minPoints = 4;
        double minRise = 1.08;
        double noiseSigmas = 3;
        int confirmPoints = 1;
        int resolvePoints = 3;
        return new Validation(points, smoothing, minPoints, minRise, noiseSigmas, confirmPoints, resolvePoints);
    }

    public DetectorConfig {
        if (resolveSteps < 1) {
            throw new IllegalArgumentException("resolve steps must be at least 1");
        }
        if (!(ceiling > 1)) {
            throw new IllegalArgumentException("the forecast ceiling must be greater than 1, got " + ceiling);
        }
    }

    public DetectorConfig withCeiling(double c) {
        return new DetectorConfig(
                growth, gradientGrowth, blowup, gradient, collapse, validation, resolveSteps, c, criticalDoublingSteps);
    }

    public DetectorConfig withResolveSteps(int r) {
        return new DetectorConfig(
                growth, gradientGrowth, blowup, gradient, collapse, validation, r, ceiling, criticalDoublingSteps);
    }
}
