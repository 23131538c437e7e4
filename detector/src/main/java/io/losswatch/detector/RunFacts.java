package io.losswatch.detector;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.events.StepEvent;
import java.nio.ByteBuffer;

/**
 * What every rule may read about a run and none owns: its steps, its learning rate's history, its
 * optimizer, its chance level and its recent update ratio. The detector keeps them up to date
 * before the rules judge a step.
 */
final class RunFacts {
    /** A learning rate at least this factor above the last one is a rise (a schedule's restart, or a new level). */
    static final double LEARNING_RATE_RISE = 1.5;
    /** A rise up to this factor over the highest learning rate so far goes back to a level the run trained at. */
    static final double KNOWN_LEVEL = 1.05;
    /**
     * A learning rate that climbed step by step, rising every step, to this factor over where its climb
     * began, and to a level the run never had, rose as much as a jump does: a ramp (a range test left
     * running, a schedule's bug) or a warm-up to a rate too high.
     */
    static final double CLIMB_RISE = 2.0;
    /** Rates within this share of each other are the same rate (a schedule's rounding). */
    static final double SAME_RATE = 1e-9;
    /** The recent maximum update ratio decays by this factor a step, so one old large update does not last. */
    static final double UPDATE_RATIO_DECAY = 0.98;
    /** Longest optimizer label kept. */
    static final int MAX_OPTIMIZER_LABEL = 64;

    long lastStep = -1;
    long firstStep = -1;
    int attempt;
    long lastSeenMillis;
    long processedSteps;

    double lastLearningRate = Double.NaN;
    double maxLearningRate = Double.NaN;
    long learningRateRiseStep = -1; // last rise to a level the run never had
    double learningRateRiseLevel = Double.NaN; // the rate it rose to (a schedule may have lowered it since)
    long learningRateClimbStep = -1; // where the rate's current climb, rising every step, began
    double learningRateClimbFrom = Double.NaN; // and the rate it climbs from
    long learningRateRiseFromStep = -1; // the last rise to a new level came by a climb from this step
    double learningRateRiseFrom = Double.NaN; // and this rate; -1 and NaN for a rise at once
    double recentMaxUpdateRatio = Double.NaN;
    double nonPositiveLearningRate = Double.NaN; // the newest rate sent, while it is 0 or below; NaN otherwise
    long nonPositiveSince = -1; // where the rates sent went to 0 or below, this time
    double momentum = Double.NaN; // the optimizer's momentum or beta1 from labels.momentum, NaN when not sent
    double beta2 = Double.NaN; // the second of the optimizer's betas from labels.beta2, NaN when not sent
    double firstLossSizeLn = Double.NaN; // ln of the largest size among the attempt's first losses (not 0)
    long negativeLossSince = -1; // where the loss went below zero this time, -1 while it is 0 or above
    // the loss below zero at two checkpoints of its fall, each twice as far from where it went below zero
    // as the one before (steps -1 when none), and the pace of a steady fall once found (NaN before)
    double fallQuarter = Double.NaN;
    long fallQuarterStep = -1;
    double fallHalf = Double.NaN;
    long fallHalfStep = -1;
    double steadyFallPace = Double.NaN;
    private String momentumLabel; // the label it was read from (not stored: read again after a restore)
    private String beta2Label; // likewise
    String optimizer = "";
    /**
     * Every event so far carried an epoch, each one past the last: one point per epoch (a Keras
     * {@code CSVLogger} file, or a trainer that logs once an epoch), judged as a sparse series.
     */
    boolean perEpoch;

    long lastEpoch = -1;
    double chanceLn = Double.NaN; // ln of the chance-level loss, NaN when unknown
    boolean chanceFromLabel; // from num_classes, not guessed from the first loss

    /** The step joins the run. */
    void accept(StepEvent e, long nowMillis) {
        if (firstStep < 0) {
            firstStep = e.step();
        }
        lastStep = e.step();
        Integer epoch = e.epoch();
        perEpoch = epoch != null && (processedSteps == 0 || (perEpoch && epoch > lastEpoch));
        lastEpoch = epoch == null ? -1 : epoch;
        processedSteps++;
        lastSeenMillis = nowMillis;
    }

    /**
     * A rate of 0 or below, which the rules that compare rates leave out: 0 (a warm-up's first step, a
     * decay's last) stops the weights, below zero every step climbs the loss. Kept for the diagnosis.
     */
    void recordNonPositiveLearningRate(double lr, long step) {
        if (nonPositiveSince < 0) {
            nonPositiveSince = step;
        }
        nonPositiveLearningRate = lr;
    }

