package io.losswatch.trainer;

import io.losswatch.client.AlertAction;
import io.losswatch.client.MetricsPublisher;
import io.losswatch.client.guard.Guard;
import io.losswatch.client.guard.GuardAct;
import io.losswatch.client.guard.GuardConfig;
import io.losswatch.events.KafkaPreflight;
import io.losswatch.events.Topics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.AMSGrad;
import org.nd4j.linalg.learning.config.AdaMax;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nadam;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * Losswatch for any DL4J network, in two lines: publishes every step to the metrics topic and acts on
 * the run's critical alerts (stop, roll back, or roll back and skip batches).
 *
 * <pre>{@code
 * try (Dl4jGuard guard = Dl4jGuard.attach(net, "my-run", "127.0.0.1:9092", AlertAction.ROLLBACK)) {
 *     net.fit(guard.wrap(trainData), epochs);
 * }
 * }</pre>
 *
 * <p>{@code attach} adds a {@link MetricsListener} and this guard to the network's listeners, in that
 * order, so each step is published before the guard acts at its end. {@link #wrap} returns the
 * iterator the network should train from: it drops the batches a skip asks to drop and ends the fit
 * once the guard has stopped the run. After a rollback the next step event carries
 * {@code resumed_from}, so the monitor judges the resumed run afresh.
 */
public final class Dl4jGuard extends BaseTrainingListener implements AutoCloseable {

    private final Guard<Dl4jModel.Snapshot> guard;
    private final MetricsPublisher publisher;
    private final Consumer<String> console;
    private long skipPending;
    private long skipped;

    private Dl4jGuard(Guard<Dl4jModel.Snapshot> guard, MetricsPublisher publisher, Consumer<String> console) {
        this.guard = guard;
        this.publisher = publisher;
        this.console = console;
    }

    /** With the default topics, no extra Kafka settings, and the notes on standard error. */
    public static Dl4jGuard attach(Model net, String runId, String bootstrapServers, AlertAction action) {
        return attach(
                net, GuardConfig.defaults(runId, action), bootstrapServers, Map.of(), Map.of(), System.err::println);
    }

    /**
     * @param labels extra labels on every step event (the optimizer's name, and a classifier's number of
     *     classes, are added when not given)
     * @param kafka any Kafka client settings (TLS, SASL)
     * @param console where the guard's one-line notes go
     * @throws IllegalStateException in one sentence when the broker or a topic is not there
     */
    public static Dl4jGuard attach(
            Model net,
            GuardConfig config,
            String bootstrapServers,
            Map<String, String> kafka,
            Map<String, String> labels,
            Consumer<String> console) {
        String problem = KafkaPreflight.producerProblem(bootstrapServers, Topics.METRICS, kafka, Duration.ofSeconds(5));
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
        Map<String, String> all = new LinkedHashMap<>(labels);
        String optimizer = optimizerName(net);
        if (optimizer != null) {
            all.putIfAbsent("optimizer", optimizer);
        }
        momentLabels(net).forEach(all::putIfAbsent);
        Integer classes = numClasses(net);
        if (classes != null) {
            all.putIfAbsent("num_classes", Integer.toString(classes));
        }
        MetricsPublisher publisher = new MetricsPublisher(bootstrapServers, Topics.METRICS, kafka);
        Guard<Dl4jModel.Snapshot> guard;
        try {
            guard = Guard.following(config, new Dl4jModel(net), bootstrapServers, Topics.ALERTS, kafka);
        } catch (RuntimeException e) {
            publisher.close();
            throw new IllegalStateException(
                    "Cannot follow " + Topics.ALERTS + " at " + bootstrapServers + " (" + KafkaPreflight.rootMessage(e)
                            + "): start the monitor first.",
                    e);
        }
        guard.notes(console);
        Dl4jGuard g = new Dl4jGuard(guard, publisher, console);
        MetricsListener metrics = new MetricsListener(config.runId(), all, e -> publisher.offer(guard.annotate(e)));
        if (net instanceof MultiLayerNetwork m) {
            m.addListeners(metrics, g);
        } else {
            ((ComputationGraph) net).addListeners(metrics, g);
        }
        return g;
    }

    /** The updater of the first layer that has one, by name: adam, sgd, nesterovs, ... */
    static String optimizerName(Model net) {
        IUpdater u = updater(net);
        return u == null ? null : u.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }

    /**
     * The labels that describe the updater's moments: {@code momentum} (Nesterovs' momentum, or beta1 of
     * Adam and its kin) and {@code beta2} (Adam and its kin), each only where it has one.
     */
    static Map<String, String> momentLabels(Model net) {
        Map<String, String> labels = new LinkedHashMap<>();
        IUpdater u = updater(net);
        double[] betas = betas(u);
        if (u instanceof Nesterovs n) {
            labels.put("momentum", Double.toString(n.getMomentum()));
        } else if (betas != null) {
            labels.put("momentum", Double.toString(betas[0]));
            labels.put("beta2", Double.toString(betas[1]));
        }
        return labels;
    }

    /** The betas of Adam and its kin (beta1, beta2), null for an updater without them. */
    private static double[] betas(IUpdater u) {
        if (u instanceof Adam a) {
            return new double[] {a.getBeta1(), a.getBeta2()};
        }
        if (u instanceof Nadam a) {
            return new double[] {a.getBeta1(), a.getBeta2()};
        }
        if (u instanceof AdaMax a) {
            return new double[] {a.getBeta1(), a.getBeta2()};
        }
        if (u instanceof AMSGrad a) {
            return new double[] {a.getBeta1(), a.getBeta2()};
        }
        return null;
    }

    private static IUpdater updater(Model net) {
        List<org.deeplearning4j.nn.api.Layer> layers = net instanceof MultiLayerNetwork m
                ? List.of(m.getLayers())
                : net instanceof ComputationGraph g ? List.of(g.getLayers()) : List.of();
        for (var layer : layers) {
            if (layer.conf().getLayer() instanceof BaseLayer b && b.getIUpdater() != null && layer.numParams() > 0) {
                return b.getIUpdater();
            }
        }
        return null;
    }

    /**
     * The number of classes of a classifier: the width of a softmax output layer trained with cross
     * entropy. Its logarithm is the loss at chance level, where a network whose units died sits.
     */
    static Integer numClasses(Model net) {
        org.deeplearning4j.nn.conf.layers.Layer out = null;
        if (net instanceof MultiLayerNetwork m && m.getnLayers() > 0) {
            out = m.getLayer(m.getnLayers() - 1).conf().getLayer();
        } else if (net instanceof ComputationGraph g && g.getNumOutputArrays() == 1) {
            out = g.getOutputLayer(0).conf().getLayer();
        }
        if (out instanceof org.deeplearning4j.nn.conf.layers.BaseOutputLayer o
                && o.getActivationFn() instanceof org.nd4j.linalg.activations.impl.ActivationSoftmax
                && (o.getLossFn() instanceof org.nd4j.linalg.lossfunctions.impl.LossMCXENT
                        || o.getLossFn() instanceof org.nd4j.linalg.lossfunctions.impl.LossNegativeLogLikelihood)
                && o.getNOut() >= 2
                && o.getNOut() <= Integer.MAX_VALUE) {
            return (int) o.getNOut();
        }
        return null;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        GuardAct act = guard.afterStep(iteration);
        if (act != null) {
            console.accept(act.message());
            skipPending += act.skipBatches();
        }
    }

    /** The iterator to train from: it drops the batches a skip asks to drop, and ends once the run is stopped. */
    public DataSetIterator wrap(DataSetIterator data) {
        return new Guarded(Objects.requireNonNull(data, "data"));
    }

    public boolean stopped() {
        return guard.stopped();
    }

    public boolean recoveryFailed() {
        return guard.recoveryFailed();
    }

    /** Completed, recovered after N rollbacks, stopped on a divergence, or recovery failed. */
    public String outcome() {
        return guard.outcome();
    }

    public List<GuardAct> acts() {
        return guard.acts();
    }

    /** Batches dropped because of skips so far. */
    public long skippedBatches() {
        return skipped;
    }

    /** Flushes the step events still on their way and stops following the alerts. */
    @Override
    public void close() {
        guard.close();
        publisher.close();
    }

    /** Delegates to the user's iterator; synchronous, so that a skip or a stop takes effect at once. */
    private final class Guarded implements DataSetIterator {
        private static final long serialVersionUID = 1L;
        private final DataSetIterator in;

        Guarded(DataSetIterator in) {
            this.in = in;
        }

        private void dropPending() {
            while (skipPending > 0 && in.hasNext()) {
                in.next();
                skipPending--;
                skipped++;
            }
        }

        @Override
        public boolean hasNext() {
            if (guard.stopped()) {
                return false;
            }
            dropPending();
            return in.hasNext();
        }

        @Override
        public DataSet next() {
            dropPending();
            return in.next();
        }

        @Override
        public DataSet next(int num) {
            dropPending();
            return in.next(num);
        }

        @Override
        public int inputColumns() {
            return in.inputColumns();
        }

        @Override
        public int totalOutcomes() {
            return in.totalOutcomes();
        }

        @Override
        public boolean resetSupported() {
            return in.resetSupported();
        }

        @Override
        public boolean asyncSupported() {
            return false;
        }

        @Override
        public void reset() {
            in.reset();
        }

        @Override
        public int batch() {
            return in.batch();
        }

        @Override
        public void setPreProcessor(DataSetPreProcessor p) {
            in.setPreProcessor(p);
        }

        @Override
        public DataSetPreProcessor getPreProcessor() {
            return in.getPreProcessor();
        }

        @Override
        public List<String> getLabels() {
            return in.getLabels();
        }
    }
}
