package io.losswatch.monitor;

import io.losswatch.events.StartupException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Tells, before Kafka Streams starts, that another monitor holds the state directory. Kafka Streams
 * locks {@code <state.dir>/<application.id>/.lock} and, when it cannot, fails with a stack trace and
 * a state-directory error a user cannot act on; this says it in one sentence.
 */
final class StateDirLock {
    private StateDirLock() {}

    static void checkFree(Path stateDir, String applicationId) throws StartupException {
        Path appDir = stateDir.resolve(applicationId);
        Path lockFile = appDir.resolve(".lock");
        if (!Files.exists(lockFile)) {
            return;
        }
        boolean taken;
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            try (FileLock lock = channel.tryLock()) {
                taken = lock == null;
            } catch (OverlappingFileLockException sameProcess) {
                taken = true;
            }
        } catch (IOException e) {
            // not ours to judge: Kafka Streams reports what is wrong with the directory
            return;
        }
        if (taken) {
            throw new StartupException("another monitor uses state dir " + stateDir.toAbsolutePath()
                    + ": give each instance its own --state-dir");
        }
    }
}
