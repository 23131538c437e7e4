package io.losswatch.trainer;

import io.losswatch.client.guard.GuardedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A DL4J {@link MultiLayerNetwork} or {@link ComputationGraph} as a guard sees it. */
public final class Dl4jModel implements GuardedModel<Dl4jModel.Snapshot> {

    /** Copies of the parameters and of the updater's state (Adam's moments, momentum), or null without one. */
    public record Snapshot(INDArray params, INDArray updaterState) {}

    private final Model model;

    public Dl4jModel(Model model) {
        Objects.requireNonNull(model, "model");
        if (!(model instanceof MultiLayerNetwork) && !(model instanceof ComputationGraph)) {
            throw new IllegalArgumentException("a guard needs a MultiLayerNetwork or a ComputationGraph, got "
                    + model.getClass().getSimpleName());
        }
        this.model = model;
    }

    private INDArray updaterState() {
        if (model instanceof MultiLayerNetwork net) {
            return net.getUpdater() == null ? null : net.getUpdater().getStateViewArray();
        }
        ComputationGraph graph = (ComputationGraph) model;
        return graph.getUpdater() == null ? null : graph.getUpdater().getStateViewArray();
    }

    @Override
    public Snapshot snapshot() {
        INDArray state = updaterState();
        return new Snapshot(model.params().dup(), state == null ? null : state.dup());
    }

    @Override
    public void restore(Snapshot s) {
        model.setParams(s.params().dup());
        INDArray state = updaterState();
        if (s.updaterState() != null
                && state != null
                && state.length() == s.updaterState().length()) {
            state.assign(s.updaterState());
        }
    }

    @Override
    public boolean finite() {
        return Double.isFinite(model.params().sumNumber().doubleValue());
    }

    @Override
    public double learningRate() {
        Double lr = MetricsListener.learningRate(model);
        return lr == null ? Double.NaN : lr;
    }

    @Override
    public void learningRate(double rate) {
        if (model instanceof MultiLayerNetwork net) {
            net.setLearningRate(rate);
        } else {
            ((ComputationGraph) model).setLearningRate(rate);
        }
    }

    @Override
    public void save(Snapshot s, Path file) throws IOException {
        restore(s);
        ModelSerializer.writeModel(model, file.toFile(), true);
    }
}
