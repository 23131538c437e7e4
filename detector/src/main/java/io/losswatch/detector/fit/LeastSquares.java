package io.losswatch.detector.fit;

/** Least squares of y on x from sums of x, y, x^2, xy, y^2. */
final class LeastSquares {
    /** A series varies less than this, relative to its size, only by rounding: it is flat. */
    static final double FLAT = 1e-12;

    private LeastSquares() {}

    /** The fit from the running sums {@code s} of {@code count} points whose newest is at {@code lastX}. */
    static LinearFit fromSums(double[] s, int at, int count, double lastX) {
        if (count < 2) {
            return LinearFit.EMPTY;
        }
        double n = count;
        double vx = n * s[at + WindowSums.SXX] - s[at + WindowSums.SX] * s[at + WindowSums.SX];
        double vy = n * s[at + WindowSums.SYY] - s[at + WindowSums.SY] * s[at + WindowSums.SY];
        double cov = n * s[at + WindowSums.SXY] - s[at + WindowSums.SX] * s[at + WindowSums.SY];
        if (vx <= 0) {
            return new LinearFit(count, 0, s[at + WindowSums.SY] / n, 0, lastX);
        }
        // relative tolerance: a flat series has vy ~ rounding noise, not variance
        if (vy <= FLAT * Math.max(1, s[at + WindowSums.SYY] * n)) {
            return new LinearFit(count, 0, s[at + WindowSums.SY] / n, 0, lastX);
        }
        double slope = cov / vx;
        double intercept = (s[at + WindowSums.SY] - slope * s[at + WindowSums.SX]) / n;
        double r2 = Math.min(1, (cov * cov) / (vx * vy));
        return new LinearFit(count, slope, intercept, r2, lastX);
    }

    /** A fresh fit over the ring's points at or after {@code fromStep}; null when fewer than 3. */
    static LinearFit from(Ring r, long fromStep) {
        double n = 0, ax = 0, ay = 0, axx = 0, axy = 0, ayy = 0;
        long o = -1;
        long last = 0;
        for (int i = 0; i < r.size; i++) {
            int idx = r.at(i);
            if (r.steps[idx] < fromStep) {
                continue;
            }
            if (o < 0) {
                o = r.steps[idx];
            }
            double x = r.steps[idx] - o;
            double y = r.ys[idx];
            n++;
            ax += x;
            ay += y;
            axx += x * x;
            axy += x * y;
            ayy += y * y;
            last = r.steps[idx];
        }
        if (n < 3) {
            return null;
        }
        double vx = n * axx - ax * ax;
        double vy = n * ayy - ay * ay;
        double cov = n * axy - ax * ay;
        if (vx <= 0 || vy <= FLAT * Math.max(1, ayy * n)) {
            return new LinearFit((int) n, 0, ay / n, 0, last - o);
        }
        double slope = cov / vx;
        return new LinearFit((int) n, slope, (ay - slope * ax) / n, Math.min(1, cov * cov / (vx * vy)), last - o);
    }
}
