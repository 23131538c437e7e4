package io.losswatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Draws Slack messages (the JSON an incoming webhook receives) the way a Slack channel lays them out:
 * the app's name and time, then each block: sections with mrkdwn, two-column fields, grey context
 * lines, a button. Only what the notifier sends is supported. This is how the docs show a message
 * without a Slack workspace: the picture is drawn from the notifier's own bytes.
 */
final class SlackPicture {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** One message as a channel shows it. */
    record Message(Instant at, JsonNode body) {}

    private static final int WIDTH = 820;
    private static final int LEFT = 72;
    private static final int TEXT_WIDTH = WIDTH - LEFT - 24;
    private static final Color TEXT = new Color(0x1D1C1D);
    private static final Color GREY = new Color(0x616061);
    private static final Color CODE_TEXT = new Color(0xC01343);
    private static final Color CODE_BACK = new Color(0xF4F4F4);
    private static final Color RULE = new Color(0xDDDDDD);
    private static final Font PLAIN = new Font("DejaVu Sans", Font.PLAIN, 14);
    private static final Font BOLD = new Font("DejaVu Sans", Font.BOLD, 14);
    private static final Font CODE = new Font("DejaVu Sans Mono", Font.PLAIN, 13);
    private static final Font SMALL = new Font("DejaVu Sans", Font.PLAIN, 12);
    private static final Font SYMBOL = new Font("DejaVu Sans", Font.BOLD, 12);
    private static final DateTimeFormatter CLOCK =
            DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);

    /** Slack's emoji drawn as a coloured badge with a sign: what the notifier uses, nothing more. */
    private record Emoji(Color colour, String sign) {}

    private static final Map<String, Emoji> EMOJI = Map.of(
            "rotating_light", new Emoji(new Color(0xE01E1E), "!"),
            "warning", new Emoji(new Color(0xECB22E), "!"),
            "white_check_mark", new Emoji(new Color(0x2EB67D), "\u2713"),
            "heavy_check_mark", new Emoji(new Color(0x7A7A7A), "\u2713"),
            "arrow_right_hook", new Emoji(new Color(0x1D9BD1), "\u21AA"),
            "leftwards_arrow_with_hook", new Emoji(new Color(0x1D9BD1), "\u21A9"),
            "repeat", new Emoji(new Color(0x1D9BD1), "\u21BB"));

    private enum Style {
        PLAIN,
        BOLD,
        CODE,
        EMOJI
    }

    private record Piece(String text, Style style) {}

    private static final Pattern TOKEN = Pattern.compile("\\*([^*\\n]+)\\*|`([^`\\n]+)`|:([a-z_]+):|(\\n)");

    private SlackPicture() {}

    static BufferedImage draw(String channel, List<Message> messages) {
        // measure first on a scratch image, then draw at the height that needs
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D m = scratch.createGraphics();
        int height = render(m, channel, messages, false);
        m.dispose();
        BufferedImage img = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, height);
        render(g, channel, messages, true);
        g.dispose();
        return img;
    }

    private static int render(Graphics2D g, String channel, List<Message> messages, boolean paint) {
        int y = 0;
        if (paint) {
            g.setColor(TEXT);
            g.setFont(new Font("DejaVu Sans", Font.BOLD, 16));
            g.drawString("# " + channel, 20, 30);
            g.setColor(RULE);
            g.drawLine(0, 46, WIDTH, 46);
        }
        y = 62;
        for (Message msg : messages) {
            y = message(g, msg, y, paint) + 14;
        }
        return y + 6;
    }

    private static int message(Graphics2D g, Message msg, int top, boolean paint) {
        if (paint) {
            g.setColor(new Color(0x4A154B));
            g.fillRoundRect(20, top + 2, 36, 36, 8, 8);
            g.setColor(Color.WHITE);
            g.setFont(new Font("DejaVu Sans", Font.BOLD, 13));
            g.drawString("LW", 28, top + 25);
            g.setColor(TEXT);
            g.setFont(new Font("DejaVu Sans", Font.BOLD, 15));
            g.drawString("Losswatch", LEFT, top + 14);
            int x = LEFT + g.getFontMetrics().stringWidth("Losswatch") + 6;
            g.setColor(new Color(0xE8E8E8));
            g.fillRoundRect(x, top + 2, 30, 15, 4, 4);
            g.setColor(GREY);
            g.setFont(new Font("DejaVu Sans", Font.BOLD, 9));
            g.drawString("APP", x + 6, top + 13);
            g.setFont(SMALL);
            g.drawString(CLOCK.format(msg.at()), x + 38, top + 14);
        }
        int y = top + 22;
        for (JsonNode block : msg.body().path("blocks")) {
            switch (block.path("type").asText()) {
                case "section" -> {
                    if (block.has("text")) {
                        y = text(g, block.path("text").path("text").asText(), LEFT, y, TEXT_WIDTH, PLAIN, TEXT, paint);
                    }
                    if (block.has("fields")) {
                        y = fields(g, block.path("fields"), y, paint);
                    }
                    y += 6;
                }
                case "context" -> {
                    for (JsonNode e : block.path("elements")) {
                        y = text(g, e.path("text").asText(), LEFT, y, TEXT_WIDTH, SMALL, GREY, paint);
                    }
                    y += 6;
                }
                case "actions" -> {
                    for (JsonNode e : block.path("elements")) {
                        y = button(g, e.path("text").path("text").asText(), y, paint);
                    }
                }
                default -> {}
            }
        }
        return Math.max(y, top + 44);
    }

    private static int fields(Graphics2D g, JsonNode fields, int top, boolean paint) {
        int column = TEXT_WIDTH / 2;
        int y = top;
        for (int i = 0; i < fields.size(); i += 2) {
            int left = text(g, fields.get(i).path("text").asText(), LEFT, y, column - 12, PLAIN, TEXT, paint);
            int right = i + 1 < fields.size()
                    ? text(
                            g,
                            fields.get(i + 1).path("text").asText(),
                            LEFT + column,
                            y,
                            column - 12,
                            PLAIN,
                            TEXT,
                            paint)
                    : y;
            y = Math.max(left, right) + 4;
        }
        return y;
    }

    private static int button(Graphics2D g, String label, int top, boolean paint) {
        g.setFont(BOLD);
        int w = g.getFontMetrics().stringWidth(label) + 24;
        if (paint) {
            g.setColor(new Color(0xBBBBBB));
            g.setStroke(new BasicStroke(1));
            g.drawRoundRect(LEFT, top + 2, w, 28, 6, 6);
            g.setColor(TEXT);
            g.drawString(label, LEFT + 12, top + 21);
        }
        return top + 36;
    }

    /** Lays out one mrkdwn text from {@code top}, wrapping at words; returns the y below it. */
    private static int text(
            Graphics2D g, String mrkdwn, int left, int top, int width, Font base, Color colour, boolean paint) {
        int lineHeight = base.getSize() + 7;
        int x = left;
        int y = top + lineHeight - 4;
        for (Piece p : pieces(unescape(mrkdwn))) {
            if (p.text().equals("\n")) {
                x = left;
                y += lineHeight;
                continue;
            }
            Font font = switch (p.style()) {
                case BOLD -> base.deriveFont(Font.BOLD);
                case CODE -> CODE.deriveFont((float) base.getSize() - 1);
                default -> base;
            };
            if (p.style() == Style.EMOJI) {
                int size = base.getSize() + 4;
                if (x + size > left + width) {
                    x = left;
                    y += lineHeight;
                }
                Emoji e = EMOJI.get(p.text());
                if (paint) {
                    g.setColor(e.colour());
                    g.fillRoundRect(x, y - size + 4, size, size, 5, 5);
                    g.setColor(Color.WHITE);
                    g.setFont(SYMBOL.deriveFont((float) base.getSize()));
                    FontMetrics fm = g.getFontMetrics();
                    g.drawString(e.sign(), x + (size - fm.stringWidth(e.sign())) / 2, y);
                }
                x += size + 4;
                continue;
            }
            g.setFont(font);
            FontMetrics fm = g.getFontMetrics();
            for (String word : p.text().split("(?<= )")) {
                int w = fm.stringWidth(word);
                if (x + w > left + width && x > left) {
                    x = left;
                    y += lineHeight;
                    if (word.isBlank()) {
                        continue;
                    }
                }
                if (paint) {
                    if (p.style() == Style.CODE) {
                        g.setColor(CODE_BACK);
                        g.fillRoundRect(x - 1, y - fm.getAscent(), w + 2, fm.getAscent() + fm.getDescent(), 4, 4);
                        g.setColor(CODE_TEXT);
                    } else {
                        g.setColor(colour);
                    }
                    g.drawString(word, x, y);
                }
                x += w;
            }
        }
        return y + 6;
    }

    private static List<Piece> pieces(String s) {
        List<Piece> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(s);
        int at = 0;
        while (m.find()) {
            if (m.group(3) != null && !EMOJI.containsKey(m.group(3))) {
                continue; // a colon pair that is not an emoji the notifier sends: plain text
            }
            if (m.start() > at) {
                out.add(new Piece(s.substring(at, m.start()), Style.PLAIN));
            }
            if (m.group(1) != null) {
                // bold may hold inline code: "*Run `r`: ...*"
                String[] parts = m.group(1).split("`", -1);
                for (int i = 0; i < parts.length; i++) {
                    if (!parts[i].isEmpty()) {
                        out.add(new Piece(parts[i], i % 2 == 1 ? Style.CODE : Style.BOLD));
                    }
                }
            } else if (m.group(2) != null) {
                out.add(new Piece(m.group(2), Style.CODE));
            } else if (m.group(3) != null) {
                out.add(new Piece(m.group(3), Style.EMOJI));
            } else {
                out.add(new Piece("\n", Style.PLAIN));
            }
            at = m.end();
        }
        if (at < s.length()) {
            out.add(new Piece(s.substring(at), Style.PLAIN));
        }
        return out;
    }

    private static String unescape(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }
}