    /** A rate above 0 arrived: the stretch of rates at 0 or below, if any, is over. */
    void positiveLearningRate() {
        nonPositiveSince = -1;
        nonPositiveLearningRate = Double.NaN;
    }

    /** The newest rate sent is below zero. */
    boolean learningRateNegative() {
        return nonPositiveLearningRate < 0;
    }

    /** A learning rate well above the last one: a warm restart of the schedule, or a new level. */
    boolean isRise(double lr) {
        return !Double.isNaN(lastLearningRate) && lr >= LEARNING_RATE_RISE * lastLearningRate;
    }

    /** {@code lr} is no higher than a level the run already trained at. */
    boolean isKnownLevel(double lr) {
        return lr <= KNOWN_LEVEL * maxLearningRate;
    }

    /** A rise to a new level at once ({@link #isRise}). */
    void learningRateRoseAt(long step, double lr) {
        learningRateRiseStep = step;
        learningRateRiseLevel = lr;
        learningRateRiseFromStep = -1;
        learningRateRiseFrom = Double.NaN;
    }

    /**
     * {@code lr} rises, and ends a climb of {@link #CLIMB_RISE} or more over where it began, above every
     * rate the run had before: ask before {@link #recordLearningRate}.
     */
    boolean climbsToNewLevel(double lr) {
        if (!rises(lr)) {
            return false;
        }
        return lr > maxLearningRate * (1 + SAME_RATE) && lr >= CLIMB_RISE * climbBase();
    }

    /** A rise to a new level at the end of the current climb. */
    void learningRateClimbedTo(long step, double lr) {
        learningRateRiseStep = step;
        learningRateRiseLevel = lr;
        learningRateRiseFromStep = climbStart(step);
        learningRateRiseFrom = climbBase();
    }

    /**
     * Records the step's rate. A climb is a run of steps each above the one before; a step that does not
     * rise ends it, and one that rose at once ({@code roseAtOnce}) starts the next from where it got to.
     */
    void recordLearningRate(double lr, long step, boolean roseAtOnce) {
        if (roseAtOnce) {
            learningRateClimbStep = step;
            learningRateClimbFrom = lr;
        } else if (rises(lr)) {
            learningRateClimbFrom = climbBase();
            learningRateClimbStep = climbStart(step);
        } else {
            learningRateClimbStep = -1;
            learningRateClimbFrom = Double.NaN;
        }
        maxLearningRate = Double.isNaN(maxLearningRate) ? lr : Math.max(maxLearningRate, lr);
        lastLearningRate = lr;
    }

    /** Where the climb a rising rate at {@code step} belongs to began: the current one, or its own. */
    private long climbStart(long step) {
        return learningRateClimbStep >= 0 ? learningRateClimbStep : step;
    }

    /** The rate that climb began from: the current climb's, or the last rate for one this step starts. */
    private double climbBase() {
        return learningRateClimbStep >= 0 ? learningRateClimbFrom : lastLearningRate;
    }

    private boolean rises(double lr) {
        return lr > lastLearningRate * (1 + SAME_RATE);
    }

    /** The learning rate's last rise to a new level came by a climb, not at once. */
    boolean roseByClimb() {
        return learningRateRiseFromStep >= 0;
    }

    void recordUpdateRatio(double ur) {
        double prev = Double.isNaN(recentMaxUpdateRatio) ? 0 : recentMaxUpdateRatio * UPDATE_RATIO_DECAY;
        recentMaxUpdateRatio = Math.max(prev, ur);
    }

    /** A label's number, or {@code kept} when it is none: a label, not a contract, so a bad one changes nothing. */
    private static double number(String label, double kept) {
        try {
            double v = Double.parseDouble(label.trim());
            return Double.isFinite(v) ? v : Double.NaN;
        } catch (NumberFormatException e) {
            return kept;
        }
    }

