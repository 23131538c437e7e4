package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README is the user's door and docs/ its depth: every relative link and image they hold must lead
 * somewhere, the README must stay short enough to read, and neither may talk about how the project
 * was built.
 */
class DocsTest {

    /** About 15 KB of prose, tables and snippets: the README's budget; the rest belongs in docs/. */
    static final int README_MAX_BYTES = 15_500;

    /** Words about how the project was built, not about what it does. */
    static final Pattern BUILD_HISTORY = Pattern.compile("(?i)\\bsession [0-9]|\\bissue [0-9]");

    /** [text](target) and ![alt](target), the target up to a space (a title may follow) or the closing parenthesis. */
    private static final Pattern INLINE_LINK =
            Pattern.compile("!?\\[(?:[^\\]\\[]|\\[[^\\]]*\\])*\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    /** [label]: target, a reference definition. */
    private static final Pattern REFERENCE = Pattern.compile("^\\s{0,3}\\[[^\\]]+\\]:\\s*<?(\\S+?)>?(?:\\s.*)?$");
    /** src="target" or href="target" in inline HTML. */
    private static final Pattern HTML_LINK = Pattern.compile("(?:src|href)=\"([^\"]+)\"");

    private static final Pattern HEADING = Pattern.compile("^ {0,3}#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern EXPLICIT_ANCHOR = Pattern.compile("<a\\s+(?:name|id)=\"([^\"]+)\"");

    private final Path root = DocFiles.ROOT;

    @Test
    void shouldKeepTheReadmeUnderItsBudget() throws IOException {
        assertThat(Files.size(root.resolve("README.md")))
                .as("README.md in bytes: move depth to a page under docs/ and link it")
                .isLessThanOrEqualTo(README_MAX_BYTES);
    }

    @Test
    void shouldResolveEveryRelativeLinkAndImageInTheReadmeAndDocs() {
        List<String> broken = new ArrayList<>();
        Map<Path, Set<String>> anchorsByFile = new HashMap<>();
        Set<Path> repositoryFiles = repositoryFiles();
        for (Path md : markdownFiles()) {
            for (Link link : links(md)) {
                String target = link.target();
                if (isExternal(target)) {
                    continue;
                }
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                String anchor = hash < 0 ? null : target.substring(hash + 1);
                Path resolved = file.isEmpty()
                        ? md
                        : md.getParent().resolve(decode(file)).normalize();
                String where = root.relativize(md) + ":" + link.line() + " -> " + target;
                if (!resolved.startsWith(root) || !Files.exists(resolved)) {
                    broken.add(where + " (no such file in the repository)");
                } else if (!repositoryFiles.contains(resolved)) {
                    broken.add(where + " (ignored by .gitignore: a clone would not have it)");
                } else if (anchor != null
                        && !anchor.isEmpty()
                        && resolved.toString().endsWith(".md")
                        && !anchorsByFile
                                .computeIfAbsent(resolved, DocsTest::anchors)
                                .contains(anchor)) {
                    broken.add(where + " (no heading makes the anchor #" + anchor + ")");
                }
            }
        }
        assertThat(broken).as("links in README.md and docs/ that lead nowhere").isEmpty();
    }

    @Test
    void shouldNotTalkAboutHowTheProjectWasBuiltInTheReadmeAndDocs() {
        assertThat(wording(markdownFiles()))
                .as("README.md and docs/ lines matching " + BUILD_HISTORY)
                .isEmpty();
    }

    @Test
    void shouldNotTalkAboutHowTheProjectWasBuiltInTheJavaSources() {
        List<Path> sources = new ArrayList<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String name =
                            dir.getFileName() == null ? "" : dir.getFileName().toString();
                    boolean skip = !dir.equals(root) && (name.equals("target") || name.startsWith("."));
                    return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (file.toString().endsWith(".java")) {
                        sources.add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sources.sort(null);
        assertThat(sources).as("Java sources found").isNotEmpty();
        assertThat(wording(sources)).as("Java lines matching " + BUILD_HISTORY).isEmpty();
    }

    private List<String> wording(List<Path> files) {
        List<String> hits = new ArrayList<>();
        for (Path f : files) {
            List<String> lines = read(f);
            for (int i = 0; i < lines.size(); i++) {
                if (BUILD_HISTORY.matcher(lines.get(i)).find()) {
                    hits.add(root.relativize(f) + ":" + (i + 1) + ": "
                            + lines.get(i).strip());
                }
            }
        }
        return hits;
    }

    /**
     * Files and directories a clone would have: tracked or new, not ignored. Without git (a source
     * archive) every file on disk counts.
     */
    private Set<Path> repositoryFiles() {
        Set<Path> out = new HashSet<>();
        try {
            Process git = new ProcessBuilder("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
                    .directory(root.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            String listing = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (git.waitFor() == 0 && !listing.isEmpty()) {
                for (String name : listing.split("\0")) {
                    for (Path p = root.resolve(name).normalize(); p != null && p.startsWith(root); p = p.getParent()) {
                        if (!out.add(p)) {
                            break;
                        }
                    }
                }
                return out;
            }
        } catch (IOException e) {
            // no git here: fall through
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** README.md and every Markdown page under docs/. */
    private List<Path> markdownFiles() {
        List<Path> out = new ArrayList<>();
        out.add(root.resolve("README.md"));
        try (Stream<Path> s = Files.walk(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    record Link(int line, String target) {}

    /** Links outside fenced code blocks and inline code spans, where Markdown renders them. */
    static List<Link> links(Path md) {
        List<Link> out = new ArrayList<>();
        boolean fenced = false;
        List<String> lines = read(md);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.strip().startsWith("```") || line.strip().startsWith("~~~")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            String text = line.replaceAll("`[^`]*`", "``");
            for (Pattern p : List.of(INLINE_LINK, HTML_LINK)) {
                Matcher m = p.matcher(text);
                while (m.find()) {
                    out.add(new Link(i + 1, m.group(1)));
                }
            }
            Matcher ref = REFERENCE.matcher(text);
            if (ref.matches()) {
                out.add(new Link(i + 1, ref.group(1)));
            }
        }
        return out;
    }

    /** The anchors GitHub makes from a page's headings (and explicit name/id anchors). */
    static Set<String> anchors(Path md) {
        Set<String> out = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : read(md)) {
            if (line.strip().startsWith("```") || line.strip().startsWith("~~~")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher explicit = EXPLICIT_ANCHOR.matcher(line);
            while (explicit.find()) {
                out.add(explicit.group(1));
            }
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                String slug = slug(h.group(1));
                int n = seen.merge(slug, 1, Integer::sum);
                out.add(n == 1 ? slug : slug + "-" + (n - 1));
            }
        }
        return out;
    }

    /** GitHub's heading anchor: lower case, markup and punctuation dropped, spaces to hyphens. */
    static String slug(String heading) {
        String text = heading.replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1").replaceAll("<[^>]+>", "");
        return text.toLowerCase(Locale.ROOT)
                .replaceAll("[^\\p{L}\\p{N}\\s_-]", "")
                .replaceAll("\\s", "-");
    }

    private static boolean isExternal(String target) {
        return target.matches("(?i)^[a-z][a-z0-9+.-]*:.*");
    }

    private static String decode(String path) {
        return java.net.URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static List<String> read(Path p) {
        try {
            return Files.readAllLines(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(p + " could not be read", e);
        }
    }
}
