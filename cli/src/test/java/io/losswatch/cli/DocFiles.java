package io.losswatch.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository's README.md and docs/ are, seen from the module's working directory. */
final class DocFiles {
    static final Path ROOT = findRoot();

    private DocFiles() {}

    private static Path findRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md"))
                    && Files.isDirectory(p.resolve("docs"))
                    && Files.isRegularFile(p.resolve("losswatch"))) {
                return p;
            }
        }
        throw new IllegalStateException("no README.md, docs/ and losswatch launcher above "
                + Path.of("").toAbsolutePath());
    }
}