    void recordLabels(StepEvent e) {
        String opt = e.labels().get("optimizer");
        if (opt != null && opt.length() <= MAX_OPTIMIZER_LABEL && !opt.equals(optimizer)) {
            optimizer = opt;
        }
        String m = e.labels().get("momentum");
        if (m != null && !m.equals(momentumLabel)) { // parsed once per value, not on every event
            momentumLabel = m;
            momentum = number(m, momentum);
        }
        String b2 = e.labels().get("beta2");
        if (b2 != null && !b2.equals(beta2Label)) {
            beta2Label = b2;
            beta2 = number(b2, beta2);
        }
        String classes = processedSteps <= 1 ? e.labels().get("num_classes") : null;
        if (classes != null) {
            try {
                int c = Integer.parseInt(classes.trim());
                if (c >= 2) {
                    chanceLn = Math.log(Math.log(c));
                    chanceFromLabel = true;
                }
            } catch (NumberFormatException ignored) {
                // a label, not a contract: a bad one only means chance level is estimated instead
            }
        }
    }

    /**
     * The sign and size of a finite loss: the largest size of the attempt's first {@link #FIRST_LOSSES}
     * steps (one first loss that happens to sit near zero is no measure of the run's scale), and where
     * the loss went below zero.
     */
    void recordLoss(double loss, long step) {
        if (loss != 0 && (Double.isNaN(firstLossSizeLn) || processedSteps <= FIRST_LOSSES)) {
            double size = Math.log(Math.abs(loss));
            firstLossSizeLn = Double.isNaN(firstLossSizeLn) ? size : Math.max(firstLossSizeLn, size);
        }
        if (loss >= 0) {
            negativeLossSince = -1;
            forgetFall();
        } else if (negativeLossSince < 0) {
            negativeLossSince = step;
        } else if (loss > Double.NEGATIVE_INFINITY) {
            checkFall(loss, step);
        }
    }

    /**
     * At each checkpoint of a fall below zero (16, 32, 64... steps from where it went below zero), from the
     * third on: whether the loss fell from each checkpoint to the next at {@link #STEADY_PACE_SHARE} or more
     * of the pace it fell at between the two before, by {@link #STEADY_FALL_SHARE} of its size or more (a
     * steady fall), judged again at each. A loss with a floor (a negative log-likelihood settling, a
     * critic's loss) slows as it nears it.
     */
    private void checkFall(double loss, long step) {
        long span = step - negativeLossSince;
        long next = fallHalfStep < 0 ? FIRST_FALL_CHECK : 2 * (fallHalfStep - negativeLossSince);
        if (span < next) {
            return;
        }
        if (fallQuarterStep >= 0) {
            double paceBefore = (fallQuarter - fallHalf) / (fallHalfStep - fallQuarterStep);
            double pace = (fallHalf - loss) / (step - fallHalfStep);
            boolean steady = paceBefore > 0
                    && pace >= STEADY_PACE_SHARE * paceBefore
                    && fallHalf - loss >= STEADY_FALL_SHARE * -loss;
            steadyFallPace = steady ? pace : Double.NaN;
        }
        fallQuarter = fallHalf;
        fallQuarterStep = fallHalfStep;
        fallHalf = loss;
        fallHalfStep = step;
    }

    /** No fall below zero under way: its checkpoints and pace forgotten. */
    private void forgetFall() {
        fallQuarter = Double.NaN;
        fallQuarterStep = -1;
        fallHalf = Double.NaN;
        fallHalfStep = -1;
        steadyFallPace = Double.NaN;
    }

    /** Steps below zero of a fall's first checkpoint; its pace is judged from the third, 64 steps on. */
    static final int FIRST_FALL_CHECK = 16;

    /** Share of the pace before that a fall below zero keeps, to be steady. */
    static final double STEADY_PACE_SHARE = 0.8;

    /**
     * Share of the loss's size that its fall since the checkpoint before must be, to be steady: a fall
     * from about zero at one pace makes half of it; a level below zero that only wavers, none.
     */
    static final double STEADY_FALL_SHARE = 0.25;

    /**
     * How many times the size of the first losses a loss below zero and falling steadily must be. A
     * negative log-likelihood that settles slowly falls steadily too while it is far from its floor;
     * floors 20x below the first losses are rare (a variance shrunk to e^-20 of the data's).
     */
    static final double STEADY_FALL_FACTOR = 20;

    private static final double LN_STEADY_FALL = Math.log(STEADY_FALL_FACTOR);

