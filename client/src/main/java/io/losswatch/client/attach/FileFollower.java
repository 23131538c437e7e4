package io.losswatch.client.attach;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Reads a text file line by line as it grows, like {@code tail -F}: a line is handed on only once its
 * newline has been written, and the file may be rotated (renamed away and created anew: a new inode),
 * truncated (shorter than what was read: {@code copytruncate}, or a trainer that restarted with a fresh
 * log) or rewritten from the top with another first line (Lightning's {@code CSVLogger} does this when a
 * new metric column appears). After each of those, reading starts again at the top of the file and the
 * listener is told why.
 *
 * <p>{@link #poll()} does one round of reading and returns; the caller decides how often to call it.
 * Not thread-safe.
 */
public final class FileFollower implements AutoCloseable {

    /** Why reading went back to the top of the file. */
    public enum Restart {
        /** The path now names another file (a new inode): the old one was rotated away. */
        ROTATED,
        /** The file is shorter than what was already read. */
        TRUNCATED,
        /** The file's first line changed while it did not shrink: rewritten in place. */
        REWRITTEN
    }

    /** What the follower hands on. */
    public interface Listener {
        /** Complete lines, without their line terminators, in file order. */
        void lines(List<String> lines);

        /** Reading starts again at the top of the (new) file. */
        void restarted(Restart why);
    }

    private static final int CHUNK = 64 * 1024;
    /** Only this much of the first line is compared to spot a rewrite. */
    private static final int HEAD_BYTES = 4096;

    private final Path path;
    private final Listener listener;
    private FileChannel channel;
    private Object fileKey;
    private long position;
    private byte[] head;
    private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
    private byte[] partial = new byte[0];
    private boolean skipToEnd;

    /**
     * @param fromBeginning false starts at the end of the file as it is now (what is already there is skipped);
     *                      a file that appears or is replaced later is always read from its top
     */
    public FileFollower(Path path, boolean fromBeginning, Listener listener) {
        this.path = Objects.requireNonNull(path, "path");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.skipToEnd = !fromBeginning;
    }

    /** True once the file has been opened at least once. */
    public boolean opened() {
        return fileKey != null;
    }

    /**
     * Reads whatever complete lines were added since the last call, noticing rotation, truncation and
     * rewrites. A missing file is not an error: it is waited for.
     *
     * @return true when it read anything
     */
    public boolean poll() throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            // Rotated away and not yet created again: finish the old file, then wait.
            return channel != null && drain();
        }
        boolean read = false;
        if (channel == null) {
            open(attrs);
        } else if (!Objects.equals(attrs.fileKey(), fileKey)) {
            read = drain();
            closeChannel();
            open(attrs);
            restart(Restart.ROTATED);
        } else if (channel.size() < position) {
            restart(Restart.TRUNCATED);
        } else if (head != null && channel.size() > position && !Arrays.equals(head, firstLine())) {
            restart(Restart.REWRITTEN);
        }
        return drain() || read;
    }

    private void open(BasicFileAttributes attrs) throws IOException {
        channel = FileChannel.open(path, StandardOpenOption.READ);
        fileKey = attrs.fileKey();
        position = 0;
        partial = new byte[0];
        head = null;
        if (skipToEnd) {
            skipToEnd = false;
            position = channel.size();
            head = firstLine();
        }
    }

    private void restart(Restart why) {
        position = 0;
        partial = new byte[0];
        head = null;
        listener.restarted(why);
    }

    /** Reads to the current end of the open file; hands on complete lines. */
    private boolean drain() throws IOException {
        List<String> lines = new ArrayList<>();
        boolean any = false;
        while (true) {
            buffer.clear();
            int n = channel.read(buffer, position);
            if (n <= 0) {
                break;
            }
            any = true;
            position += n;
            byte[] chunk = new byte[partial.length + n];
            System.arraycopy(partial, 0, chunk, 0, partial.length);
            System.arraycopy(buffer.array(), 0, chunk, partial.length, n);
            int start = 0;
            for (int i = 0; i < chunk.length; i++) {
                if (chunk[i] == '\n') {
                    int end = i > start && chunk[i - 1] == '\r' ? i - 1 : i;
                    lines.add(new String(chunk, start, end - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            partial = Arrays.copyOfRange(chunk, start, chunk.length);
        }
        if (head == null && (!lines.isEmpty())) {
            head = firstLine();
        }
        if (!lines.isEmpty()) {
            listener.lines(lines);
        }
        return any;
    }

    /** The first line of the file (up to {@link #HEAD_BYTES}), or what there is of it. */
    private byte[] firstLine() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(HEAD_BYTES);
        channel.read(b, 0);
        byte[] bytes = Arrays.copyOf(b.array(), b.position());
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                return Arrays.copyOf(bytes, i);
            }
        }
        return bytes;
    }

    private void closeChannel() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    @Override
    public void close() throws IOException {
        closeChannel();
    }
}
