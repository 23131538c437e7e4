package io.losswatch.detector.fit;

/**
 * Result of a least-squares fit y = intercept + slope * x.
 *
 * @param n number of points
 * @param slope b, per step
 * @param intercept a, at x = 0 of the fit's own origin
 * @param r2 coefficient of determination; 0 when y has no variance
 * @param lastX x of the newest point, relative to the same origin as {@code intercept}
 */
public record LinearFit(int n, double slope, double intercept, double r2, double lastX) {

    public static final LinearFit EMPTY = new LinearFit(0, 0, 0, 0, 0);

    /** Fitted y at the newest point. */
    public double fittedLast() {
        return intercept + slope * lastX;
    }

    /** ln 2 / slope: steps for the value to double; infinite when it does not grow. */
    public double doublingSteps() {
        return slope > 0 ? Math.log(2) / slope : Double.POSITIVE_INFINITY;
    }
}
