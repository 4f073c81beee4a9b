package dev.jseek.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** bench/FUZZ.md holds one section per fuzz run (model files, session files); each run replaces only its own. */
final class FuzzReport {
    private static final String TITLE = "# Fuzzing: the last long runs\n";

    private FuzzReport() {
    }

    /** Replaces the section under {@code ## heading} in {@code file} with {@code body}, or appends it. */
    static void writeSection(Path file, String heading, String body) throws IOException {
        String text = Files.exists(file) ? Files.readString(file) : "";
        if (!text.startsWith(TITLE)) {
            text = TITLE; // an older layout (one run, whole file) or none: start over
        }
        String marker = "\n## " + heading + "\n";
        String section = marker + "\n" + body.strip() + "\n";
        int start = text.indexOf(marker);
        if (start < 0) {
            text = text.stripTrailing() + "\n" + section;
        } else {
            int end = text.indexOf("\n## ", start + marker.length());
            text = text.substring(0, start) + section + (end < 0 ? "" : text.substring(end));
        }
        Files.writeString(file, text);
    }
}