    /**
     * The newest loss, {@code loss}, is below zero and {@link #UNBOUNDED_FACTOR} times the size of the
     * attempt's first losses, or {@link #STEADY_FALL_FACTOR} times while it falls at a steady pace, or
     * minus infinity after the loss went below zero: a loss that falls without a lower bound.
     */
    boolean unboundedBelow(double loss) {
        if (loss == Double.NEGATIVE_INFINITY) {
            return negativeLossSince >= 0; // the end of such a fall: below zero before, minus infinity now
        }
        if (!(loss < 0)) {
            return false;
        }
        double size = Math.log(-loss) - firstLossSizeLn;
        return size >= LN_UNBOUNDED || (size >= LN_STEADY_FALL && !Double.isNaN(steadyFallPace));
    }

    /** Steps whose loss sizes the reference is the largest of. */
    static final int FIRST_LOSSES = 3;

    /** How many times the size of the first losses a loss below zero must be to have no lower bound. */
    static final double UNBOUNDED_FACTOR = 1000;

    private static final double LN_UNBOUNDED = Math.log(UNBOUNDED_FACTOR);

    /** A classifier starts at chance level: the run's first ln(loss), until a better estimate. */
    void estimateChance(double ln) {
        chanceLn = ln;
    }

    /** The chance level a blow-up's reference may be trusted to be quiet at: only one from {@code num_classes}. */
    double labelledChanceLn() {
        return chanceFromLabel ? chanceLn : Double.NaN;
    }

    /** Forgets the attempt's facts: the run started over. The optimizer, its momentum and beta2 stay. */
    void startNewAttempt() {
        lastStep = -1;
        firstStep = -1;
        processedSteps = 0;
        maxLearningRate = Double.NaN;
        lastLearningRate = Double.NaN;
        learningRateRiseStep = -1;
        learningRateRiseLevel = Double.NaN;
        learningRateClimbStep = -1;
        learningRateClimbFrom = Double.NaN;
        learningRateRiseFromStep = -1;
        learningRateRiseFrom = Double.NaN;
        recentMaxUpdateRatio = Double.NaN;
        nonPositiveLearningRate = Double.NaN;
        nonPositiveSince = -1;
        chanceLn = Double.NaN;
        chanceFromLabel = false;
        firstLossSizeLn = Double.NaN;
        negativeLossSince = -1;
        forgetFall();
        perEpoch = false;
        lastEpoch = -1;
        attempt++;
    }

    private static final int LAST_LR = 1,
            MAX_LR = 2,
            UPDATE_RATIO = 4,
            CHANCE = 8,
            CHANCE_FROM_LABEL = 16,
            PER_EPOCH = 32,
            RISE_LEVEL = 64,
            MORE = 128; // a second mask byte follows (format 7 on)
    private static final int CLIMB = 1, RISE_FROM = 2, NON_POSITIVE_LR = 4, MOMENTUM = 8; // 4 and 8: format 8 on
    private static final int FIRST_SIZE = 16, NEGATIVE_LOSS = 32; // format 9 on
    private static final int BETA2 = 64, FALL = 128; // format 10 on

