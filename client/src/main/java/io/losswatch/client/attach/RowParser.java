package io.losswatch.client.attach;

import io.losswatch.events.StepEvent;
import java.util.List;

/**
 * Turns the lines of one log format into step events. Stateful: a CSV parser learns its columns from
 * the header line, and may hold an event back until the next line says whether more belongs to it.
 */
public interface RowParser {

    /**
     * @return the events this line completes, often one, possibly none
     * @throws IllegalArgumentException with one sentence when the line cannot be read; the line is skipped
     */
    List<StepEvent> line(String line);

    /** Events held back, now complete: there is nothing more to read for the moment. */
    List<StepEvent> flush();

    /** The file starts again from its top: forget the header (flush first). */
    void reset();
}
