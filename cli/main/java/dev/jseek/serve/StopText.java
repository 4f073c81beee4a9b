package dev.jseek.serve;

import java.util.List;

/**
 * Stop strings over streamed text: passes on what can no longer turn into a stop string, holds back a tail that
 * might, and cuts the text before the first stop string found.
 */
final class StopText {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopText(List<String> stops) {
        this.stops = stops;
    }

    /** Adds generated text; returns what can be released now (empty while a stop string may be forming). */
    String add(String text) {
        if (stopped) {
            return "";
        }
        pending.append(text);
        int cut = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) {
                cut = i;
            }
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        int hold = 0;
        for (String s : stops) {
            for (int n = Math.min(s.length() - 1, pending.length()); n > hold; n--) {
                if (pending.substring(pending.length() - n).equals(s.substring(0, n))) {
                    hold = n;
                    break;
                }
            }
        }
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** The held-back tail, at the end of generation (it did not become a stop string). */
    String finish() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    boolean stopped() {
        return stopped;
    }
}
