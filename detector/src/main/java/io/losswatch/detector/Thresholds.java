package io.losswatch.detector;

/**
 * The logarithms of a {@link DetectorConfig}'s factors, computed once: the detector compares in ln
 * space on every step, and {@code Math.log} is not free at a million points a second.
 */
final class Thresholds {
    /** One jump tracker's thresholds. */
    record Jump(
            int referencePoints,
            double lnJump,
            double lnWeakJump,
            double jumpSigmas,
            double lnStay,
            double staySigmas,
            int staySteps) {
        static Jump of(DetectorConfig.Blowup b) {
            return new Jump(
                    b.referencePoints(),
                    Math.log(b.jumpFactor()),
                    Math.log(b.jumpFactor()) + Math.log(b.weakReferenceFactor()),
                    b.jumpSigmas(),
                    Math.log(b.stayFactor()),
                    b.staySigmas(),
                    b.staySteps());
        }
    }

    final DetectorConfig.Scale[] lossScales;
    final double[] lossMinRise;
    final DetectorConfig.Scale[] gradScales;
    final double[] gradMinRise;
    final double blocksMinRise;
    final double plannedBump;
    final Jump lossJump;
    final Jump gradJump;
    final double riseOverEarly;
    final double bandLow;
    final double bandHigh;
    final double afterJumpGradient;
    final double deadGradient;
    final double validationMinRise;
    final double ceiling;

    Thresholds(DetectorConfig c) {
        DetectorConfig.Growth g = c.growth();
        lossScales = new DetectorConfig.Scale[] {g.veryShort(), g.shortScale(), g.longScale()};
        lossMinRise = lnRise(lossScales);
        DetectorConfig.Growth gg = c.gradientGrowth();
        gradScales = new DetectorConfig.Scale[] {gg.veryShort(), gg.shortScale(), gg.longScale()};
        gradMinRise = lnRise(gradScales);
        blocksMinRise = g.blocks() == null ? Double.NaN : Math.log(g.blocks().minRise());
        plannedBump = Math.log(g.plannedBumpFactor());
        lossJump = Jump.of(c.blowup());
        gradJump = Jump.of(c.gradient().jump());
        riseOverEarly = Math.log(c.gradient().riseOverEarly());
        bandLow = Math.log(c.collapse().bandLow());
        bandHigh = Math.log(c.collapse().bandHigh());
        afterJumpGradient = Math.log(c.collapse().afterJumpGradientFactor());
        deadGradient = Math.log(c.collapse().deadGradientFactor());
        validationMinRise = Math.log(c.validation().minRise());
        ceiling = Math.log(c.ceiling());
    }

    private static double[] lnRise(DetectorConfig.Scale[] scales) {
        double[] r = new double[scales.length];
        for (int i = 0; i < scales.length; i++) {
            r[i] = Math.log(scales[i].minRise());
        }
        return r;
    }
}
