package io.losswatch.kafka.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps a second broker off a data dir that one is using. Kafka locks its log dirs only after
 * the KRaft layer has opened the metadata log, so without this a second broker on the same dir
 * reads a log that is being written and halts its JVM on a "corrupt" record.
 */
public final class DataDirLock implements AutoCloseable {

    static final String FILE_NAME = ".losswatch-broker.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Holds the lock on {@code dataDir} until closed. */
    public static DataDirLock acquire(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to Kafka data dir " + dataDir, e);
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // this JVM holds it already
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot lock Kafka data dir " + dataDir, e);
        }
        if (lock == null) {
            closeQuietly(channel);
            throw new IllegalStateException("Kafka data dir " + dataDir + " is in use by another broker");
        }
        return new DataDirLock(channel, lock);
    }

    /** True when no broker holds the lock on {@code dataDir} right now. */
    public static boolean isFree(Path dataDir) {
        DataDirLock probe;
        try {
            probe = acquire(dataDir);
        } catch (IllegalStateException e) {
            return false;
        }
        probe.close();
        return true;
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }
}