    /** First in the state: the other slices write their steps relative to {@link #lastStep}. */
    void writeTo(StateWriter w) {
        w.signed(lastStep).signed(lastStep - firstStep).varInt(attempt).signed(lastSeenMillis);
        w.varLong(processedSteps).step(learningRateRiseStep, lastStep).string(optimizer);
        int mask = StateWriter.unlessNaN(lastLearningRate, LAST_LR)
                | StateWriter.unlessNaN(maxLearningRate, MAX_LR)
                | StateWriter.unlessNaN(recentMaxUpdateRatio, UPDATE_RATIO)
                | StateWriter.unlessNaN(chanceLn, CHANCE)
                | (chanceFromLabel ? CHANCE_FROM_LABEL : 0)
                | (perEpoch ? PER_EPOCH : 0)
                | StateWriter.unlessNaN(learningRateRiseLevel, RISE_LEVEL);
        int more = (learningRateClimbStep >= 0 ? CLIMB : 0)
                | (learningRateRiseFromStep >= 0 ? RISE_FROM : 0)
                | (nonPositiveSince >= 0 ? NON_POSITIVE_LR : 0)
                | StateWriter.unlessNaN(momentum, MOMENTUM)
                | StateWriter.unlessNaN(firstLossSizeLn, FIRST_SIZE)
                | (negativeLossSince >= 0 ? NEGATIVE_LOSS : 0)
                | StateWriter.unlessNaN(beta2, BETA2)
                | (fallHalfStep >= 0 ? FALL : 0);
        w.u8(more != 0 ? mask | MORE : mask);
        if (more != 0) {
            w.u8(more);
        }
        if ((mask & LAST_LR) != 0) {
            w.f64(lastLearningRate);
        }
        if ((mask & MAX_LR) != 0) {
            w.f64(maxLearningRate);
        }
        if ((mask & UPDATE_RATIO) != 0) {
            w.f64(recentMaxUpdateRatio);
        }
        if ((mask & CHANCE) != 0) {
            w.f64(chanceLn);
        }
        if (perEpoch) {
            w.varLong(lastEpoch); // the last epoch matters only while every point is one
        }
        if ((mask & RISE_LEVEL) != 0) {
            w.f64(learningRateRiseLevel);
        }
        if ((more & CLIMB) != 0) {
            w.f64(learningRateClimbFrom).step(learningRateClimbStep, lastStep);
        }
        if ((more & RISE_FROM) != 0) {
            w.f64(learningRateRiseFrom).step(learningRateRiseFromStep, lastStep);
        }
        if ((more & NON_POSITIVE_LR) != 0) {
            w.f64(nonPositiveLearningRate).step(nonPositiveSince, lastStep);
        }
        if ((more & MOMENTUM) != 0) {
            w.f64(momentum);
        }
        if ((more & FIRST_SIZE) != 0) {
            w.f64(firstLossSizeLn);
        }
        if ((more & NEGATIVE_LOSS) != 0) {
            w.step(negativeLossSince, lastStep);
        }
        if ((more & BETA2) != 0) {
            w.f64(beta2);
        }
        if ((more & FALL) != 0) {
            // the quarter checkpoint is NaN and -1 only right after the first; the pace NaN until found
            w.f64(fallHalf).step(fallHalfStep, lastStep).f64(fallQuarter).step(fallQuarterStep, lastStep);
            w.f64(steadyFallPace);
        }
    }

    void readFrom(StateReader r) {
        lastStep = r.signed();
        firstStep = lastStep - r.signed();
        attempt = r.varInt();
        lastSeenMillis = r.signed();
        processedSteps = r.varLong();
        learningRateRiseStep = r.step(lastStep);
        optimizer = r.string();
        int mask = r.u8();
        int more = (mask & MORE) != 0 ? r.u8() : 0;
        lastLearningRate = r.f64(mask, LAST_LR, Double.NaN);
        maxLearningRate = r.f64(mask, MAX_LR, Double.NaN);
        recentMaxUpdateRatio = r.f64(mask, UPDATE_RATIO, Double.NaN);
        chanceLn = r.f64(mask, CHANCE, Double.NaN);
        chanceFromLabel = (mask & CHANCE_FROM_LABEL) != 0;
        perEpoch = (mask & PER_EPOCH) != 0;
        lastEpoch = perEpoch ? r.varLong() : -1;
        learningRateRiseLevel = r.f64(mask, RISE_LEVEL, Double.NaN);
        learningRateClimbFrom = r.f64(more, CLIMB, Double.NaN);
        learningRateClimbStep = (more & CLIMB) != 0 ? r.step(lastStep) : -1;
        learningRateRiseFrom = r.f64(more, RISE_FROM, Double.NaN);
        learningRateRiseFromStep = (more & RISE_FROM) != 0 ? r.step(lastStep) : -1;
        nonPositiveLearningRate = r.f64(more, NON_POSITIVE_LR, Double.NaN);
        nonPositiveSince = (more & NON_POSITIVE_LR) != 0 ? r.step(lastStep) : -1;
        momentum = r.f64(more, MOMENTUM, Double.NaN);
        firstLossSizeLn = r.f64(more, FIRST_SIZE, Double.NaN);
        negativeLossSince = (more & NEGATIVE_LOSS) != 0 ? r.step(lastStep) : -1;
        beta2 = r.f64(more, BETA2, Double.NaN);
        if ((more & FALL) != 0) {
            fallHalf = r.f64();
            fallHalfStep = r.step(lastStep);
            fallQuarter = r.f64();
            fallQuarterStep = r.step(lastStep);
            steadyFallPace = r.f64();
        } else {
            forgetFall();
        }
    }

    // the form of run state formats 3 and 4, where these facts are spread among the rules' state
    void readLegacyHead(ByteBuffer b) {
        lastStep = b.getLong();
        firstStep = b.getLong();
        lastSeenMillis = b.getLong();
        processedSteps = b.getLong();
    }

    void readLegacyLearningRates(ByteBuffer b) {
        lastLearningRate = b.getDouble();
        maxLearningRate = b.getDouble();
    }
}
