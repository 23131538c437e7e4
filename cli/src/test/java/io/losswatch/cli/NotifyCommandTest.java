package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Mistakes in the webhook flags end both commands with one sentence and exit code 2, before anything starts. */
class NotifyCommandTest {
    private record Run(int code, String err) {}

    private static Run run(Object command, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        return new Run(cl.execute(args), err.toString().trim());
    }

    @Test
    void shouldSayThatNotifyNeedsATarget() {
        Run r = run(new NotifyCommand(), "--bootstrap-servers", "127.0.0.1:1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err())
                .isEqualTo("Nothing to deliver to: give --webhook URL (repeatable) or --webhook-config FILE.");
    }

    @Test
    void shouldRefuseAUrlThatIsNotHttpInOneSentence() {
        Run r = run(new NotifyCommand(), "--webhook", "ftp://user:pw@files.example.com/x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err())
                .isEqualTo("Only http:// and https:// webhook URLs are accepted, not ftp: "
                        + "write it as https://host/path.")
                .doesNotContain("pw");
    }

    @Test
    void shouldRefuseAnUnknownFormat() {
        Run r = run(new NotifyCommand(), "--webhook", "http://h/x", "--webhook-format", "teams");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("Unknown webhook format 'teams'");
    }

    @Test
    void shouldRefuseAMissingConfigFile() {
        Run r = run(new NotifyCommand(), "--webhook-config", "does-not-exist.yaml");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("Webhook config file does-not-exist.yaml does not exist.");
    }

    @Test
    void shouldCheckTheMonitorsWebhookFlagsBeforeStartingAnything() {
        Run r = run(new MonitorCommand(), "--webhook", "gopher://h/x", "--http-port", "-1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("Only http:// and https:// webhook URLs are accepted");
    }
}
