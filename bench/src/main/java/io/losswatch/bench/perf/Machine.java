package io.losswatch.bench.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What every benchmark prints with its figures, so that a reader can judge how noisy the machine was. */
public final class Machine {
    private Machine() {}

    /** Cores, load average (1/5/15 min), Java version and the JVM's maximum heap. */
    public static String describe() {
        String load = "n/a";
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            load = f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            // not Linux: the load is unknown
        }
        return String.format(
                Locale.ROOT,
                "%d cores, load average %s (1/5/15 min), Java %s, max heap %d MB",
                Runtime.getRuntime().availableProcessors(),
                load,
                System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20);
    }
}
